#include "RoundRobin.h"

#include "backend/Backend.h"

namespace lab {

Backend* RoundRobin::pick(std::span<Backend* const> eligible, const PickContext& context)
{
    const size_t i = size_t(m_next++ % eligible.size());
    if (context.explanation)
        *context.explanation =
            QStringLiteral("round robin: turn %1 of %2 → %3").arg(i + 1).arg(eligible.size()).arg(eligible[i]->name);
    return eligible[i];
}

} // namespace lab
