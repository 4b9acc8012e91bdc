#pragma once

#include "AttemptTrail.h"
#include "backend/BackendPool.h"

#include <QByteArray>
#include <QHostAddress>
#include <QObject>

class QSocketNotifier;
class QTimer;

namespace lab {

class ProxyWorker;

// One client connection through a TCP (layer 4) listener, on one worker thread: bytes, not HTTP.
// Picks a backend with the pool's algorithm (hash keys come from the client address) and eligibility,
// connects (a refused or timed-out connect moves on to the next backend, up to `retries`; none left
// closes the client at once), then relays both ways.
//
// Built on socket notifiers and the raw descriptors, because QTcpSocket closes the whole connection when
// the peer ends its sending side, and a relay must not: when one side half-closes, the session shuts
// down writing towards the other (shutdown(fd, SHUT_WR)) after the bytes in flight, and keeps relaying
// the other direction until it ends too. Backpressure: at most kHighWaterBytes wait for one side; past
// that the session stops reading the other side until the kernel accepts more (the TCP window then
// pushes back on the sender). Idle timeout and connect timeout from the listener's settings.
class TcpSession final : public QObject {
    Q_OBJECT
public:
    static constexpr qsizetype kHighWaterBytes = 256 * 1024;
    static constexpr qsizetype kReadChunk = 64 * 1024;

    TcpSession(qintptr socketDescriptor, ProxyWorker* worker);
    ~TcpSession() override;
    Q_DISABLE_COPY_MOVE(TcpSession)

private:
    // What a notifier of the session reports; its notifiers are DirectSocketNotifiers (the epoll
    // dispatcher calls onReady() straight from its pass) that call onNotifier with theirs.
    enum class Ready { ClientReadable, ClientWritable, UpstreamReadable, UpstreamWritable };
    class Notifier;

    struct Side {
        int fd = -1;
        QSocketNotifier* readable = nullptr;
        QSocketNotifier* writable = nullptr;
        QByteArray pending; // bytes waiting to be written to this side
        qsizetype pendingPos = 0;
        bool eof = false; // it ended its sending side (we read 0)
        bool shutWrite = false; // we ended our sending side towards it
        qsizetype waiting() const { return pending.size() - pendingPos; }
    };

    void onNotifier(Ready what);
    void startAttempt();
    void onConnectResult();
    void failAttempt(const QString& reason);
    void startRelay();
    void onReadable(Side& from, Side& to);
    bool flush(Side& to, Side& from);
    void maybeShutdown(Side& to, Side& from);
    void updateNotifiers();
    void finish();
    void giveUp(const QString& why); // no backend could take the client: close it at once, say why
    void armIdle();
    void closeSide(Side& s);
    void reportBuffered();

    ProxyWorker* m_worker;
    Side m_client;
    Side m_upstream;
    QTimer* m_timer; // connect timeout, then idle timeout
    AttemptTicket m_attempt; // the connect's outcome, reported once (abandoned if the client leaves first)
    BackendPtr m_backend;
    QHostAddress m_peer; // the client; hash algorithms key on it
    QString m_peerText;
    AttemptTrail m_trail; // the backends tried and the chain the failover events quote
    bool m_connected = false;
    bool m_finished = false;
    bool m_destroying = false;
    qint64 m_reportedBuffered = 0;
};

} // namespace lab
