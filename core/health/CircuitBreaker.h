#pragma once

#include "config/LabConfig.h"

#include <QtGlobal>
#include <atomic>
#include <memory>

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
    // The hot path for the common case, safe without the caller's lock: counts a success while the
    // breaker is closed and the current second's bucket is already in use. False when the caller must
    // take the lock and call record() instead. (A success can then at most delay opening by one request:
    // only failures are checked against the threshold on this path.)
    bool recordSuccessFast(qint64 nowMs);

    // What the window shows: requests and failures in the current window, and when an open breaker
    // will let trials through.
    int windowRequests(qint64 nowMs) const;
    int windowFailures(qint64 nowMs) const;
    qint64 openUntilMs() const { return m_openUntilMs; }
    static const char* stateName(State s);

private:
    // One second of counts. Atomic so that recordSuccessFast() can count without the lock; the array
    // never moves (a config change only changes how many buckets are used).
    struct Bucket {
        std::atomic<qint64> second{-1};
        std::atomic<int> requests{0};
        std::atomic<int> failures{0};
    };
    static constexpr int kMaxBuckets = 600; // BreakerConfig::windowMs is at most 600 s
    Bucket& bucketFor(qint64 second) { return m_buckets[size_t(second % m_bucketCount.load(std::memory_order_relaxed))]; }
    int windowSum(qint64 nowMs, std::atomic<int> Bucket::*field) const;
    void open(qint64 nowMs);
    void clearWindow();

    BreakerConfig m_config;
    State m_state = State::Closed;
    qint64 m_openUntilMs = 0;
    int m_trialsStarted = 0;
    int m_trialSuccesses = 0;
    std::unique_ptr<Bucket[]> m_buckets{new Bucket[kMaxBuckets]};
    std::atomic<int> m_bucketCount{10};  // read by the lock-free path
    std::atomic<bool> m_enabled{true};   // read by the lock-free path
};

} // namespace lab
