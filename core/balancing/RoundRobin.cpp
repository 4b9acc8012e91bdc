#include "RoundRobin.h"

#include "backend/Backend.h"

namespace lab {

namespace {

QString explain(const PickNote& n)
{
    return QStringLiteral("round robin: turn %1 of %2 → %3").arg(n.numbers[0]).arg(n.numbers[1]).arg(n.chosen);
}

} // namespace

Backend* RoundRobin::choose(std::span<Backend* const> eligible, const PickContext& context)
{
    const size_t i = size_t(m_next++ % eligible.size());
    if (PickNote* note = context.note) {
        note->format = explain;
        note->numbers = {qint64(i + 1), qint64(eligible.size())};
        note->chosen = eligible[i]->name;
    }
    return eligible[i];
}

} // namespace lab
