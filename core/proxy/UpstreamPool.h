#pragma once

#include <QHash>
#include <QList>
#include <QObject>

class QTcpSocket;
class QTimer;

namespace lab {

struct TrafficCounters;
struct MetricsShard;

// Idle keep-alive connections to backends, kept per worker (no locking) and per backend. A connection
// returns here after a complete exchange; the next request to that backend on this worker reuses it
// instead of paying for a new TCP handshake. Idle connections are closed after `idleMs` or when the
// backend closes them; at most `maxIdlePerBackend` are kept.
class UpstreamPool final : public QObject {
    Q_OBJECT
public:
    UpstreamPool(int maxIdlePerBackend, int idleMs, MetricsShard* metrics, QObject* parent);
    ~UpstreamPool() override;
    Q_DISABLE_COPY_MOVE(UpstreamPool)

    // An idle connection to the backend, or null. The caller takes ownership (reparents it).
    QTcpSocket* take(int backendId);
    // Gives a connection back after a clean exchange; closes it when the pool for that backend is full.
    void put(int backendId, QTcpSocket* socket);
    void closeAll();

private:
    struct Idle {
        QTcpSocket* socket;
        qint64 since;
    };
    void drop(int backendId, QTcpSocket* socket);
    void expire();

    const int m_maxIdle;
    const int m_idleMs;
    MetricsShard* m_metrics;
    QHash<int, QList<Idle>> m_idle;
    QTimer* m_sweep;
};

} // namespace lab
