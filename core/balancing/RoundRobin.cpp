#include "RoundRobin.h"

#include "backend/Backend.h"

namespace lab {

namespace {

void explain(const PickNote& n, QString& out)
{
    out += u"round robin: turn ";
    appendNumber(out, n.numbers[0]);
    out += u" of ";
    appendNumber(out, n.numbers[1]);
    out += u" → ";
    out += n.chosen;
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
