#pragma once

#include "backend/Backend.h"
#include "health/CircuitBreaker.h"

#include <QString>

namespace lab {

class EventLog;

// A backend's circuit breaker as the pool runs it: the locking (Backend::breakerMutex) and the publication.
// The breaker's state changes only under its backend's breakerMutex, and every change is published in
// that same critical section: the lock-free mirror (Backend::breakerState, what classify() reads), the
// timeline band and the event. Time-driven changes are made by allows() (picks, when the mirror says not
// closed), by record() (an outcome, before it counts) and by advance() (housekeeping). `events` may be null.
namespace BackendBreaker {

// Whether a request may go now, after the timed transitions. Lock-free while the breaker is closed.
bool allows(Backend& b, qint64 nowMs, EventLog* events);
// Takes a half-open trial slot for a picked backend; round 0 when the breaker is closed (no lock).
CircuitBreaker::Trial takeTrial(Backend& b, qint64 nowMs);
// The timed transitions due at nowMs (open → half-open, trials forgotten), published.
void advance(Backend& b, qint64 nowMs, EventLog* events);
// One attempt's outcome; lock-free for a success on a closed breaker that was no trial (the common case).
void record(Backend& b, bool success, qint64 nowMs, CircuitBreaker::Trial trial, const QString& failureReason,
            EventLog* events);
// An attempt ended without an outcome: gives back its trial slot, counts neither way.
void abandon(Backend& b, CircuitBreaker::Trial trial);
// New settings (switching it off closes it), published.
void setConfig(Backend& b, const BreakerConfig& config, qint64 nowMs, EventLog* events);

} // namespace BackendBreaker

} // namespace lab
