#include "TcpSession.h"

#include "ProxyWorker.h"
#include "balancing/Balancer.h"
#include "metrics/EventLog.h"
#include "net/DirectSocketNotifier.h"

#include <QHostAddress>
#include <QTimer>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lab {

namespace {

void setNonBlockingNoDelay(int fd)
{
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

QHostAddress peerOf(int fd)
{
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        return {};
    QHostAddress a;
    a.setAddress(reinterpret_cast<const sockaddr*>(&ss));
    return a;
}

QString errnoText(int e)
{
    switch (e) {
    case ECONNREFUSED: return QStringLiteral("connection refused");
    case ETIMEDOUT: return QStringLiteral("connect timed out");
    case EHOSTUNREACH:
    case ENETUNREACH: return QStringLiteral("host unreachable");
    default: return QString::fromLocal8Bit(std::strerror(e));
    }
}

} // namespace

class TcpSession::Notifier final : public DirectSocketNotifier {
public:
    Notifier(int fd, Type type, Ready what, TcpSession* session)
        : DirectSocketNotifier(fd, type, session)
        , m_what(what)
        , m_session(session)
    {
    }
    void onReady() override { m_session->onNotifier(m_what); }

private:
    const Ready m_what;
    TcpSession* const m_session;
};

void TcpSession::onNotifier(Ready what)
{
    switch (what) {
    case Ready::ClientReadable: onReadable(m_client, m_upstream); return;
    case Ready::ClientWritable: flush(m_client, m_upstream); return;
    case Ready::UpstreamReadable: onReadable(m_upstream, m_client); return;
    case Ready::UpstreamWritable: // writable while connecting: the connect finished, one way or the other
        if (!m_connected)
            onConnectResult();
        else
            flush(m_upstream, m_client);
        return;
    }
}

TcpSession::TcpSession(qintptr socketDescriptor, ProxyWorker* worker)
    : QObject(worker)
    , m_worker(worker)
    , m_timer(new QTimer(this))
{
    m_client.fd = int(socketDescriptor);
    setNonBlockingNoDelay(m_client.fd);
    m_peer = peerOf(m_client.fd);
    m_peerText = m_peer.toString();
    m_worker->sessionOpened();
    m_worker->exchangeStarted();
    TrafficCounters& l = m_worker->metrics().listener;
    l.add(l.connections);
    l.add(l.requests); // for a TCP listener a "request" is a relayed connection
    l.activeConnections.fetch_add(1, std::memory_order_relaxed);
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, [this] {
        if (!m_connected)
            failAttempt(QStringLiteral("connect timeout (%1 ms)").arg(m_worker->settings().timeouts.connectMs));
        else
            finish(); // idle for tcpIdleMs
    });
    // The client's bytes wait in the kernel until a backend is connected.
    m_client.readable = new Notifier(m_client.fd, QSocketNotifier::Read, Ready::ClientReadable, this);
    m_client.writable = new Notifier(m_client.fd, QSocketNotifier::Write, Ready::ClientWritable, this);
    m_client.readable->setEnabled(false);
    m_client.writable->setEnabled(false);
    QMetaObject::invokeMethod(
        this, [this] { startAttempt(); }, Qt::QueuedConnection);
}

TcpSession::~TcpSession()
{
    m_destroying = true;
    if (!m_finished)
        finish(); // the proxy stopped
}

void TcpSession::reportBuffered()
{
    const qint64 now = m_finished ? 0 : qint64(m_client.waiting() + m_upstream.waiting());
    if (now != m_reportedBuffered) {
        m_worker->addRelayBuffered(now - m_reportedBuffered);
        m_reportedBuffered = now;
    }
}

