#include "LeastConnections.h"

#include "backend/Backend.h"

#include <QVarLengthArray>

namespace lab {

namespace {

QString sentence(const PickNote& n)
{
    QStringList parts;
    for (const PickNote::Entry& e : n.entries)
        parts << QStringLiteral("%1=%2/%3").arg(e.name).arg(e.count).arg(e.other);
    return QStringLiteral("least connections (in flight/weight): %1 → %2").arg(parts.join(QLatin1Char(' ')), n.chosen);
}

void explain(const PickNote& n, QString& out)
{
    out += sentence(n);
}

} // namespace

Backend* LeastConnections::choose(std::span<Backend* const> eligible, const PickContext& context)
{
    // The lowest in-flight/weight, compared exactly; among the tied, the least recently picked.
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
    Backend* best = nullptr;
    quint64 bestTurn = 0;
    for (Backend* b : tied) {
        const quint64 turn = size_t(b->id) < m_pickedAtTurn.size() ? m_pickedAtTurn[size_t(b->id)] : 0;
        if (!best || turn < bestTurn) {
            best = b;
            bestTurn = turn;
        }
    }
    if (size_t(best->id) >= m_pickedAtTurn.size())
        m_pickedAtTurn.resize(size_t(best->id) + 1, 0);
    m_pickedAtTurn[size_t(best->id)] = ++m_turn;
    if (PickNote* note = context.note) {
        note->format = explain;
        for (Backend* b : eligible)
            note->entries.append({b->name, b->activeRequests.load(), weightOf(*b)});
        note->chosen = best->name;
    }
    return best;
}

} // namespace lab
