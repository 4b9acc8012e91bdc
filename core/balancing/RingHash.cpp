#include "RingHash.h"

#include "backend/Backend.h"

#include <QVarLengthArray>
#include <algorithm>

namespace lab {

void RingHash::rebuildIfNeeded(std::span<Backend* const> eligible)
{
    if (!m_built.stale(eligible))
        return;
    m_ring.clear();
    m_built.rebuiltFor(eligible);
    for (Backend* b : eligible) {
        const int w = weightOf(*b);
        const int points = qMin(kPointsPerWeight * w, 100'000);
        for (int i = 0; i < points; ++i)
            m_ring.emplace_back(hash64(QByteArray(b->nameUtf8 + '#' + QByteArray::number(i))), b->id);
    }
    std::sort(m_ring.begin(), m_ring.end());
}

Backend* RingHash::pick(std::span<Backend* const> eligible, const PickContext& context)
{
    rebuildIfNeeded(eligible);
    const EligibleById eligibleById(eligible);
    const quint64 point = m_key.hashOf(context);
    auto it = std::lower_bound(m_ring.begin(), m_ring.end(), std::make_pair(point, -1));
    Backend* chosen = nullptr;
    int skipped = 0;
    for (size_t n = 0; n < m_ring.size(); ++n, ++it, ++skipped) {
        if (it == m_ring.end())
            it = m_ring.begin(); // the ring wraps
        if ((chosen = eligibleById(it->second)))
            break;
    }
    if (!chosen)
        chosen = eligible.front();
    if (context.explanation)
        *context.explanation =
            QStringLiteral("ring-hash: key \"%1\" → point 0x%2… → %3%4")
                .arg(QString::fromUtf8(m_key.keyOf(context).left(40)))
                .arg(point >> 48, 4, 16, QLatin1Char('0'))
                .arg(chosen->name)
                .arg(skipped ? QStringLiteral(" (skipped %1 points of backends not eligible)").arg(skipped)
                             : QString());
    return chosen;
}

} // namespace lab
