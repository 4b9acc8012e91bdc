#pragma once

#include "backend/BackendIds.h"
#include "health/CircuitBreaker.h"

#include <QByteArray>
#include <QMutex>
#include <QString>
#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

namespace lab {

// One mark on a backend's health timeline (what the window draws: probe ticks and state bands).
struct HealthMark {
    enum class Kind {
        ProbePassed,
        ProbeFailed,
        Down,
        Up,
        Ejected,
        Returned,
        BreakerOpen,
        BreakerHalfOpen,
        BreakerClosed,
        SlowStart
    };
    qint64 atMs = 0; // steady clock
    Kind kind = Kind::ProbePassed;
};

// The size of a cache line on the machines the lab runs on (x86-64, most arm64): the unit in which two
// cores' writes to neighbouring fields collide. (std::hardware_destructive_interference_size would say
// the same, but GCC warns that its value may change between compiler versions and so across an ABI.)
inline constexpr std::size_t kBackendHotLine = 64;

// A backend as the proxy sees it (nginx's peer: config fields apart from runtime fields).
//
// Identity and config: set once when the pool adds it, except the weight and the operator's
// enabled/draining choice, which the operator changes while it runs.
//
// Runtime state, written from any thread: the counters and the verdicts. Three verdicts are kept apart
// and combined only by classify() (health/Eligibility.h): "enabled" is the operator's choice (false =
// draining); "healthy" is the active probes'; "ejected" / the circuit breaker / the short passive hold
// after a refused connection are the proxy's own verdicts from real traffic. Times are ms on the pool's
// steady Clock.
struct Backend {
    // ---- identity and config ------------------------------------------------------------------------
    int id = 0; // index for per-worker metrics; never reused within a pool
    QString name;
    QByteArray nameUtf8;
    QString host;
    quint16 port = 0;
    QByteArray hostHeader; // "host:port", sent when the client gave no Host (HTTP/1.0)
    std::atomic<int> weight{1};
    std::atomic<bool> enabled{true}; // false: draining (no new requests; in-flight ones finish)

    // ---- runtime state: counters ----------------------------------------------------------------------
    // Written by every worker on every request (two of them per attempt), so they get a cache line of
    // their own (kBackendHotLine): sharing one with the verdicts below, which every pick on every worker
    // reads, made each write evict the line the other worker's pick was about to read.
    alignas(kBackendHotLine) std::atomic<int> activeRequests{0}; // in flight on any worker
    std::atomic<double> latencyEwmaMs{0}; // peak EWMA of observed latency (least-latency)
    std::atomic<qint64> latencyUpdatedMs{0};

    // ---- runtime state: verdicts ----------------------------------------------------------------------
    // Read by every pick, written only when a verdict changes (and consecutive5xx on failures).
    alignas(kBackendHotLine) std::atomic<bool> healthy{true}; // the active checks' verdict
    std::atomic<qint64> passiveDownUntilMs{0}; // skipped until then after a refused connection
    std::atomic<qint64> ejectedUntilMs{0}; // outlier detection: not picked until then; 0 = not ejected
    std::atomic<int> ejections{0}; // how many times so far (the next one lasts longer)
    std::atomic<int> consecutiveFailures{0}; // on real traffic, reset by any success
    std::atomic<int> consecutive5xx{0}; // the tail of that run that were 5xx answers (not refused/reset/timeout)
    std::atomic<bool> ejectionRefused{false}; // the max-ejection share kept it in; said once, reset by a success
    std::atomic<qint64> slowStartSinceMs{0}; // ramping up since then; 0 = full share
    std::atomic<int> breakerState{0}; // CircuitBreaker::State, mirrored for lock-free readers

    mutable QMutex breakerMutex;
    CircuitBreaker breaker; // guarded by breakerMutex

    bool passivelyDown(qint64 nowMs) const { return passiveDownUntilMs.load(std::memory_order_relaxed) > nowMs; }
    bool ejected(qint64 nowMs) const { return ejectedUntilMs.load(std::memory_order_relaxed) > nowMs; }
    CircuitBreaker::State breakerNow() const
    {
        return CircuitBreaker::State(breakerState.load(std::memory_order_relaxed));
    }

    // ---- runtime state: why the passive verdicts fell, in words (the board's state tooltip) -------------
    // "ejected: 5 consecutive 5xx (queue full)": set by the pool at each ejection; "503 queue full": the
    // last failed attempt. Any thread; a short lock of its own.
    void setPassiveCauses(const QString& ejection, const QString& lastFailure);
    QString ejectionCause() const;
    QString lastFailure() const;

    // ---- runtime state: the health timeline, bounded; any thread appends, the window reads ------------
    void mark(HealthMark::Kind kind, qint64 atMs);
    std::vector<HealthMark> marksSince(qint64 fromMs) const;

private:
    mutable QMutex m_causeMutex;
    QString m_ejectionCause;
    QString m_lastFailure;
    mutable QMutex m_timelineMutex;
    std::deque<HealthMark> m_timeline;
};

using BackendPtr = std::shared_ptr<Backend>;

} // namespace lab