void TcpSession::startAttempt()
{
    PickContext context;
    context.clientAddress = m_peer;
    const RetryAvoid rule = m_worker->settings().retryAvoid;
    context.avoidedKeepTheirTurn = rule == RetryAvoid::Previous; // HAProxy's walk (Balancer.h)
    m_attempt = m_worker->pool().pick(context, m_trail.avoided(rule));
    if (!m_attempt) {
        giveUp(m_trail.chain().isEmpty() ? QStringLiteral("no backend available")
                                         : m_trail.chain() + QStringLiteral(" → no backend left"));
        return;
    }
    const BackendPtr b = m_attempt.backend();
    m_backend = b;
    const int number = m_trail.begin(b->id);
    TrafficCounters& bc = m_worker->metrics().backends[size_t(b->id)];
    bc.add(bc.requests);
    if (number > 1)
        m_worker->metrics().listener.add(m_worker->metrics().listener.retries);
    b->activeRequests.fetch_add(1, std::memory_order_relaxed);

    const QHostAddress address(b->host);
    if (address.isNull()) {
        failAttempt(QStringLiteral("%1 is not an IP address (the TCP relay does not resolve names)").arg(b->host));
        return;
    }
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (address.protocol() == QAbstractSocket::IPv6Protocol) {
        auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(b->port);
        const Q_IPV6ADDR v6 = address.toIPv6Address();
        std::memcpy(&a6->sin6_addr, &v6, sizeof v6);
        len = sizeof(sockaddr_in6);
    } else {
        auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
        a4->sin_family = AF_INET;
        a4->sin_port = htons(b->port);
        a4->sin_addr.s_addr = htonl(address.toIPv4Address());
        len = sizeof(sockaddr_in);
    }
    m_upstream = Side{};
    m_upstream.fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m_upstream.fd < 0) {
        failAttempt(errnoText(errno));
        return;
    }
    setNonBlockingNoDelay(m_upstream.fd);
    m_upstream.readable = new Notifier(m_upstream.fd, QSocketNotifier::Read, Ready::UpstreamReadable, this);
    m_upstream.writable = new Notifier(m_upstream.fd, QSocketNotifier::Write, Ready::UpstreamWritable, this);
    m_upstream.readable->setEnabled(false);
    if (::connect(m_upstream.fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) {
        onConnectResult();
        return;
    }
    if (errno != EINPROGRESS) {
        failAttempt(errnoText(errno));
        return;
    }
    m_upstream.writable->setEnabled(true); // writable = the connect finished, one way or the other
    m_timer->start(m_worker->settings().timeouts.connectMs);
}

void TcpSession::onConnectResult()
{
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(m_upstream.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
        failAttempt(errnoText(err));
        return;
    }
    m_connected = true;
    m_timer->stop();
    TrafficCounters& bc = m_worker->metrics().backends[size_t(m_backend->id)];
    bc.add(bc.connections);
    bc.activeConnections.fetch_add(1, std::memory_order_relaxed);
    m_worker->pool().markSuccess(*m_backend);
    m_attempt.succeeded();
    m_trail.add(m_backend->name, QStringLiteral("connected"));
    startRelay();
}

void TcpSession::failAttempt(const QString& reason)
{
    m_timer->stop();
    closeSide(m_upstream);
    m_trail.add(m_backend->name, reason);
    TrafficCounters& bc = m_worker->metrics().backends[size_t(m_backend->id)];
    bc.add(bc.connectFailures);
    bc.countResponse(0);
    m_worker->metrics().listener.add(m_worker->metrics().listener.connectFailures);
    m_backend->activeRequests.fetch_sub(1, std::memory_order_relaxed);
    m_worker->pool().markConnectFailure(*m_backend);
    m_attempt.failed(reason);
    const BackendPtr failed = std::exchange(m_backend, nullptr);
    if (m_trail.count() <= m_worker->settings().retries && m_worker->settings().retryOnConnectFailure) {
        m_worker->events().append(
            LabEvent::Kind::Failover,
            QStringLiteral("TCP %1: %2: %3, trying another backend").arg(m_peerText, failed->name, reason));
        startAttempt();
        return;
    }
    giveUp(m_trail.chain());
}

void TcpSession::giveUp(const QString& why)
{
    m_worker->metrics().listener.countResponse(0);
    m_worker->events().append(LabEvent::Kind::Failover,
                              QStringLiteral("TCP %1 closed without a backend: %2").arg(m_peerText, why));
    finish();
}

void TcpSession::startRelay()
{
    m_upstream.writable->setEnabled(false);
    updateNotifiers();
    armIdle();
}

void TcpSession::armIdle()
{
    m_timer->start(m_worker->settings().tcpIdleMs);
}

