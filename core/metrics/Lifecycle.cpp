#include "Lifecycle.h"

#include "util/Clock.h"

namespace lab {

LifecycleStream::LifecycleStream(int capacity, int maxRequestsPerSecond, std::shared_ptr<const Clock> clock)
    : m_capacity(qMax(16, capacity))
    , m_maxPerSecond(maxRequestsPerSecond)
    , m_clock(clock ? std::move(clock) : Clock::steady())
{
    m_ring.reserve(size_t(m_capacity));
}

qint64 LifecycleStream::nowMs() const
{
    return m_clock->nowMs();
}

namespace {
// splitmix64's finaliser: consecutive arrival numbers map to unrelated values.
quint64 mix(quint64 x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}
} // namespace

bool LifecycleStream::follow(bool always, quint64* requestId)
{
    const quint64 arrival = m_arrived.fetch_add(1, std::memory_order_relaxed);
    if (!always) {
        const qint64 second = m_clock->nowMs() / 1000;
        const qint64 was = m_second.load(std::memory_order_relaxed);
        if (was != second) {
            m_second.store(second, std::memory_order_relaxed);
            m_inSecond.store(0, std::memory_order_relaxed);
            // Arrivals since the last roll-over, from the arrival count: one read-modify-write per
            // request (m_arrived's) instead of two on a line both workers write. (Two workers that both
            // saw the second change: the later exchange may hold the earlier arrival; that one reads 0.)
            const quint64 start = m_arrivedAtSecondStart.exchange(arrival, std::memory_order_relaxed);
            const quint64 last = arrival > start ? arrival - start : 0;
            m_arrivedLastSecond.store(second == was + 1 ? last : 0, std::memory_order_relaxed);
        }
        const quint64 expected = m_arrivedLastSecond.load(std::memory_order_relaxed);
        if (expected > quint64(m_maxPerSecond) && mix(arrival) % expected >= quint64(m_maxPerSecond))
            return false;
        if (m_inSecond.fetch_add(1, std::memory_order_relaxed) >= m_maxPerSecond)
            return false;
    }
    m_followed.fetch_add(1, std::memory_order_relaxed);
    if (requestId)
        *requestId = m_nextRequestId.fetch_add(1, std::memory_order_relaxed);
    return true;
}

void LifecycleStream::record(const LifecycleEvent& event, QStringView detail)
{
    const qint64 timeMs = event.timeMs == 0 ? m_clock->nowMs() : event.timeMs;
    QMutexLocker lock(&m_mutex);
    Slot* slot;
    if (m_ring.size() < size_t(m_capacity)) {
        slot = &m_ring.emplace_back();
    } else {
        slot = &m_ring[m_head];
        m_head = (m_head + 1) % m_ring.size();
    }
    LifecycleEvent& e = slot->event;
    e.sequence = ++m_sequence;
    e.requestId = event.requestId;
    e.timeMs = timeMs;
    e.kind = event.kind;
    e.backendId = event.backendId;
    e.status = event.status;
    e.attempt = event.attempt;
    e.latencyMs = event.latencyMs;
    e.traceSequence = event.traceSequence;
    slot->detail.assign(detail);
}

LifecycleStream::Batch LifecycleStream::since(quint64 afterSequence) const
{
    Batch batch;
    batch.arrived = m_arrived.load(std::memory_order_relaxed);
    batch.followed = m_followed.load(std::memory_order_relaxed);
    QMutexLocker lock(&m_mutex);
    batch.lastSequence = m_sequence;
    const size_t n = m_ring.size();
    if (n == 0)
        return batch;
    const quint64 oldest = m_ring[m_head % n].event.sequence;
    batch.lostEvents = oldest > afterSequence + 1 && afterSequence < m_sequence;
    for (size_t i = 0; i < n; ++i) {
        const Slot& s = m_ring[(m_head + i) % n];
        if (s.event.sequence > afterSequence) {
            batch.events.append(s.event);
            batch.events.back().detail = s.detail.toString();
        }
    }
    return batch;
}

} // namespace lab
