#include "LeastConnections.h"

#include "backend/Backend.h"

#include <QVarLengthArray>

namespace lab {

Backend* LeastConnections::pick(std::span<Backend* const> eligible, const PickContext& context)
{
    // The lowest in-flight/weight, compared exactly; every backend tied for it takes turns.
    QVarLengthArray<Backend*, 32> tied;
    qint64 bestActive = 0;
    qint64 bestWeight = 1;
    for (Backend* b : eligible) {
        const qint64 active = b->activeRequests.load(std::memory_order_relaxed);
        const qint64 w = weightOf(*b);
        if (tied.isEmpty() || active * bestWeight < bestActive * w) {
            tied.clear();
            bestActive = active;
            bestWeight = w;
        } else if (active * bestWeight != bestActive * w) {
            continue;
        }
        tied.append(b);
    }
    Backend* best = tied[qsizetype(m_next++ % quint64(tied.size()))];
    if (context.explanation) {
        QStringList parts;
        for (Backend* b : eligible)
            parts << QStringLiteral("%1=%2/%3").arg(b->name).arg(b->activeRequests.load()).arg(weightOf(*b));
        *context.explanation = QStringLiteral("least connections (in flight/weight): %1 → %2")
                                   .arg(parts.join(QLatin1Char(' ')), best->name);
    }
    return best;
}

} // namespace lab
