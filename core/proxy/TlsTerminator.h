#pragma once

#include "TlsStats.h"

#include <QByteArray>
#include <QHostAddress>
#include <QObject>

class QSocketNotifier;
class QSslSocket;
class QTimer;

namespace lab {

class ProxyWorker;

// TLS termination for one client connection of an HTTP listener with "tls", on the worker that accepted
// it. Does the server handshake on the accepted descriptor (QSslSocket, OpenSSL 3: TLS 1.2 and 1.3, ALPN
// http/1.1), then makes a socketpair(AF_UNIX, SOCK_STREAM), hands one end to the worker as a plaintext
// client (ProxyWorker::adopt with ClientStream::TlsPlaintext and the TLS peer's address) and pumps bytes
// between the QSslSocket and the other end. The HTTP machinery never sees TLS: it reads and writes a
// stream socket, whatever the rewrite of the data path does with it.
//
// Backpressure both ways, with bounded buffers: decrypted bytes are read from the QSslSocket (whose read
// buffer is capped) only while fewer than kHighWaterBytes wait for the session's socket, and the session's
// socket is read only while the QSslSocket has fewer than kHighWaterBytes to encrypt and send. Closes are
// propagated after the bytes before them: the client's close (or close_notify) becomes a shutdown(SHUT_WR)
// of the pair once the last decrypted byte went in, and the session's close becomes a TLS close once its
// last byte was encrypted. A failed or overdue handshake (a plain-HTTP client on the TLS port, a client
// that rejects the certificate, nothing sent for headerReadMs) closes this connection, counts it by its
// TlsFailure class and logs an event (the event log folds floods into one line a second); nothing else is
// touched. The worker's TlsCounters also count the connections handshaking and established now, and the
// application bytes each way (what /metrics and /api/state report per TLS listener).
class TlsTerminator final : public QObject {
    Q_OBJECT
public:
    static constexpr qsizetype kChunkBytes = 16 * 1024; // one TLS record
    static constexpr qsizetype kHighWaterBytes = 64 * 1024;

    // Precondition: the worker's settings carry a TLS configuration. Owned by the worker (its child);
    // deletes itself when both directions are closed.
    TlsTerminator(qintptr socketDescriptor, const QHostAddress& client, ProxyWorker* worker);
    ~TlsTerminator() override;
    Q_DISABLE_COPY_MOVE(TlsTerminator)

private:
    enum class Phase { Handshaking, Relaying, Closing };
    // Which of the worker's gauges (TlsCounters::handshaking, established) counts this connection now.
    enum class Gauge { None, Handshaking, Established };

    void onEncrypted();
    void handshakeFailed(TlsFailure failure, const QString& why);
    void countIn(Gauge gauge);
    // client -> session
    void pumpToSession();
    bool flushToSession(); // false when the session's end is gone
    // session -> client
    void onSessionReadable();
    void onClientDrained();
    void onClientClosed();
    void sessionEnded();
    void finish();

    ProxyWorker* m_worker;
    QHostAddress m_client;
    QSslSocket* m_tls;
    QTimer* m_timer; // the handshake's deadline, then the bound on a close's flush
    Phase m_phase = Phase::Handshaking;
    Gauge m_gauge = Gauge::None;
    int m_plainFd = -1; // our end of the pair
    QSocketNotifier* m_readable = nullptr;
    QSocketNotifier* m_writable = nullptr;
    QByteArray m_toSession; // decrypted, not yet accepted by the pair
    qsizetype m_toSessionPos = 0;
    bool m_clientClosed = false; // the TLS side ended: nothing more will come from the client
    bool m_sessionClosed = false; // the pair's other end closed or shut down its writing side
    bool m_shutdownSent = false;
};

} // namespace lab
