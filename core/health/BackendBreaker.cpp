#include "BackendBreaker.h"

#include "metrics/EventLog.h"

namespace lab::BackendBreaker {

static void log(EventLog* events, const QString& text)
{
    if (events)
        events->append(LabEvent::Kind::Health, text, EventLog::Priority::StateChange);
}

static void publish(Backend& b, CircuitBreaker::Change change, qint64 now, EventLog* events, const QString& detail = {})
{
    using Change = CircuitBreaker::Change;
    if (change == Change::None)
        return;
    b.breakerState.store(int(b.breaker.state()), std::memory_order_relaxed);
    const BreakerConfig& c = b.breaker.config();
    switch (change) {
    case Change::None: break;
    case Change::Opened:
        b.mark(HealthMark::Kind::BreakerOpen, now);
        log(events, QStringLiteral("%1 circuit OPEN for %2 s: %3").arg(b.name).arg(c.openMs / 1000.0).arg(detail));
        break;
    case Change::Reopened:
        b.mark(HealthMark::Kind::BreakerOpen, now);
        log(events,
            QStringLiteral("%1 circuit OPEN again for %2 s: a trial request failed (%3)")
                .arg(b.name)
                .arg(c.openMs / 1000.0)
                .arg(detail));
        break;
    case Change::HalfOpened:
        b.mark(HealthMark::Kind::BreakerHalfOpen, now);
        log(events,
            QStringLiteral("%1 circuit half-open: letting %2 trial requests through")
                .arg(b.name)
                .arg(c.halfOpenRequests));
        break;
    case Change::TrialsRenewed: // still half-open: the band goes on, only the event says it
        log(events,
            QStringLiteral("%1 circuit still half-open: no trial outcome within %2 s; those trials are forgotten "
                           "and new ones may go")
                .arg(b.name)
                .arg(c.openMs / 1000.0));
        break;
    case Change::Closed:
        b.mark(HealthMark::Kind::BreakerClosed, now);
        log(events,
            QStringLiteral("%1 circuit closed: %2 trial requests succeeded").arg(b.name).arg(c.halfOpenRequests));
        break;
    case Change::SwitchedOff:
        b.mark(HealthMark::Kind::BreakerClosed, now);
        log(events, QStringLiteral("%1 circuit closed: the circuit breaker was switched off").arg(b.name));
        break;
    }
}

static void advanceLocked(Backend& b, qint64 now, EventLog* events)
{
    publish(b, b.breaker.advance(now), now, events);
}

bool allows(Backend& b, qint64 now, EventLog* events)
{
    if (b.breakerNow() == CircuitBreaker::State::Closed)
        return true; // the common case: no lock on the data path (a closed breaker has no timed changes)
    QMutexLocker lock(&b.breakerMutex);
    advanceLocked(b, now, events);
    return b.breaker.allows();
}

CircuitBreaker::Trial takeTrial(Backend& b, qint64 now)
{
    if (b.breakerNow() == CircuitBreaker::State::Closed)
        return {};
    QMutexLocker lock(&b.breakerMutex);
    return b.breaker.onPicked(now);
}

void advance(Backend& b, qint64 now, EventLog* events)
{
    if (b.breakerNow() == CircuitBreaker::State::Closed)
        return;
    QMutexLocker lock(&b.breakerMutex);
    advanceLocked(b, now, events);
}

void record(Backend& b, bool success, qint64 now, CircuitBreaker::Trial trial, const QString& failureReason,
            EventLog* events)
{
    // The common case takes no lock: a closed breaker counting a success that was no trial.
    if (success && !trial.isTrial() && b.breakerNow() == CircuitBreaker::State::Closed &&
        b.breaker.recordSuccessFast(now))
        return;
    QMutexLocker lock(&b.breakerMutex);
    advanceLocked(b, now, events); // a transition that was due happens (and is published) before this outcome
    const int requests = b.breaker.windowRequests(now) + 1;
    const int failures = b.breaker.windowFailures(now) + (success ? 0 : 1);
    const CircuitBreaker::Change change = b.breaker.record(success, now, trial);
    publish(b, change, now, events,
            change == CircuitBreaker::Change::Opened ? QStringLiteral("%1 of the last %2 requests failed (last: %3)")
                                                           .arg(failures)
                                                           .arg(requests)
                                                           .arg(failureReason)
                                                     : failureReason);
}

void abandon(Backend& b, CircuitBreaker::Trial trial)
{
    if (!trial.isTrial())
        return; // nothing was counted at the pick: nothing to give back
    QMutexLocker lock(&b.breakerMutex);
    b.breaker.abandon(trial);
}

void setConfig(Backend& b, const BreakerConfig& config, qint64 now, EventLog* events)
{
    QMutexLocker lock(&b.breakerMutex);
    publish(b, b.breaker.setConfig(config), now, events);
}

} // namespace lab::BackendBreaker
