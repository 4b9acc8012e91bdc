#include "EventLog.h"

#include "util/Clock.h"

namespace lab {

EventLog::EventLog(int capacity, int maxPerSecond, std::shared_ptr<const Clock> clock)
    : m_capacity(capacity)
    , m_maxPerSecond(maxPerSecond)
    , m_clock(clock ? std::move(clock) : Clock::steady())
{
}

void EventLog::append(LabEvent::Kind kind, const QString& text, Priority priority)
{
    append(kind, text, m_clock->wallNow(), m_clock->nowMs(), priority);
}

void EventLog::append(LabEvent::Kind kind, const QString& text, const QDateTime& wallNow, qint64 steadyNowMs,
                      Priority priority)
{
    QMutexLocker lock(&m_mutex);
    rollSecond(wallNow, steadyNowMs);
    const size_t k = size_t(kind);
    if (m_inSecond[k] >= m_maxPerSecond && priority == Priority::Normal) {
        ++m_suppressedThisSecond[k];
        ++m_suppressedTotal;
        return;
    }
    ++m_inSecond[k];
    push(kind, text, wallNow);
}

void EventLog::closeSuppressionWindow()
{
    // Called every 100 ms: the wall clock (a QDateTime in local time, which allocates) is read only in
    // the call that finds a new second.
    const qint64 steadyNowMs = m_clock->nowMs();
    QMutexLocker lock(&m_mutex);
    if (steadyNowMs / 1000 != m_second)
        rollSecond(m_clock->wallNow(), steadyNowMs);
}

void EventLog::closeSuppressionWindow(const QDateTime& wallNow, qint64 steadyNowMs)
{
    QMutexLocker lock(&m_mutex);
    rollSecond(wallNow, steadyNowMs);
}

void EventLog::flushSuppressed()
{
    const QDateTime now = m_clock->wallNow();
    QMutexLocker lock(&m_mutex);
    pushSuppressed("last", now);
}

void EventLog::rollSecond(const QDateTime& wallNow, qint64 steadyNowMs)
{
    const qint64 second = steadyNowMs / 1000;
    if (second == m_second)
        return;
    // The steady second that just ended, on the wall clock: now minus the time since it ended.
    pushSuppressed("previous", wallNow.addMSecs((m_second + 1) * 1000 - steadyNowMs));
    m_second = second;
    m_inSecond.fill(0);
}

void EventLog::pushSuppressed(const char* which, const QDateTime& at)
{
    for (int k = 0; k < kKinds; ++k) {
        if (m_suppressedThisSecond[size_t(k)] > 0)
            push(LabEvent::Kind(k),
                 QStringLiteral("%1 more %2 events in the %3 second were not logged (limit %4 per second)")
                     .arg(m_suppressedThisSecond[size_t(k)])
                     .arg(kindName(LabEvent::Kind(k)), QLatin1String(which))
                     .arg(m_maxPerSecond),
                 at);
    }
    m_suppressedThisSecond.fill(0);
}

void EventLog::push(LabEvent::Kind kind, const QString& text, const QDateTime& now)
{
    LabEvent e{++m_sequence, now, kind, text};
    if (m_ring.size() < m_capacity) {
        m_ring.append(std::move(e));
    } else {
        m_ring[m_head] = std::move(e);
        m_head = (m_head + 1) % m_capacity;
    }
}

QList<LabEvent> EventLog::since(quint64 afterSequence) const
{
    QMutexLocker lock(&m_mutex);
    QList<LabEvent> out;
    for (qsizetype i = 0; i < m_ring.size(); ++i) {
        const LabEvent& e = m_ring[(m_head + i) % m_ring.size()];
        if (e.sequence > afterSequence)
            out.append(e);
    }
    return out;
}

quint64 EventLog::lastSequence() const
{
    QMutexLocker lock(&m_mutex);
    return m_sequence;
}

quint64 EventLog::suppressed() const
{
    QMutexLocker lock(&m_mutex);
    return m_suppressedTotal;
}

QString EventLog::kindName(LabEvent::Kind kind)
{
    switch (kind) {
    case LabEvent::Kind::Backend: return QStringLiteral("backend");
    case LabEvent::Kind::Proxy: return QStringLiteral("proxy");
    case LabEvent::Kind::Failover: return QStringLiteral("failover");
    case LabEvent::Kind::Config: return QStringLiteral("config");
    case LabEvent::Kind::Health: return QStringLiteral("health");
    case LabEvent::Kind::Traffic: return QStringLiteral("traffic");
    }
    return {};
}

} // namespace lab