void TcpSession::onReadable(Side& from, Side& to)
{
    // Read while there is room on the other side; past the high-water mark stop reading (backpressure).
    const bool fromClient = &from == &m_client;
    qint64 total = 0;
    while (!from.eof && to.waiting() < kHighWaterBytes) {
        if (to.pendingPos > 0 && to.pendingPos == to.pending.size()) {
            to.pending.clear();
            to.pendingPos = 0;
        }
        const qsizetype old = to.pending.size();
        to.pending.resize(old + kReadChunk);
        const ssize_t n = ::recv(from.fd, to.pending.data() + old, size_t(kReadChunk), 0);
        if (n > 0) {
            to.pending.resize(old + n);
            total += n;
            continue;
        }
        to.pending.resize(old);
        if (n == 0) {
            from.eof = true; // it finished sending: pass the end on once its bytes are through
            break;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
        if (errno == EINTR)
            continue;
        finish(); // reset or error: the relay ends both ways
        return;
    }
    if (total > 0) {
        MetricsShard& m = m_worker->metrics();
        TrafficCounters& bc = m.backends[size_t(m_backend->id)];
        if (fromClient) {
            m.listener.add(m.listener.bytesIn, quint64(total));
            bc.add(bc.bytesOut, quint64(total));
        } else {
            m.listener.add(m.listener.bytesOut, quint64(total));
            bc.add(bc.bytesIn, quint64(total));
        }
        armIdle();
    }
    if (!flush(to, from))
        return;
    updateNotifiers();
}

bool TcpSession::flush(Side& to, Side& from)
{
    while (to.waiting() > 0) {
        const ssize_t n = ::send(to.fd, to.pending.constData() + to.pendingPos, size_t(to.waiting()), MSG_NOSIGNAL);
        if (n > 0) {
            to.pendingPos += n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0 && errno == EINTR)
            continue;
        finish(); // reset or error: the relay ends both ways
        return false;
    }
    if (to.waiting() == 0) {
        to.pending.clear();
        to.pendingPos = 0;
        armIdle();
    }
    maybeShutdown(to, from);
    if (m_finished)
        return false;
    updateNotifiers();
    return true;
}

void TcpSession::maybeShutdown(Side& to, Side& from)
{
    // `from` ended its sending and everything it sent reached `to`: end our sending towards `to`.
    if (from.eof && to.waiting() == 0 && !to.shutWrite) {
        ::shutdown(to.fd, SHUT_WR);
        to.shutWrite = true;
    }
    if (m_client.shutWrite && m_upstream.shutWrite)
        finish(); // both directions are done
}

void TcpSession::updateNotifiers()
{
    if (m_finished || !m_connected)
        return;
    // Read a side only while the other side has room; wait for writability only with bytes waiting.
    m_client.readable->setEnabled(!m_client.eof && m_upstream.waiting() < kHighWaterBytes);
    m_upstream.readable->setEnabled(!m_upstream.eof && m_client.waiting() < kHighWaterBytes);
    m_client.writable->setEnabled(m_client.waiting() > 0);
    m_upstream.writable->setEnabled(m_upstream.waiting() > 0);
    reportBuffered();
}

void TcpSession::closeSide(Side& s)
{
    delete s.readable;
    delete s.writable;
    s.readable = s.writable = nullptr;
    if (s.fd >= 0)
        ::close(s.fd);
    s.fd = -1;
}

void TcpSession::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    m_timer->stop();
    m_attempt.abandon(); // the client left while connecting: no verdict (after a connect: nothing to do)
    if (m_backend) {
        m_backend->activeRequests.fetch_sub(1, std::memory_order_relaxed);
        if (m_connected)
            m_worker->metrics().backends[size_t(m_backend->id)].activeConnections.fetch_sub(1,
                                                                                            std::memory_order_relaxed);
    }
    closeSide(m_upstream);
    closeSide(m_client);
    reportBuffered();
    m_worker->metrics().listener.activeConnections.fetch_sub(1, std::memory_order_relaxed);
    m_worker->exchangeEnded();
    m_worker->sessionClosed();
    if (!m_destroying)
        deleteLater();
}

} // namespace lab
