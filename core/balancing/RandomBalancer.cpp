#include "RandomBalancer.h"

#include "backend/Backend.h"

namespace lab {

Backend* RandomBalancer::pick(std::span<Backend* const> eligible, const PickContext& context)
{
    quint64 total = 0;
    for (Backend* b : eligible)
        total += quint64(weightOf(*b));
    const quint64 r = m_random() % total;
    quint64 acc = 0;
    Backend* chosen = eligible.back();
    for (Backend* b : eligible) {
        acc += quint64(weightOf(*b));
        if (r < acc) {
            chosen = b;
            break;
        }
    }
    if (context.explanation)
        *context.explanation =
            QStringLiteral("random: drew %1 of total weight %2 → %3").arg(r).arg(total).arg(chosen->name);
    return chosen;
}

} // namespace lab
