#pragma once

#include "StreamSocket.h"

#include <QHash>
#include <QList>
#include <QObject>

class QTimer;

namespace lab {

struct TrafficCounters;
struct MetricsShard;

// Idle keep-alive connections to backends, kept per worker (no locking) and per backend. A connection
// returns here after a complete exchange; the next request to that backend on this worker reuses it
// instead of paying for a new TCP handshake. Idle connections are closed after `idleMs` or when the
// backend closes them (or sends anything: an idle connection has nothing to say); at most
// `maxIdlePerBackend` are kept. A connection keeps its read notifier on in here, so taking one out and
// putting it back costs no system call.
class UpstreamPool final : public QObject, private StreamSocket::Handler {
    Q_OBJECT
public:
    UpstreamPool(int maxIdlePerBackend, int idleMs, MetricsShard* metrics, QObject* parent);
    ~UpstreamPool() override;
    Q_DISABLE_COPY_MOVE(UpstreamPool)

    // An idle connection to the backend, or null. The caller uses it until it gives it back or closes it
    // (sets its handler). Every backend connection stays this pool's child: no setParent per request.
    StreamSocket* take(int backendId);
    // Gives a connection back after a clean exchange; closes it when the pool for that backend is full.
    void put(int backendId, StreamSocket* socket);
    void closeAll();

private:
    struct Idle {
        StreamSocket* socket;
        qint64 since;
    };
    void onReadable(StreamSocket* socket) override;
    void onWritable(StreamSocket*) override { }
    void onWriteFailed(StreamSocket* socket, int) override { onReadable(socket); }
    void drop(int backendId, StreamSocket* socket);
    void expire();

    const int m_maxIdle;
    const int m_idleMs;
    MetricsShard* m_metrics;
    QHash<int, QList<Idle>> m_idle;
    QTimer* m_sweep;
};

} // namespace lab
