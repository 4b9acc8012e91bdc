#include "Maglev.h"

#include "backend/Backend.h"

#include <QVarLengthArray>

namespace lab {

void Maglev::rebuildIfNeeded(std::span<Backend* const> eligible)
{
    if (!m_table.empty() && !m_built.stale(eligible))
        return;
    m_built.rebuiltFor(eligible);
    const size_t n = eligible.size();
    const quint64 m = kTableSize;
    std::vector<quint64> offset(n), skip(n), next(n, 0);
    std::vector<double> weight(n), credit(n, 0.0);
    double maxWeight = 1;
    for (size_t i = 0; i < n; ++i) {
        const Backend* b = eligible[i];
        offset[i] = hash64(b->nameUtf8, 0x6d61676c6576ULL) % m;
        skip[i] = hash64(b->nameUtf8, 0x736b6970ULL) % (m - 1) + 1;
        weight[i] = weightOf(*b);
        maxWeight = qMax(maxWeight, weight[i]);
    }
    m_table.assign(kTableSize, -1);
    quint64 filled = 0;
    while (filled < m) {
        for (size_t i = 0; i < n && filled < m; ++i) {
            credit[i] += weight[i] / maxWeight; // heavier backends get more turns
            if (credit[i] < 1.0)
                continue;
            credit[i] -= 1.0;
            quint64 slot = (offset[i] + next[i] * skip[i]) % m;
            while (m_table[size_t(slot)] >= 0) {
                ++next[i];
                slot = (offset[i] + next[i] * skip[i]) % m;
            }
            m_table[size_t(slot)] = eligible[i]->id;
            ++next[i];
            ++filled;
        }
    }
}

std::vector<int> Maglev::slotCounts() const
{
    std::vector<int> counts(kMaxBackendIds, 0);
    for (int id : m_table)
        if (id >= 0)
            ++counts[size_t(id)];
    return counts;
}

Backend* Maglev::pick(std::span<Backend* const> eligible, const PickContext& context)
{
    rebuildIfNeeded(eligible);
    const EligibleById eligibleById(eligible);
    const quint64 h = m_key.hashOf(context);
    size_t slot = size_t(h % kTableSize);
    const size_t first = slot;
    Backend* chosen = nullptr;
    for (int n = 0; n < kTableSize; ++n, slot = (slot + 1) % kTableSize) {
        if ((chosen = eligibleById(m_table[slot])))
            break;
    }
    if (!chosen)
        chosen = eligible.front();
    if (context.explanation)
        *context.explanation =
            QStringLiteral("maglev: key \"%1\" → slot %2 of %3 → %4%5")
                .arg(QString::fromUtf8(m_key.keyOf(context).left(40)))
                .arg(first)
                .arg(kTableSize)
                .arg(chosen->name)
                .arg(slot != first ? QStringLiteral(" (slot %1: the first eligible after it)").arg(slot) : QString());
    return chosen;
}

} // namespace lab
