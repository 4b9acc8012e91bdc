#include "UpstreamPool.h"

#include "metrics/Metrics.h"
#include "util/Clock.h"

#include <QTimer>

namespace lab {

UpstreamPool::UpstreamPool(int maxIdlePerBackend, int idleMs, MetricsShard* metrics, QObject* parent)
    : QObject(parent)
    , m_maxIdle(maxIdlePerBackend)
    , m_idleMs(idleMs)
    , m_metrics(metrics)
    , m_sweep(new QTimer(this))
{
    connect(m_sweep, &QTimer::timeout, this, &UpstreamPool::expire);
    m_sweep->start(qBound(100, idleMs / 4, 5000));
}

UpstreamPool::~UpstreamPool()
{
    closeAll();
}

StreamSocket* UpstreamPool::take(int backendId)
{
    auto it = m_idle.find(backendId);
    if (it == m_idle.end() || it->isEmpty())
        return nullptr;
    // The most recently used: the least likely to have been closed. A close or stray bytes would have
    // fired onReadable and dropped it already.
    return it->takeLast().socket;
}

void UpstreamPool::put(int backendId, StreamSocket* socket)
{
    QList<Idle>& list = m_idle[backendId];
    if (list.size() >= m_maxIdle || !socket->ok() || socket->writeFailed()) {
        m_metrics->backends[size_t(backendId)].activeConnections.fetch_sub(1, std::memory_order_relaxed);
        socket->close();
        socket->deleteLater();
        return;
    }
    Q_ASSERT(socket->parent() == this); // made as the pool's child (UpstreamAttempt::connectTo)
    socket->setHandler(this);
    socket->setReadEnabled(true);
    socket->setTag(backendId);
    list.append({socket, steadyNowMs()});
}

void UpstreamPool::onReadable(StreamSocket* socket)
{
    drop(socket->tag(), socket);
}

void UpstreamPool::drop(int backendId, StreamSocket* socket)
{
    QList<Idle>& list = m_idle[backendId];
    for (qsizetype i = 0; i < list.size(); ++i) {
        if (list[i].socket == socket) {
            list.removeAt(i);
            m_metrics->backends[size_t(backendId)].activeConnections.fetch_sub(1, std::memory_order_relaxed);
            socket->close();
            socket->deleteLater();
            return;
        }
    }
}

void UpstreamPool::expire()
{
    const qint64 limit = steadyNowMs() - m_idleMs;
    for (auto it = m_idle.begin(); it != m_idle.end(); ++it) {
        while (!it->isEmpty() && it->first().since < limit)
            drop(it.key(), it->first().socket);
    }
}

void UpstreamPool::closeAll()
{
    for (auto it = m_idle.begin(); it != m_idle.end(); ++it) {
        while (!it->isEmpty())
            drop(it.key(), it->first().socket);
    }
}

} // namespace lab
