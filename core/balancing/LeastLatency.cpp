#include "LeastLatency.h"

#include "backend/Backend.h"

#include <cmath>

namespace lab {

double LeastLatency::cost(const Backend& b, qint64 nowMs)
{
    const double ewma = b.latencyEwmaMs.load(std::memory_order_relaxed);
    const qint64 at = b.latencyUpdatedMs.load(std::memory_order_relaxed);
    const double decayed = at > 0 && nowMs > at ? ewma * std::exp(-double(nowMs - at) / kDecayMs) : ewma;
    return decayed * double(b.activeRequests.load(std::memory_order_relaxed) + 1);
}

Backend* LeastLatency::pick(std::span<Backend* const> eligible, const PickContext& context)
{
    const size_t n = eligible.size();
    const size_t start = size_t(m_next++ % n);
    Backend* best = nullptr;
    double bestCost = 0;
    for (size_t k = 0; k < n; ++k) {
        Backend* b = eligible[(start + k) % n];
        const double c = cost(*b, context.nowMs) / double(weightOf(*b));
        if (!best || c < bestCost) {
            best = b;
            bestCost = c;
        }
    }
    if (context.explanation) {
        QStringList parts;
        for (Backend* b : eligible)
            parts << QStringLiteral("%1=%2ms×%3")
                         .arg(b->name)
                         .arg(cost(*b, context.nowMs) / double(b->activeRequests.load() + 1), 0, 'f', 1)
                         .arg(b->activeRequests.load() + 1);
        *context.explanation = QStringLiteral("least-latency (EWMA × (in flight+1)): %1 → %2")
                                   .arg(parts.join(QLatin1Char(' ')), best->name);
    }
    return best;
}

} // namespace lab
