#include "PowerOfTwoChoices.h"

#include "backend/Backend.h"

namespace lab {

Backend* PowerOfTwoChoices::pick(std::span<Backend* const> eligible, const PickContext& context)
{
    const size_t n = eligible.size();
    if (n == 1) {
        if (context.explanation)
            *context.explanation = QStringLiteral("P2C: only %1 is eligible").arg(eligible[0]->name);
        return eligible[0];
    }
    const size_t i = size_t(m_random() % n);
    size_t j = size_t(m_random() % (n - 1));
    if (j >= i)
        ++j; // two different backends
    Backend* a = eligible[i];
    Backend* b = eligible[j];
    const qint64 la = a->activeRequests.load(std::memory_order_relaxed);
    const qint64 lb = b->activeRequests.load(std::memory_order_relaxed);
    Backend* chosen = lb * weightOf(*a) < la * weightOf(*b) ? b : a;
    if (context.explanation)
        *context.explanation = QStringLiteral("P2C: drew %1(%2 active) and %3(%4 active) → %5")
                                   .arg(a->name)
                                   .arg(la)
                                   .arg(b->name)
                                   .arg(lb)
                                   .arg(chosen->name);
    return chosen;
}

} // namespace lab
