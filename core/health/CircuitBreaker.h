#pragma once

#include "config/LabConfig.h"

#include <QtGlobal>
#include <vector>

namespace lab {

// A per-backend circuit breaker. Closed: requests flow and results are counted in a sliding window of
// one-second buckets; when at least minRequests in the window failed at failurePercent or more, it opens.
// Open: the backend gets no traffic for openMs. Then half-open: up to halfOpenRequests trial requests go
// through; that many successes close it, any failure opens it again.
// Pure: the caller passes the time and does the locking.
class CircuitBreaker final {
public:
    enum class State { Closed, Open, HalfOpen };

    explicit CircuitBreaker(const BreakerConfig& config = {});
    void setConfig(const BreakerConfig& config);

    // The state at `nowMs` (Open turns HalfOpen once openMs has passed). `changed` is set when that
    // happened in this call.
    State state(qint64 nowMs, bool* changed = nullptr);
    // Whether a request may go now; in HalfOpen only while trial slots are left.
    bool allows(qint64 nowMs);
    // The balancer picked this backend for a request: in HalfOpen that takes a trial slot.
    void onPicked(qint64 nowMs);
    // One request's outcome. Returns true when the state changed (read state() for the new one).
    bool record(bool success, qint64 nowMs);

    // What the window shows: requests and failures in the current window, and when an open breaker
    // will let trials through.
    int windowRequests(qint64 nowMs) const;
    int windowFailures(qint64 nowMs) const;
    qint64 openUntilMs() const { return m_openUntilMs; }
    static const char* stateName(State s);

private:
    struct Bucket {
        qint64 second = -1;
        int requests = 0;
        int failures = 0;
    };
    int windowSum(qint64 nowMs, int Bucket::*field) const;
    void open(qint64 nowMs);
    void clearWindow();

    BreakerConfig m_config;
    State m_state = State::Closed;
    qint64 m_openUntilMs = 0;
    int m_trialsStarted = 0;
    int m_trialSuccesses = 0;
    std::vector<Bucket> m_buckets;
};

} // namespace lab
