#include "RequestTrace.h"

#include "util/Clock.h"

namespace lab {

RequestTrace::RequestTrace(int capacity, int maxPerSecond, std::shared_ptr<const Clock> clock)
    : m_capacity(capacity)
    , m_maxPerSecond(maxPerSecond)
    , m_clock(clock ? std::move(clock) : Clock::steady())
{
}

bool RequestTrace::shouldSample()
{
    const qint64 second = m_clock->nowMs() / 1000;
    if (m_second.load(std::memory_order_relaxed) != second) {
        m_second.store(second, std::memory_order_relaxed);
        m_inSecond.store(0, std::memory_order_relaxed);
    }
    // Once this second's budget is spent, the rest of the second's requests only read the counter: a
    // read-modify-write per request would move its cache line between the workers on every request.
    if (m_inSecond.load(std::memory_order_relaxed) >= m_maxPerSecond)
        return false;
    return m_inSecond.fetch_add(1, std::memory_order_relaxed) < m_maxPerSecond;
}

quint64 RequestTrace::record(TraceEntry entry)
{
    QMutexLocker lock(&m_mutex);
    entry.sequence = ++m_sequence;
    const quint64 sequence = entry.sequence;
    if (m_ring.size() < m_capacity) {
        m_ring.append(std::move(entry));
    } else {
        m_ring[m_head] = std::move(entry);
        m_head = (m_head + 1) % m_capacity;
    }
    return sequence;
}

QList<TraceEntry> RequestTrace::since(quint64 afterSequence) const
{
    QMutexLocker lock(&m_mutex);
    QList<TraceEntry> out;
    for (qsizetype i = 0; i < m_ring.size(); ++i) {
        const TraceEntry& e = m_ring[(m_head + i) % m_ring.size()];
        if (e.sequence > afterSequence)
            out.append(e);
    }
    return out;
}

std::optional<TraceEntry> RequestTrace::findToken(const QString& token) const
{
    QMutexLocker lock(&m_mutex);
    std::optional<TraceEntry> found;
    for (const TraceEntry& e : m_ring) {
        if (e.token == token && (!found || e.sequence > found->sequence))
            found = e;
    }
    return found;
}

quint64 RequestTrace::lastSequence() const
{
    QMutexLocker lock(&m_mutex);
    return m_sequence;
}

} // namespace lab
