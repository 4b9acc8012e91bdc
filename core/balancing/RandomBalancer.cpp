#include "RandomBalancer.h"

#include "backend/Backend.h"

namespace lab {

namespace {

void explain(const PickNote& n, QString& out)
{
    out += u"random: drew ";
    appendNumber(out, n.numbers[0]);
    out += u" of total weight ";
    appendNumber(out, n.numbers[1]);
    out += u" → ";
    out += n.chosen;
}

} // namespace

Backend* RandomBalancer::choose(std::span<Backend* const> eligible, const PickContext& context)
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
    if (PickNote* note = context.note) {
        note->format = explain;
        note->numbers = {qint64(r), qint64(total)};
        note->chosen = chosen->name;
    }
    return chosen;
}

} // namespace lab
