#include "LeastConnections.h"

#include "backend/BackendPool.h"

namespace lab {

Backend* LeastConnections::pick(std::span<Backend* const> eligible, const PickContext& context)
{
    const size_t n = eligible.size();
    const size_t start = size_t(m_next++ % n);
    Backend* best = nullptr;
    qint64 bestActive = 0;
    qint64 bestWeight = 1;
    for (size_t k = 0; k < n; ++k) { // scanning from a rotating start breaks ties round robin
        Backend* b = eligible[(start + k) % n];
        const qint64 active = b->activeRequests.load(std::memory_order_relaxed);
        const qint64 w = weightOf(*b);
        if (!best || active * bestWeight < bestActive * w) {
            best = b;
            bestActive = active;
            bestWeight = w;
        }
    }
    if (context.explanation) {
        QStringList parts;
        for (Backend* b : eligible)
            parts << QStringLiteral("%1=%2/%3").arg(b->name).arg(b->activeRequests.load()).arg(weightOf(*b));
        *context.explanation = QStringLiteral("least connections (in flight/weight): %1 → %2").arg(parts.join(QLatin1Char(' ')), best->name);
    }
    return best;
}

} // namespace lab
