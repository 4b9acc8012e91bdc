#include "RingHash.h"

#include "backend/Backend.h"

#include <algorithm>

namespace lab {

namespace {

// numbers: [0] the point's top 16 bits, [1] points skipped, [2] 1 when there was no usable ring,
// [3] the eligible count then.
QString sentence(const PickNote& n)
{
    const QString head = QStringLiteral("ring-hash: key \"%1\" → point 0x%2…")
                             .arg(QString::fromUtf8(n.key))
                             .arg(quint64(n.numbers[0]), 4, 16, QLatin1Char('0'));
    if (n.numbers[2])
        return head +
            QStringLiteral(" (no ring for these backends yet: hash mod %1) → %2").arg(n.numbers[3]).arg(n.chosen);
    return head +
        QStringLiteral(" → %1%2").arg(
            n.chosen,
            n.numbers[1] ? QStringLiteral(" (skipped %1 points of backends not eligible)").arg(n.numbers[1])
                         : QString());
}

void explain(const PickNote& n, QString& out)
{
    out += sentence(n);
}

} // namespace

void RingHash::rebuild(std::span<Backend* const> members)
{
    auto ring = std::make_shared<Ring>();
    ring->weights.builtFor(members);
    for (Backend* b : members) {
        const int points = qMin(kPointsPerWeight * weightOf(*b), 100'000);
        for (int i = 0; i < points; ++i)
            ring->points.emplace_back(hash64(QByteArray(b->nameUtf8 + '#' + QByteArray::number(i))), b->id);
    }
    std::sort(ring->points.begin(), ring->points.end());
    m_table.publish(std::move(ring));
}

bool RingHash::tableStale(std::span<Backend* const> members) const
{
    const std::shared_ptr<const Ring> ring = m_table.latest();
    return !ring || ring->weights.stale(members);
}

Backend* RingHash::choose(std::span<Backend* const> eligible, const PickContext& context)
{
    const Ring* ring = m_table.current();
    if (!ring || ring->weights.stale(eligible))
        requestRebuild(); // this pick uses what there is
    const quint64 point = m_key.hashOf(context);
    Backend* chosen = nullptr;
    int skipped = 0;
    if (ring) {
        const EligibleById eligibleById(eligible);
        auto it = std::lower_bound(ring->points.begin(), ring->points.end(), std::make_pair(point, -1));
        for (size_t n = 0; n < ring->points.size(); ++n, ++it, ++skipped) {
            if (it == ring->points.end())
                it = ring->points.begin(); // the ring wraps
            if ((chosen = eligibleById(it->second)))
                break;
        }
    }
    const bool noRing = !chosen;
    if (noRing)
        chosen = eligible[size_t(point % eligible.size())];
    if (PickNote* note = context.note) {
        note->format = explain;
        note->key = m_key.keyOf(context).left(40);
        note->numbers = {qint64(point >> 48), skipped, noRing ? 1 : 0, qint64(eligible.size())};
        note->chosen = chosen->name;
    }
    return chosen;
}

} // namespace lab
