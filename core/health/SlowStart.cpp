#include "SlowStart.h"

#include "backend/Backend.h"

namespace lab::SlowStart {

bool begin(Backend& b, qint64 nowMs, int windowMs)
{
    if (windowMs <= 0)
        return false;
    b.slowStartSinceMs.store(qMax<qint64>(1, nowMs), std::memory_order_relaxed);
    b.mark(HealthMark::Kind::SlowStart, nowMs);
    return true;
}

double factor(const Backend& b, qint64 nowMs, int windowMs)
{
    const qint64 since = b.slowStartSinceMs.load(std::memory_order_relaxed);
    if (since == 0 || windowMs <= 0)
        return 1.0;
    return qMin(1.0, 0.1 + 0.9 * double(nowMs - since) / double(windowMs));
}

bool endIfDone(Backend& b, qint64 nowMs, int windowMs)
{
    if (b.slowStartSinceMs.load(std::memory_order_relaxed) == 0 || factor(b, nowMs, windowMs) < 1.0)
        return false;
    b.slowStartSinceMs.store(0, std::memory_order_relaxed);
    return true;
}

} // namespace lab::SlowStart
