#include "LeastLatency.h"

#include "backend/Backend.h"

#include <cmath>

namespace lab {

namespace {

QString sentence(const PickNote& n)
{
    QStringList parts;
    for (const PickNote::Entry& e : n.entries)
        parts << QStringLiteral("%1=%2ms×%3").arg(e.name).arg(e.value, 0, 'f', 1).arg(e.count);
    return QStringLiteral("least-latency (EWMA × (in flight+1)): %1 → %2").arg(parts.join(QLatin1Char(' ')), n.chosen);
}

void explain(const PickNote& n, QString& out)
{
    out += sentence(n);
}

} // namespace

void LeastLatency::observe(Backend& b, double ms, qint64 nowMs)
{
    // Peak EWMA: a slower sample takes over at once, faster ones pull the average down over ~kDecayMs.
    const double old = b.latencyEwmaMs.load(std::memory_order_relaxed);
    const qint64 at = b.latencyUpdatedMs.load(std::memory_order_relaxed);
    double next = ms;
    if (ms < old && at > 0) {
        const double w = std::exp(-double(qMax<qint64>(0, nowMs - at)) / kDecayMs);
        next = old * w + ms * (1 - w);
    }
    b.latencyEwmaMs.store(next, std::memory_order_relaxed);
    b.latencyUpdatedMs.store(qMax<qint64>(1, nowMs), std::memory_order_relaxed);
}

double LeastLatency::cost(const Backend& b, qint64 nowMs)
{
    const double ewma = b.latencyEwmaMs.load(std::memory_order_relaxed);
    const qint64 at = b.latencyUpdatedMs.load(std::memory_order_relaxed);
    const double decayed = at > 0 && nowMs > at ? ewma * std::exp(-double(nowMs - at) / kDecayMs) : ewma;
    return decayed * double(b.activeRequests.load(std::memory_order_relaxed) + 1);
}

Backend* LeastLatency::choose(std::span<Backend* const> eligible, const PickContext& context)
{
    const size_t n = eligible.size();
    const size_t start = size_t(m_next++ % n);
    Backend* best = nullptr;
    double bestCost = 0;
    for (size_t k = 0; k < n; ++k) {
        Backend* b = eligible[(start + k) % n];
        const double c = cost(*b, context.nowMs) / double(weightOf(*b));
        if (!best || c < bestCost) {
            best = b;
            bestCost = c;
        }
    }
    if (PickNote* note = context.note) {
        note->format = explain;
        for (Backend* b : eligible) {
            const qint64 load = b->activeRequests.load() + 1;
            note->entries.append({b->name, load, 0, cost(*b, context.nowMs) / double(load)});
        }
        note->chosen = best->name;
    }
    return best;
}

} // namespace lab
