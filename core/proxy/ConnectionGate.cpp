#include "ConnectionGate.h"

#include "metrics/EventLog.h"
#include "util/Clock.h"

#include <QFile>
#include <sys/resource.h>

namespace lab {

int systemListenBacklogMax()
{
    QFile f(QStringLiteral("/proc/sys/net/core/somaxconn"));
    bool ok = false;
    const int n = f.open(QIODevice::ReadOnly) ? f.readAll().trimmed().toInt(&ok) : 0;
    return ok && n > 0 ? n : 4096;
}

int descriptorLimit()
{
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur == RLIM_INFINITY)
        return 1 << 20;
    return int(std::min<rlim_t>(r.rlim_cur, 1 << 20));
}

int descriptorReserve(int limit)
{
    return std::max(128, limit / 10);
}

int defaultMaxConnections(int limit, int listeners)
{
    return std::max(16, (limit - descriptorReserve(limit)) / 2 / std::max(1, listeners));
}

ConnectionGate::ConnectionGate(Limits limits, std::shared_ptr<EventLog> events)
    : m_limits(limits)
    , m_events(std::move(events))
{
}

bool ConnectionGate::admit(const QHostAddress& client)
{
    if (m_open.fetch_add(1, std::memory_order_relaxed) >= m_limits.maxConnections) {
        m_open.fetch_sub(1, std::memory_order_relaxed);
        m_refusedConnections.fetch_add(1, std::memory_order_relaxed);
        logRefusal(QStringLiteral("connection limit reached (maxConnections %1): new connections are closed at once")
                       .arg(m_limits.maxConnections));
        return false;
    }
    if (m_limits.maxConnectionsPerClient > 0) {
        QMutexLocker lock(&m_perClientMutex);
        int& n = m_perClient[client];
        if (n >= m_limits.maxConnectionsPerClient) {
            lock.unlock();
            m_open.fetch_sub(1, std::memory_order_relaxed);
            m_refusedConnections.fetch_add(1, std::memory_order_relaxed);
            logRefusal(QStringLiteral("per-client connection limit reached for %1 (maxConnectionsPerClient "
                                      "%2): its new connections are closed at once")
                           .arg(client.toString())
                           .arg(m_limits.maxConnectionsPerClient));
            return false;
        }
        ++n;
    }
    return true;
}

void ConnectionGate::release(const QHostAddress& client)
{
    if (m_limits.maxConnectionsPerClient > 0) {
        QMutexLocker lock(&m_perClientMutex);
        auto it = m_perClient.find(client);
        if (it != m_perClient.end() && --*it <= 0)
            m_perClient.erase(it);
    }
    m_open.fetch_sub(1, std::memory_order_relaxed);
}

void ConnectionGate::noteAcceptFailure(const QString& why)
{
    logRefusal(QStringLiteral("cannot accept connections: %1; accepting again in 100 ms").arg(why));
}

void ConnectionGate::logRefusal(const QString& what)
{
    // The first refusal of a burst is logged at once; the rest of that second only counted, then summed
    // up by the next line, so a flood costs a counter increment per connection.
    m_refusedSinceLog.fetch_add(1, std::memory_order_relaxed);
    const qint64 now = steadyNowMs();
    qint64 last = m_lastLogMs.load(std::memory_order_relaxed);
    if (now - last < 1000 || !m_lastLogMs.compare_exchange_strong(last, now, std::memory_order_relaxed))
        return;
    const quint64 count = m_refusedSinceLog.exchange(0, std::memory_order_relaxed);
    if (m_events)
        m_events->append(LabEvent::Kind::Proxy,
                         count > 1 ? what + QStringLiteral(" (%1 refused since the last report)").arg(count) : what);
}

bool ConnectionGate::HeadReservation::grow(qint64 bytes)
{
    const qint64 cap = m_gate->m_limits.maxHeadBufferBytes;
    const qint64 total = m_gate->m_headBytes.fetch_add(bytes, std::memory_order_relaxed) + bytes;
    if (cap > 0 && total > cap) {
        m_gate->m_headBytes.fetch_sub(bytes, std::memory_order_relaxed);
        m_gate->m_refusedHeads.fetch_add(1, std::memory_order_relaxed);
        m_gate->logRefusal(
            QStringLiteral("unfinished request heads hold %1 bytes (maxHeadBufferBytes %2): the newest is answered 503")
                .arg(total - bytes)
                .arg(cap));
        return false;
    }
    m_bytes += bytes;
    return true;
}

void ConnectionGate::HeadReservation::clear()
{
    if (m_bytes > 0)
        m_gate->m_headBytes.fetch_sub(m_bytes, std::memory_order_relaxed);
    m_bytes = 0;
}

} // namespace lab
