#include "WeightedRoundRobin.h"

#include "backend/Backend.h"

namespace lab {

namespace {

QString sentence(const PickNote& n)
{
    QStringList parts;
    for (const PickNote::Entry& e : n.entries)
        parts << QStringLiteral("%1=%2").arg(e.name).arg(e.count);
    return QStringLiteral("smooth WRR: current weights %1 → %2").arg(parts.join(QLatin1Char(' ')), n.chosen);
}

void explain(const PickNote& n, QString& out)
{
    out += sentence(n);
}

} // namespace

Backend* WeightedRoundRobin::choose(std::span<Backend* const> eligible, const PickContext& context)
{
    if (m_current.size() < size_t(kMaxBackendIds))
        m_current.assign(kMaxBackendIds, 0);
    qint64 total = 0;
    Backend* best = nullptr;
    qint64 bestScore = 0;
    for (Backend* b : eligible) {
        const int w = weightOf(*b);
        qint64& current = m_current[size_t(b->id)];
        current += w;
        total += w;
        if (!best || current > bestScore) {
            best = b;
            bestScore = current;
        }
    }
    if (PickNote* note = context.note) {
        note->format = explain;
        for (Backend* b : eligible)
            note->entries.append({b->name, m_current[size_t(b->id)]});
        note->chosen = best->name;
    }
    m_current[size_t(best->id)] -= total;
    return best;
}

} // namespace lab
