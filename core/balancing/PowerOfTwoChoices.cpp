#include "PowerOfTwoChoices.h"

#include "backend/Backend.h"

namespace lab {

namespace {

QString sentence(const PickNote& n)
{
    if (n.entries.size() < 2)
        return QStringLiteral("P2C: only %1 is eligible").arg(n.chosen);
    const PickNote::Entry& a = n.entries[0];
    const PickNote::Entry& b = n.entries[1];
    return QStringLiteral("P2C: drew %1(%2 active) and %3(%4 active) → %5")
        .arg(a.name)
        .arg(a.count)
        .arg(b.name)
        .arg(b.count)
        .arg(n.chosen);
}

void explain(const PickNote& n, QString& out)
{
    out += sentence(n);
}

} // namespace

Backend* PowerOfTwoChoices::choose(std::span<Backend* const> eligible, const PickContext& context)
{
    const size_t n = eligible.size();
    if (n == 1) {
        if (PickNote* note = context.note) {
            note->format = explain;
            note->chosen = eligible[0]->name;
        }
        return eligible[0];
    }
    const size_t i = size_t(m_random() % n);
    size_t j = size_t(m_random() % (n - 1));
    if (j >= i)
        ++j; // two different backends
    Backend* a = eligible[i];
    Backend* b = eligible[j];
    const qint64 la = a->activeRequests.load(std::memory_order_relaxed);
    const qint64 lb = b->activeRequests.load(std::memory_order_relaxed);
    Backend* chosen = lb * weightOf(*a) < la * weightOf(*b) ? b : a;
    if (PickNote* note = context.note) {
        note->format = explain;
        note->entries.append({a->name, la});
        note->entries.append({b->name, lb});
        note->chosen = chosen->name;
    }
    return chosen;
}

} // namespace lab
