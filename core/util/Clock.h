#pragma once

#include <QDateTime>
#include <QtGlobal>
#include <atomic>
#include <memory>

namespace lab {

// Where core/ reads time (Envoy's TimeSource): a steady clock in milliseconds for everything timed
// (holds, ejections, breaker windows, slow start, flood windows), and the wall clock only to stamp what a
// person reads (event times). The pool, the event log, the request trace, the health checker and, through
// them, the circuit breaker are given one; a test gives them a ManualClock and moves time by hand, so
// panic, ejection, slow start and the breaker are tested without sockets and without sleeping.
// Thread-safe: any thread may read; nowMs() is cheap (no lock, no allocation).
class Clock {
public:
    virtual ~Clock() = default;
    // Milliseconds on a steady clock (never goes back; its zero means nothing).
    virtual qint64 nowMs() const = 0;
    // The wall-clock time now, for display.
    virtual QDateTime wallNow() const = 0;

    // The real clock, shared by everything that was given no other.
    static std::shared_ptr<const Clock> steady();
};

// std::chrono::steady_clock and QDateTime::currentDateTime().
class SteadyClock final : public Clock {
public:
    qint64 nowMs() const override;
    QDateTime wallNow() const override;
};

// A clock that moves only when told (tests). Starts at `startMs` (not 0: 0 means "never" in several
// places) and a fixed wall time; wallNow() moves with it.
class ManualClock final : public Clock {
public:
    explicit ManualClock(qint64 startMs = 1'000'000);
    qint64 nowMs() const override { return m_nowMs.load(std::memory_order_relaxed); }
    QDateTime wallNow() const override;
    void advance(qint64 ms) { m_nowMs.fetch_add(ms, std::memory_order_relaxed); }
    void set(qint64 nowMs) { m_nowMs.store(nowMs, std::memory_order_relaxed); }

private:
    const qint64 m_startMs;
    const QDateTime m_wallAtStart;
    std::atomic<qint64> m_nowMs;
};

// The real steady clock's nowMs(), for the places that time their own work (connection gates, idle
// upstream connections) and are not subjects of time-driven tests.
qint64 steadyNowMs();

// The steady clock (CLOCK_MONOTONIC, ns) as this thread's event loop last read it, or 0 on a thread
// whose loop does not keep it. The proxy's epoll workers read the clock once after every wake-up and
// before their timers (as nginx keeps ngx_current_msec), and SteadyClock::nowMs(), steadyNowMs() and
// the connection deadlines on such a thread return that reading: the per-request reads (sampling,
// picks, the lifecycle stream, deadlines) cost a load instead of a clock_gettime each. The reading is
// behind by at most the pass being handled (microseconds under load): fine for millisecond decisions
// and deadlines; what measures an exchange's latency still reads the clock itself (QElapsedTimer).
inline thread_local qint64 t_loopNowNs = 0;
inline qint64 loopNowNs()
{
    return t_loopNowNs;
}
// Reads CLOCK_MONOTONIC; with `keep`, also makes it this thread's loop time (the event loop's call).
qint64 readSteadyNs(bool keep = false);

} // namespace lab
