#include "UpstreamPool.h"

#include "metrics/Metrics.h"
#include "util/Clock.h"

#include <QTcpSocket>
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

QTcpSocket* UpstreamPool::take(int backendId)
{
    auto it = m_idle.find(backendId);
    if (it == m_idle.end())
        return nullptr;
    while (!it->isEmpty()) {
        Idle idle = it->takeLast(); // most recently used: the least likely to have been closed
        idle.socket->disconnect(this);
        // Anything readable on an idle connection is either a close or garbage: unusable.
        if (idle.socket->state() == QAbstractSocket::ConnectedState && idle.socket->bytesAvailable() == 0)
            return idle.socket;
        m_metrics->backends[size_t(backendId)].activeConnections.fetch_sub(1, std::memory_order_relaxed);
        idle.socket->abort();
        idle.socket->deleteLater();
    }
    return nullptr;
}

void UpstreamPool::put(int backendId, QTcpSocket* socket)
{
    QList<Idle>& list = m_idle[backendId];
    if (list.size() >= m_maxIdle || socket->state() != QAbstractSocket::ConnectedState) {
        m_metrics->backends[size_t(backendId)].activeConnections.fetch_sub(1, std::memory_order_relaxed);
        socket->disconnect();
        socket->abort();
        socket->deleteLater();
        return;
    }
    socket->disconnect();
    socket->setParent(this);
    connect(socket, &QTcpSocket::readyRead, this, [this, backendId, socket] { drop(backendId, socket); });
    connect(socket, &QTcpSocket::disconnected, this, [this, backendId, socket] { drop(backendId, socket); });
    list.append({socket, steadyNowMs()});
}

void UpstreamPool::drop(int backendId, QTcpSocket* socket)
{
    QList<Idle>& list = m_idle[backendId];
    for (qsizetype i = 0; i < list.size(); ++i) {
        if (list[i].socket == socket) {
            list.removeAt(i);
            m_metrics->backends[size_t(backendId)].activeConnections.fetch_sub(1, std::memory_order_relaxed);
            socket->disconnect(this);
            socket->abort();
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
