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

} // namespace lab
