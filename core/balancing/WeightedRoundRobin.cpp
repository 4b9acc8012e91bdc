#include "WeightedRoundRobin.h"

#include "backend/Backend.h"

namespace lab {

namespace {

void appendWeights(QString& out, const PickNote& n, qsizetype from, qsizetype to)
{
    for (qsizetype i = from; i < to; ++i) {
        if (i > from)
            out += u' ';
        out += n.entries[i].name;
        out += u'=';
        appendNumber(out, n.entries[i].count);
    }
}

// entries: the current weights of each step, in the rotation's order. numbers[0]: how many of them belong
// to a first step whose winner the retry avoids (0: one step), numbers[1]: that winner's position.
void explain(const PickNote& n, QString& out)
{
    const qsizetype first = n.numbers[0];
    out += u"smooth WRR: current weights ";
    if (first > 0 && first < n.entries.size()) {
        appendWeights(out, n, 0, first);
        out += u" → ";
        out += n.entries[n.numbers[1]].name;
        out += u", which this retry avoids: its turn is used up; then ";
    }
    appendWeights(out, n, first > 0 ? first : 0, n.entries.size());
    out += u" → ";
    out += n.chosen;
}

} // namespace

WeightedRoundRobin::Step WeightedRoundRobin::step(std::span<Backend* const> members, std::span<Backend* const> passOver,
                                                  PickNote* note)
{
    if (m_current.size() < size_t(kMaxBackendIds))
        m_current.assign(kMaxBackendIds, 0);
    Step s;
    qint64 bestScore = 0;
    for (Backend* b : members) {
        const int w = weightOf(*b);
        qint64& current = m_current[size_t(b->id)];
        current += w;
        s.total += w;
        if (std::find(passOver.begin(), passOver.end(), b) != passOver.end())
            continue;
        if (!s.best || current > bestScore) {
            s.best = b;
            bestScore = current;
        }
    }
    if (note) {
        for (Backend* b : members)
            note->entries.append({b->name, m_current[size_t(b->id)]});
    }
    m_current[size_t(s.best->id)] -= s.total;
    return s;
}

Backend* WeightedRoundRobin::choose(std::span<Backend* const> eligible, const PickContext& context)
{
    PickNote* note = context.note;
    if (note)
        note->format = explain;
    Backend* chosen = nullptr;
    if (context.rotation.empty()) {
        chosen = step(eligible, {}, note).best;
    } else {
        // A retry under HAProxy's rule: a step of the whole rotation. When the avoided backend wins it,
        // its turn is used up (as fwrr advances the avoided server's position) and a second step goes to
        // the best of the others; the avoided one gains its weight in that one too, so it stays ahead.
        chosen = step(context.rotation, {}, note).best;
        if (context.isAvoided(chosen)) {
            if (note) {
                note->numbers[0] = note->entries.size();
                note->numbers[1] = qint64(std::find(context.rotation.begin(), context.rotation.end(), chosen) -
                                          context.rotation.begin());
            }
            chosen = step(context.rotation, context.avoided, note).best;
        }
    }
    if (note)
        note->chosen = chosen->name;
    return chosen;
}

} // namespace lab
