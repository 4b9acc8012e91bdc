#include "TlsTerminator.h"

#include "ProxyWorker.h"
#include "metrics/EventLog.h"

#include <QSocketNotifier>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTimer>
#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

namespace lab {

namespace {

// A client that sent its close while the session still answers gets this long for the rest; a session
// that closed gets this long to have its last bytes encrypted and sent.
constexpr int kCloseFlushMs = 5000;

QString describeClient(const QHostAddress& a)
{
    return a.isNull() ? QStringLiteral("a client") : a.toString();
}

// OpenSSL names a first record that is an HTTP request line "http request" (GET, POST, HEAD, PUT) or "https
// proxy request" (CONNECT); any other bytes that are not TLS are a protocol failure, as is an alert from a
// client that rejects the certificate. An end of file in the middle of the handshake is the client's close.
TlsFailure failureClass(QAbstractSocket::SocketError error, const QString& text)
{
    if (error == QAbstractSocket::RemoteHostClosedError || text.contains(QLatin1String("unexpected eof")))
        return TlsFailure::ClientClosed;
    if (text.contains(QLatin1String("http request")) || text.contains(QLatin1String("https proxy request")))
        return TlsFailure::PlainHttp;
    return TlsFailure::Protocol;
}

} // namespace

TlsTerminator::TlsTerminator(qintptr fd, const QHostAddress& client, ProxyWorker* worker)
    : QObject(worker)
    , m_worker(worker)
    , m_client(client)
    , m_tls(new QSslSocket(this))
    , m_timer(new QTimer(this))
{
    m_tls->setSslConfiguration(*worker->settings().tls);
    m_tls->setReadBufferSize(kChunkBytes * 2); // decrypted bytes wait here only briefly: the pair takes them
    if (!m_tls->setSocketDescriptor(fd)) {
        ::close(int(fd));
        deleteLater();
        return;
    }
    m_tls->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    countIn(Gauge::Handshaking);
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, [this] {
        if (m_phase == Phase::Handshaking)
            handshakeFailed(TlsFailure::Timeout, QStringLiteral("no handshake within %1 ms").arg(m_timer->interval()));
        else
            finish();
    });
    connect(m_tls, &QSslSocket::encrypted, this, &TlsTerminator::onEncrypted);
    connect(m_tls, &QAbstractSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
        if (m_phase == Phase::Handshaking)
            handshakeFailed(failureClass(error, m_tls->errorString()), m_tls->errorString());
    });
    connect(m_tls, &QAbstractSocket::disconnected, this, &TlsTerminator::onClientClosed);
    connect(m_tls, &QIODevice::readyRead, this, &TlsTerminator::pumpToSession);
    connect(m_tls, &QSslSocket::encryptedBytesWritten, this, &TlsTerminator::onClientDrained);
    m_timer->start(worker->settings().timeouts.headerReadMs);
    m_tls->startServerEncryption();
}

TlsTerminator::~TlsTerminator()
{
    countIn(Gauge::None);
    if (m_plainFd >= 0)
        ::close(m_plainFd);
}

void TlsTerminator::countIn(Gauge gauge)
{
    if (gauge == m_gauge)
        return;
    TlsCounters& c = m_worker->tlsCounters();
    if (m_gauge != Gauge::None)
        (m_gauge == Gauge::Handshaking ? c.handshaking : c.established).fetch_sub(1, std::memory_order_relaxed);
    if (gauge != Gauge::None)
        (gauge == Gauge::Handshaking ? c.handshaking : c.established).fetch_add(1, std::memory_order_relaxed);
    m_gauge = gauge;
}

void TlsTerminator::handshakeFailed(TlsFailure failure, const QString& why)
{
    if (m_phase != Phase::Handshaking)
        return;
    m_phase = Phase::Closing;
    countIn(Gauge::None);
    m_worker->tlsCounters().failures[size_t(failure)].fetch_add(1, std::memory_order_relaxed);
    m_worker->events().append(
        LabEvent::Kind::Proxy,
        QStringLiteral("tls: handshake with %1 failed (%2); connection closed").arg(describeClient(m_client), why));
    finish();
}

void TlsTerminator::onEncrypted()
{
    m_timer->stop();
    int pair[2] = {-1, -1};
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) {
        // Out of descriptors: this connection goes, the listener stays (as an accept failure would).
        m_phase = Phase::Closing;
        m_worker->events().append(LabEvent::Kind::Proxy,
                                  QStringLiteral("tls: no socket pair for %1 (%2); connection closed")
                                      .arg(describeClient(m_client), QString::fromLocal8Bit(std::strerror(errno))));
        finish();
        return;
    }
    m_phase = Phase::Relaying;
    m_worker->tlsCounters().handshakes.fetch_add(1, std::memory_order_relaxed);
    countIn(Gauge::Established);
    m_plainFd = pair[0];
    m_readable = new QSocketNotifier(m_plainFd, QSocketNotifier::Read, this);
    m_writable = new QSocketNotifier(m_plainFd, QSocketNotifier::Write, this);
    m_writable->setEnabled(false);
    connect(m_readable, &QSocketNotifier::activated, this, &TlsTerminator::onSessionReadable);
    connect(m_writable, &QSocketNotifier::activated, this, [this] {
        if (flushToSession())
            pumpToSession();
    });
    m_worker->adopt(pair[1], m_client, ClientStream::TlsPlaintext);
    pumpToSession(); // what arrived with the handshake's last flight
}

