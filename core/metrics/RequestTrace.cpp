#include "RequestTrace.h"

#include "util/Clock.h"

namespace lab {

RequestTrace::RequestTrace(int capacity, int maxPerSecond, std::shared_ptr<const Clock> clock)
    : m_capacity(capacity)
    , m_maxPerSecond(maxPerSecond)
    , m_clock(clock ? std::move(clock) : Clock::steady())
{
    m_ring.reserve(size_t(qMax(1, m_capacity)));
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

RequestTrace::Slot& RequestTrace::nextSlot()
{
    Slot* slot;
    if (m_ring.size() < size_t(m_capacity)) {
        slot = &m_ring.emplace_back();
    } else {
        slot = &m_ring[m_head];
        m_head = (m_head + 1) % m_ring.size();
    }
    slot->sequence = ++m_sequence;
    return *slot;
}

quint64 RequestTrace::recordFields(const TraceFields& f)
{
    QMutexLocker lock(&m_mutex);
    return write(f).sequence;
}

RequestTrace::Slot& RequestTrace::write(const TraceFields& f)
{
    Slot& s = nextSlot();
    s.epochMs = f.epochMs;
    s.timeValid = true;
    s.namesUtf8 = false;
    s.status = f.status;
    s.latencyMs = f.latencyMs;
    s.client.assign(f.client);
    s.method.assign(f.method);
    s.path.assign(f.path);
    s.attempts.assign(f.attempts);
    s.servedBy.assign(f.servedBy);
    s.why.assign(f.why);
    s.token.assign(f.token);
    return s;
}

quint64 RequestTrace::record(const TraceEntry& e)
{
    const QByteArray client = e.client.toUtf8();
    const QByteArray method = e.method.toUtf8();
    const QByteArray path = e.path.toUtf8();
    TraceFields f;
    f.epochMs = e.time.isValid() ? e.time.toMSecsSinceEpoch() : 0;
    f.client = client;
    f.method = method;
    f.path = path;
    f.attempts = e.attempts;
    f.servedBy = e.servedBy;
    f.status = e.status;
    f.latencyMs = e.latencyMs;
    f.why = e.why;
    f.token = e.token;
    QMutexLocker lock(&m_mutex);
    Slot& s = write(f);
    s.timeValid = e.time.isValid();
    s.namesUtf8 = true;
    return s.sequence;
}

TraceEntry RequestTrace::Slot::entry() const
{
    TraceEntry e;
    e.sequence = sequence;
    if (timeValid)
        e.time = QDateTime::fromMSecsSinceEpoch(epochMs); // local time, as currentDateTime() gave it
    e.client = namesUtf8 ? client.fromUtf8() : client.fromLatin1();
    e.method = namesUtf8 ? method.fromUtf8() : method.fromLatin1();
    e.path = path.fromUtf8();
    e.attempts = attempts.toString();
    e.servedBy = servedBy.toString();
    e.status = status;
    e.latencyMs = latencyMs;
    e.why = why.toString();
    e.token = token.toString();
    return e;
}

QList<TraceEntry> RequestTrace::since(quint64 afterSequence) const
{
    QMutexLocker lock(&m_mutex);
    QList<TraceEntry> out;
    const size_t n = m_ring.size();
    for (size_t i = 0; i < n; ++i) {
        const Slot& s = m_ring[(m_head + i) % n];
        if (s.sequence > afterSequence)
            out.append(s.entry());
    }
    return out;
}

std::optional<TraceEntry> RequestTrace::findToken(const QString& token) const
{
    QMutexLocker lock(&m_mutex);
    const Slot* found = nullptr;
    for (const Slot& s : m_ring) {
        if (s.token == token && (!found || s.sequence > found->sequence))
            found = &s;
    }
    if (!found)
        return std::nullopt;
    return found->entry();
}

quint64 RequestTrace::lastSequence() const
{
    QMutexLocker lock(&m_mutex);
    return m_sequence;
}

} // namespace lab
