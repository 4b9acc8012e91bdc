#include "RoundRobin.h"

#include "backend/Backend.h"

namespace lab {

namespace {

// numbers: the turn taken, the rotation's size, the avoided turn used up before it (0: none, whose
// backend is entries[0]), and how many tried backends nginx's rule left out of the rotation.
void explain(const PickNote& n, QString& out)
{
    out += u"round robin: turn ";
    if (n.numbers[2] != 0) {
        appendNumber(out, n.numbers[2]);
        out += u" of ";
        appendNumber(out, n.numbers[1]);
        out += u" → ";
        out += n.entries.isEmpty() ? QString() : n.entries[0].name;
        out += u", which this retry avoids: the turn is used up; turn ";
    }
    appendNumber(out, n.numbers[0]);
    out += u" of ";
    appendNumber(out, n.numbers[1]);
    if (n.numbers[3] > 0) { // nginx's rule: the rotation is the backends this request has not tried
        out += u" among the backends not tried yet (";
        appendNumber(out, n.numbers[3]);
        if (n.numbers[3] == 1)
            out += u" already tried by this request is left out)";
        else
            out += u" already tried by this request are left out)";
    }
    out += u" → ";
    out += n.chosen;
}

} // namespace

Backend* RoundRobin::choose(std::span<Backend* const> eligible, const PickContext& context)
{
    // A retry under HAProxy's rule walks the whole rotation: a turn that falls on the avoided backend is
    // used up and the next one is taken (the rotation holds at least one backend of `eligible`).
    const bool walk = !context.rotation.empty();
    const std::span<Backend* const> rotation = walk ? context.rotation : eligible;
    size_t skipped = 0; // 1 + the position of the avoided turn used up
    size_t i = size_t(m_next++ % rotation.size());
    for (size_t steps = 1; walk && steps < rotation.size() && context.isAvoided(rotation[i]); ++steps) {
        skipped = i + 1;
        i = size_t(m_next++ % rotation.size());
    }
    if (PickNote* note = context.note) {
        note->format = explain;
        note->numbers = {qint64(i + 1), qint64(rotation.size()), qint64(skipped), qint64(context.triedLeftOut)};
        if (skipped)
            note->entries.append({rotation[skipped - 1]->name});
        note->chosen = rotation[i]->name;
    }
    return rotation[i];
}

} // namespace lab
