#pragma once

#include "config/LabConfig.h"

#include <QtGlobal>
#include <atomic>
#include <memory>

namespace lab {

// Which half-open round of a circuit breaker a request is a trial of; round 0 = not a trial.
struct BreakerTrial {
    quint64 round = 0;
    bool isTrial() const { return round != 0; }
};

// A per-backend circuit breaker. Closed: requests flow and results are counted in a sliding window of
// one-second buckets; when at least minRequests in the window failed at failurePercent or more, it opens.
// Open: the backend gets no traffic for openMs. Then half-open: up to halfOpenRequests trial requests go
// through; that many successes close it, any failed trial opens it again.
//
// Every trial ends exactly once: success, failure, or abandoned (the client went away, the answer was
// thrown away, the request was refused mid-exchange). An abandoned trial frees its slot and counts neither
// way. Half-open also ends by time: when trials are outstanding and none has reported within openMs of the
// first one being let through, they are forgotten (a new round of trials starts, their slots are free
// again). A forgotten trial's late outcome is still evidence (a failure opens, a success counts towards
// closing) but frees no slot of the new round. Outcomes of requests that were not trials of this half-open
// period (sent while it was closed, or during an earlier one) are ignored while open or half-open.
// Why forget instead of reopening: a lost outcome says nothing about the backend, and reopening a
// backend that answers would cost its whole share for another openMs.
//
// Only advance() (time), record(), abandon() and setConfig() change the state; each returns the Change it
// made so that the caller publishes it. state() and allows() only read. Pure: the caller passes the time
// and does the locking.
class CircuitBreaker final {
public:
    enum class State { Closed, Open, HalfOpen };
    // What a call changed; None for most calls.
    enum class Change {
        None,
        Opened, // closed → open: the failure ratio crossed the threshold
        Reopened, // half-open → open: a trial failed
        HalfOpened, // open → half-open: openMs is over
        TrialsRenewed, // half-open → half-open: outstanding trials forgotten after openMs
        Closed, // half-open → closed: enough trials succeeded
        SwitchedOff, // open or half-open → closed: the breaker was disabled
    };
    using Trial = BreakerTrial;

    explicit CircuitBreaker(const BreakerConfig& config = {});
    Change setConfig(const BreakerConfig& config);
    const BreakerConfig& config() const { return m_config; }

    State state() const { return m_state; }
    // The time-driven transitions due at `nowMs`: open → half-open, and forgetting trials that did not
    // report within openMs.
    Change advance(qint64 nowMs);
    // Whether a request may go now; in HalfOpen only while trial slots are left. Call advance() first.
    bool allows() const;
    // The balancer picked this backend for a request: in HalfOpen that takes a trial slot, returned so that
    // the request's outcome can give it back.
    Trial onPicked(qint64 nowMs);
    // One request's outcome (`trial` as onPicked returned it).
    Change record(bool success, qint64 nowMs, Trial trial = {});
    // The request ended without an outcome: frees its trial slot, counts neither way.
    void abandon(Trial trial);
    // The hot path for the common case, safe without the caller's lock: counts a success while the
    // breaker is closed and the current second's bucket is already in use. False when the caller must
    // take the lock and call record() instead. (A success can then at most delay opening by one request:
    // only failures are checked against the threshold on this path.)
    bool recordSuccessFast(qint64 nowMs);

    // What the window shows: requests and failures in the current window, when an open breaker will let
    // trials through, and how many trials are out now.
    int windowRequests(qint64 nowMs) const;
    int windowFailures(qint64 nowMs) const;
    qint64 openUntilMs() const { return m_openUntilMs; }
    int trialsInFlight() const { return m_trialsInFlight; }

private:
    // One second of counts. Atomic so that recordSuccessFast() can count without the lock; the array
    // never moves (a config change only changes how many buckets are used).
    struct Bucket {
        std::atomic<qint64> second{-1};
        std::atomic<int> requests{0};
        std::atomic<int> failures{0};
    };
    static constexpr int kMaxBuckets = 600; // BreakerConfig::windowMs is at most 600 s
    Bucket& bucketFor(qint64 second)
    {
        return m_buckets[size_t(second % m_bucketCount.load(std::memory_order_relaxed))];
    }
    int windowSum(qint64 nowMs, std::atomic<int> Bucket::*field) const;
    void open(qint64 nowMs);
    void startRound();
    void clearWindow();

    BreakerConfig m_config;
    State m_state = State::Closed;
    qint64 m_openUntilMs = 0;
    quint64 m_round = 0; // the current trial round; grows by one per round, never reused
    quint64 m_periodFirstRound = 0; // the first round of this half-open period
    int m_trialsInFlight = 0; // trials of the current round without an outcome yet
    int m_trialSuccesses = 0; // in this half-open period
    qint64 m_trialsDueMs = 0; // outstanding trials are forgotten at this time
    std::unique_ptr<Bucket[]> m_buckets{new Bucket[kMaxBuckets]};
    std::atomic<int> m_bucketCount{10}; // read by the lock-free path
    std::atomic<bool> m_enabled{true}; // read by the lock-free path
};

} // namespace lab
