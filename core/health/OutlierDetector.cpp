#include "OutlierDetector.h"

#include "backend/Backend.h"

namespace lab {

void OutlierDetector::onSuccess(Backend& b)
{
    if (b.consecutiveFailures.load(std::memory_order_relaxed) != 0)
        b.consecutiveFailures.store(0, std::memory_order_relaxed);
    if (b.ejectionRefused.load(std::memory_order_relaxed))
        b.ejectionRefused.store(false, std::memory_order_relaxed);
}

OutlierDetector::Verdict OutlierDetector::onFailure(Backend& b, qint64 nowMs, int ejectedNow, int poolSize) const
{
    const int n = b.consecutiveFailures.fetch_add(1, std::memory_order_relaxed) + 1;
    Verdict v;
    v.ejectedNow = ejectedNow;
    v.poolSize = poolSize;
    if (!m_config.enabled || n < m_config.consecutiveFailures || b.ejected(nowMs))
        return v;
    b.consecutiveFailures.store(0, std::memory_order_relaxed); // a new run starts (and is reported once)
    if ((ejectedNow + 1) * 100 > m_config.maxEjectionPercent * poolSize) {
        // Reported once while the refusal lasts (until a success or an ejection), not after every run of
        // failures: under load that was a line every few milliseconds, drowning the state changes.
        if (!b.ejectionRefused.exchange(true, std::memory_order_relaxed))
            v.kind = Verdict::Kind::ShareLimit;
        return v;
    }
    b.ejectionRefused.store(false, std::memory_order_relaxed);
    v.kind = Verdict::Kind::Ejected;
    v.count = b.ejections.fetch_add(1, std::memory_order_relaxed) + 1;
    v.durationMs = ejectionMs(v.count);
    // The last ejection may have run out moments ago without housekeeping (every 100 ms) having marked
    // its end yet: mark it now, at the time it ended, so the timeline keeps it as a band of its own.
    const qint64 previousUntil = b.ejectedUntilMs.exchange(nowMs + v.durationMs, std::memory_order_relaxed);
    if (previousUntil != 0)
        b.mark(HealthMark::Kind::Returned, previousUntil);
    b.mark(HealthMark::Kind::Ejected, nowMs);
    return v;
}

qint64 OutlierDetector::ejectionMs(int count) const
{
    return qMin<qint64>(qint64(m_config.baseEjectionMs) * count, m_config.maxEjectionMs);
}

bool OutlierDetector::endIfOver(Backend& b, qint64 nowMs)
{
    qint64 until = b.ejectedUntilMs.load(std::memory_order_relaxed);
    if (until == 0 || until > nowMs || !b.ejectedUntilMs.compare_exchange_strong(until, 0))
        return false;
    b.mark(HealthMark::Kind::Returned, nowMs);
    return true;
}

bool OutlierDetector::lift(Backend& b, qint64 nowMs)
{
    if (b.ejectedUntilMs.exchange(0) == 0)
        return false;
    b.mark(HealthMark::Kind::Returned, nowMs);
    return true;
}

} // namespace lab