void TlsTerminator::pumpToSession()
{
    if (m_phase == Phase::Handshaking || m_plainFd < 0 || m_sessionClosed)
        return;
    while (m_toSession.size() - m_toSessionPos < kHighWaterBytes && m_tls->bytesAvailable() > 0) {
        const qsizetype before = m_toSession.size();
        m_toSession += m_tls->read(kChunkBytes);
        m_worker->tlsCounters().decryptedBytes.fetch_add(quint64(m_toSession.size() - before),
                                                         std::memory_order_relaxed);
        if (!flushToSession())
            return;
    }
    if (m_clientClosed && m_tls->bytesAvailable() == 0 && m_toSessionPos == m_toSession.size() && !m_shutdownSent) {
        m_shutdownSent = true;
        ::shutdown(m_plainFd, SHUT_WR); // the session reads its end of file after the client's last byte
    }
}

bool TlsTerminator::flushToSession()
{
    while (m_toSessionPos < m_toSession.size()) {
        const ssize_t n = ::send(m_plainFd, m_toSession.constData() + m_toSessionPos,
                                 size_t(m_toSession.size() - m_toSessionPos), MSG_NOSIGNAL);
        if (n > 0) {
            m_toSessionPos += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            m_writable->setEnabled(true);
            return true;
        }
        sessionEnded(); // EPIPE, ECONNRESET: the session closed its end
        return false;
    }
    m_writable->setEnabled(false);
    m_toSession.clear();
    m_toSessionPos = 0;
    return true;
}

void TlsTerminator::onSessionReadable()
{
    char buffer[kChunkBytes];
    while (m_tls->bytesToWrite() + m_tls->encryptedBytesToWrite() < kHighWaterBytes) {
        const ssize_t n = ::recv(m_plainFd, buffer, sizeof buffer, 0);
        if (n > 0) {
            m_tls->write(buffer, n);
            m_worker->tlsCounters().encryptedBytes.fetch_add(quint64(n), std::memory_order_relaxed);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        sessionEnded(); // 0: the session closed (or shut down its writing side); < 0: reset
        return;
    }
    m_readable->setEnabled(false); // the client reads slower than the session writes: wait for it
}

void TlsTerminator::onClientDrained()
{
    if (m_phase == Phase::Relaying && !m_sessionClosed && m_readable && !m_readable->isEnabled() &&
        m_tls->bytesToWrite() + m_tls->encryptedBytesToWrite() < kHighWaterBytes / 2) {
        m_readable->setEnabled(true);
        onSessionReadable();
    }
}

void TlsTerminator::onClientClosed()
{
    if (m_phase == Phase::Handshaking) {
        handshakeFailed(TlsFailure::ClientClosed, QStringLiteral("the client closed during the handshake"));
        return;
    }
    m_clientClosed = true;
    if (m_phase != Phase::Relaying || m_sessionClosed) {
        finish();
        return;
    }
    // What the client sent before it closed still goes to the session, then its end of file.
    pumpToSession();
    m_timer->start(kCloseFlushMs);
}

void TlsTerminator::sessionEnded()
{
    if (m_sessionClosed)
        return;
    m_sessionClosed = true;
    if (m_readable)
        m_readable->setEnabled(false);
    if (m_writable)
        m_writable->setEnabled(false);
    if (m_clientClosed || m_tls->state() != QAbstractSocket::ConnectedState) {
        finish();
        return;
    }
    // The session's last bytes are in the QSslSocket: it sends them, then close_notify, then closes;
    // disconnected() then finishes this object.
    m_phase = Phase::Closing;
    m_timer->start(kCloseFlushMs);
    m_tls->disconnectFromHost();
}

void TlsTerminator::finish()
{
    m_phase = Phase::Closing;
    countIn(Gauge::None);
    m_timer->stop();
    delete m_readable;
    m_readable = nullptr;
    delete m_writable;
    m_writable = nullptr;
    if (m_plainFd >= 0) {
        ::close(m_plainFd);
        m_plainFd = -1;
    }
    disconnect(m_tls, nullptr, this, nullptr);
    m_tls->abort();
    deleteLater();
}

} // namespace lab
