#include "Maglev.h"

#include "backend/Backend.h"

namespace lab {

namespace {

// numbers: [0] the key's slot, [1] the slot that answered, [2] 1 when there was no usable table,
// [3] the eligible count then.
QString sentence(const PickNote& n)
{
    const QString head = QStringLiteral("maglev: key \"%1\" → slot %2 of %3")
                             .arg(QString::fromUtf8(n.key))
                             .arg(n.numbers[0])
                             .arg(Maglev::kTableSize);
    if (n.numbers[2])
        return head +
            QStringLiteral(" (no table for these backends yet: hash mod %1) → %2").arg(n.numbers[3]).arg(n.chosen);
    return head +
        QStringLiteral(" → %1%2").arg(n.chosen,
                                      n.numbers[1] != n.numbers[0]
                                          ? QStringLiteral(" (slot %1: the first eligible after it)").arg(n.numbers[1])
                                          : QString());
}

void explain(const PickNote& n, QString& out)
{
    out += sentence(n);
}

} // namespace

void Maglev::rebuild(std::span<Backend* const> members)
{
    auto table = std::make_shared<Slots>();
    table->weights.builtFor(members);
    table->slots.assign(kTableSize, -1);
    table->members = members.size();
    const size_t n = members.size();
    const quint64 m = kTableSize;
    std::vector<quint64> offset(n), skip(n), next(n, 0);
    std::vector<double> weight(n), credit(n, 0.0);
    double maxWeight = 1;
    for (size_t i = 0; i < n; ++i) {
        const Backend* b = members[i];
        offset[i] = hash64(b->nameUtf8, 0x6d61676c6576ULL) % m;
        skip[i] = hash64(b->nameUtf8, 0x736b6970ULL) % (m - 1) + 1;
        weight[i] = weightOf(*b);
        maxWeight = qMax(maxWeight, weight[i]);
    }
    std::vector<int>& slots = table->slots;
    quint64 filled = n ? 0 : m; // no members: every slot stays empty
    while (filled < m) {
        for (size_t i = 0; i < n && filled < m; ++i) {
            credit[i] += weight[i] / maxWeight; // heavier backends get more turns
            if (credit[i] < 1.0)
                continue;
            credit[i] -= 1.0;
            quint64 slot = (offset[i] + next[i] * skip[i]) % m;
            while (slots[size_t(slot)] >= 0) {
                ++next[i];
                slot = (offset[i] + next[i] * skip[i]) % m;
            }
            slots[size_t(slot)] = members[i]->id;
            ++next[i];
            ++filled;
        }
    }
    m_table.publish(std::move(table));
}

std::vector<int> Maglev::slotCounts() const
{
    const std::shared_ptr<const Slots> table = m_table.latest();
    if (!table)
        return {};
    std::vector<int> counts(kMaxBackendIds, 0);
    for (int id : table->slots)
        if (id >= 0)
            ++counts[size_t(id)];
    return counts;
}

bool Maglev::tableStale(std::span<Backend* const> members) const
{
    const std::shared_ptr<const Slots> table = m_table.latest();
    return !table || table->weights.stale(members);
}

Backend* Maglev::choose(std::span<Backend* const> eligible, const PickContext& context)
{
    const Slots* table = m_table.current();
    if (!table || table->weights.stale(eligible))
        requestRebuild(); // this pick uses what there is
    const quint64 h = m_key.hashOf(context);
    size_t slot = size_t(h % kTableSize);
    const size_t first = slot;
    Backend* chosen = nullptr;
    if (table && table->members) {
        const EligibleById eligibleById(eligible);
        for (int n = 0; n < kTableSize; ++n, slot = (slot + 1) % kTableSize) {
            if ((chosen = eligibleById(table->slots[slot])))
                break;
        }
    }
    const bool noTable = !chosen;
    if (noTable)
        chosen = eligible[size_t(h % eligible.size())];
    if (PickNote* note = context.note) {
        note->format = explain;
        note->key = m_key.keyOf(context).left(40);
        note->numbers = {qint64(first), qint64(slot), noTable ? 1 : 0, qint64(eligible.size())};
        note->chosen = chosen->name;
    }
    return chosen;
}

} // namespace lab
