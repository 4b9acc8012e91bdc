#include "WeightedRoundRobin.h"

#include "backend/Backend.h"

namespace lab {

Backend* WeightedRoundRobin::pick(std::span<Backend* const> eligible, const PickContext& context)
{
    if (m_current.size() < size_t(kMaxBackendIds))
        m_current.assign(kMaxBackendIds, 0);
    qint64 total = 0;
    Backend* best = nullptr;
    qint64 bestScore = 0;
    for (Backend* b : eligible) {
        const int w = weightOf(*b);
        qint64& current = m_current[size_t(b->id)];
        current += w;
        total += w;
        if (!best || current > bestScore) {
            best = b;
            bestScore = current;
        }
    }
    if (context.explanation) {
        QStringList parts;
        for (Backend* b : eligible)
            parts << QStringLiteral("%1=%2").arg(b->name).arg(m_current[size_t(b->id)]);
        *context.explanation =
            QStringLiteral("smooth WRR: current weights %1 → %2").arg(parts.join(QLatin1Char(' ')), best->name);
    }
    m_current[size_t(best->id)] -= total;
    return best;
}

} // namespace lab
