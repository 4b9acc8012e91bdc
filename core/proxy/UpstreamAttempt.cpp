#include "UpstreamAttempt.h"

#include "ProxySettings.h"
#include "ProxyWorker.h"
#include "UpstreamPool.h"
#include "metrics/Metrics.h"

#include <QTcpSocket>
#include <QTimer>

namespace lab {

using http::NextHopFraming;

namespace {
constexpr qint64 kReadChunk = 64 * 1024;
} // namespace

UpstreamAttempt::UpstreamAttempt(ProxyWorker* worker, Exchange* exchange, QObject* parent)
    : QObject(parent)
    , m_worker(worker)
    , m_exchange(exchange)
    , m_timer(new QTimer(this))
    , m_parser(http::HttpParser::Kind::Response, this)
{
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, &UpstreamAttempt::onTimer);
}

UpstreamAttempt::~UpstreamAttempt()
{
    release(false);
}

void UpstreamAttempt::beginRequest(QByteArray head, bool replayAllowed)
{
    m_replay = std::move(head);
    m_replaySent = 0;
    m_replayOverflow = false;
    m_replayAllowed = replayAllowed;
}

void UpstreamAttempt::endRequest()
{
    m_replay.clear();
    m_replaySent = 0;
    m_ticket = {}; // finished already, or abandoned here (the exchange ended without the backend's verdict)
    m_backend.reset();
}

bool UpstreamAttempt::requestRoom() const
{
    if (m_phase == Phase::Idle || m_phase == Phase::Connecting)
        return m_replay.size() - m_replaySent < kHighWaterBytes;
    return m_socket->bytesToWrite() < kHighWaterBytes;
}

void UpstreamAttempt::start(AttemptTicket ticket)
{
    m_ticket = std::move(ticket); // an earlier attempt without an outcome is abandoned here
    const BackendPtr b = m_ticket.backend();
    TrafficCounters& bc = m_worker->metrics().backends[size_t(b->id)];
    m_backend = b;
    b->activeRequests.fetch_add(1, std::memory_order_relaxed);
    m_sinceStart.start();
    m_bytesSeen = false;
    m_parser.reset();
    m_parser.setNextResponseHasNoBody(m_exchange->request().method == "HEAD");
    m_replaySent = 0;

    QTcpSocket* s = m_worker->upstreams().take(b->id);
    m_fromPool = s != nullptr;
    if (!s) {
        s = new QTcpSocket(this);
        bc.add(bc.connections);
        bc.activeConnections.fetch_add(1, std::memory_order_relaxed);
    }
    s->setParent(this);
    m_socket = s;
    connect(s, &QTcpSocket::connected, this, &UpstreamAttempt::onConnected);
    connect(s, &QTcpSocket::readyRead, this, &UpstreamAttempt::processInput);
    connect(s, &QTcpSocket::errorOccurred, this, &UpstreamAttempt::onError);
    connect(s, &QTcpSocket::disconnected, this, &UpstreamAttempt::onError);
    connect(s, &QTcpSocket::bytesWritten, this, &UpstreamAttempt::onBytesWritten);
    if (m_fromPool) {
        onConnected();
    } else {
        m_phase = Phase::Connecting;
        s->setReadBufferSize(kReadChunk);
        m_timer->start(m_exchange->settings().timeouts.connectMs);
        s->connectToHost(b->host, b->port);
    }
}

void UpstreamAttempt::onConnected()
{
    m_phase = Phase::AwaitingResponse;
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_worker->pool().markSuccess(*m_backend);
    m_timer->start(m_exchange->settings().timeouts.upstreamResponseMs);
    flushReplay();
}

void UpstreamAttempt::onBytesWritten()
{
    if (!m_socket)
        return;
    // Request bytes are moving (a client's upload reaches the backend): that is progress, not a stall.
    // The last of them restarts the timer once more, so the response timeout counts from the moment
    // the whole request has been sent.
    if (!responseStarted())
        m_timer->start(m_exchange->settings().timeouts.upstreamResponseMs);
    if (m_socket->bytesToWrite() < kHighWaterBytes && !m_exchange->requestComplete())
        m_exchange->requestBytesDrained();
}

void UpstreamAttempt::appendRequestBytes(QByteArrayView bytes)
{
    if (m_replayOverflow) { // streaming straight through; only ever set while connected
        if (m_socket) {
            m_socket->write(bytes.data(), bytes.size());
            TrafficCounters& bc = m_worker->metrics().backends[size_t(m_backend->id)];
            bc.add(bc.bytesOut, quint64(bytes.size()));
        }
        return;
    }
    m_replay.append(bytes);
    if (m_phase != Phase::Idle && m_phase != Phase::Connecting)
        flushReplay();
}

void UpstreamAttempt::flushReplay()
{
    if (m_replaySent < m_replay.size()) {
        const qsizetype n = m_replay.size() - m_replaySent;
        m_socket->write(m_replay.constData() + m_replaySent, n);
        TrafficCounters& bc = m_worker->metrics().backends[size_t(m_backend->id)];
        bc.add(bc.bytesOut, quint64(n));
        m_replaySent = m_replay.size();
    }
    if (m_replay.size() > kReplayBytes) { // too big to keep for a retry: stream the rest
        m_replayOverflow = true;
        m_replay.clear();
        m_replaySent = 0;
    }
}

void UpstreamAttempt::onError()
{
    if (!m_socket)
        return;
    const bool connecting = m_phase == Phase::Connecting;
    if (connecting && m_socket->error() == QAbstractSocket::SocketResourceError) {
        // The proxy itself has no descriptor (or memory) left for the connection: not the backend's
        // fault, so it counts neither against this backend's health nor as a failover, and another
        // backend would fare no better.
        m_ticket.abandon();
        m_exchange->outOfSockets(m_backend, m_socket->errorString());
        return;
    }
    if (connecting) {
        const bool refused = m_socket->error() == QAbstractSocket::ConnectionRefusedError;
        TrafficCounters& bc = m_worker->metrics().backends[size_t(m_backend->id)];
        bc.add(bc.connectFailures);
        m_worker->pool().markConnectFailure(*m_backend);
        fail(Failure::ConnectRefused,
             refused ? QStringLiteral("connection refused")
                     : QStringLiteral("connect failed: ") + m_socket->errorString());
        return;
    }
    // Connected and now closed or reset: take what arrived first; it may complete the response.
    processInput();
    if (!m_socket || m_socket->state() == QAbstractSocket::ConnectedState)
        return;
    if (m_socket->bytesAvailable() > 0) {
        // A slow client holds back the rest (backpressure): the close counts once those bytes are through.
        m_peerClosed = true;
        return;
    }
    onEnded();
}

void UpstreamAttempt::onEnded()
{
    m_peerClosed = false;
    if (responseStarted()) {
        if (m_response.framing == http::BodyFraming::UntilClose && m_parser.finish() && m_phase == Phase::Complete) {
            processInput();
            return;
        }
        // Cut mid-body: the client must not mistake a truncated body for a whole one.
        release(false);
        m_exchange->cutClient();
        return;
    }
    if (m_fromPool && !m_bytesSeen && mayReplay()) {
        // A pooled connection the backend had already closed: not the backend's fault; try it afresh
        // (the same attempt: its ticket goes along).
        AttemptTicket again = std::move(m_ticket);
        release(false);
        m_exchange->retryFresh(std::move(again));
        return;
    }
    fail(Failure::Reset, QStringLiteral("connection closed before a response"));
}

void UpstreamAttempt::onTimer()
{
    if (!m_socket)
        return;
    const ProxySettings& settings = m_exchange->settings();
    if (m_phase == Phase::Connecting) {
        TrafficCounters& bc = m_worker->metrics().backends[size_t(m_backend->id)];
        bc.add(bc.connectFailures);
        m_worker->pool().markConnectFailure(*m_backend);
        fail(Failure::ConnectTimeout, QStringLiteral("connect timeout (%1 ms)").arg(settings.timeouts.connectMs));
    } else if (!m_exchange->requestComplete() && m_socket->bytesToWrite() == 0) {
        m_exchange->requestStalled();
    } else if (!responseStarted()) {
        fail(Failure::ResponseTimeout,
             QStringLiteral("no response within %1 ms").arg(settings.timeouts.upstreamResponseMs));
    } else {
        release(false);
        m_exchange->cutClient();
    }
}

void UpstreamAttempt::fail(Failure failure, const QString& reason)
{
    const BackendPtr failed = m_backend;
    // Passive health: what real traffic says about this backend. A discarded 404 is not its fault: it
    // answered, which is all a breaker asks of it.
    if (failure != Failure::Status || m_discardStatus >= 500)
        m_ticket.failed(reason);
    else
        m_ticket.succeeded();
    if (failure != Failure::Status) // a discarded status was counted when it arrived
        m_worker->metrics().backends[size_t(failed->id)].countResponse(0);
    release(false);
    m_exchange->attemptFailed(failure, failed, reason);
}

void UpstreamAttempt::release(bool reusable)
{
    if (!m_socket)
        return;
    QTcpSocket* s = std::exchange(m_socket, nullptr);
    s->disconnect(this);
    m_timer->stop();
    m_phase = Phase::Idle;
    m_peerClosed = false;
    m_backend->activeRequests.fetch_sub(1, std::memory_order_relaxed);
    if (reusable) {
        m_worker->upstreams().put(m_backend->id, s);
        return;
    }
    m_worker->metrics().backends[size_t(m_backend->id)].activeConnections.fetch_sub(1, std::memory_order_relaxed);
    s->abort();
    s->deleteLater();
}

void UpstreamAttempt::clientDrained()
{
    if (m_socket && m_phase != Phase::Connecting && m_exchange->clientBytesToWrite() < kHighWaterBytes)
        processInput();
}

void UpstreamAttempt::processInput()
{
    while (m_socket && m_socket->bytesAvailable() > 0) {
        if (m_exchange->clientBytesToWrite() >= kHighWaterBytes)
            return; // resumed from clientDrained()
        const QByteArray data = m_socket->read(kReadChunk);
        m_bytesSeen = true;
        m_timer->start(m_exchange->settings().timeouts.upstreamResponseMs);
        TrafficCounters& bc = m_worker->metrics().backends[size_t(m_backend->id)];
        bc.add(bc.bytesIn, quint64(data.size()));
        qsizetype pos = 0;
        while (pos < data.size()) {
            const qsizetype used = m_parser.feed(QByteArrayView(data).sliced(pos));
            if (used < 0) {
                if (m_phase == Phase::Discarding) {
                    m_worker->metrics().backends[size_t(m_backend->id)].countResponse(m_discardStatus);
                    fail(Failure::Status, QString::number(m_discardStatus));
                } else {
                    const QByteArray why =
                        m_badResponse.isEmpty() ? m_parser.error().reason : std::exchange(m_badResponse, {});
                    fail(Failure::BadResponse, QStringLiteral("malformed response (%1)").arg(QString::fromUtf8(why)));
                }
                return;
            }
            pos += used;
            if (m_phase == Phase::Complete)
                break;
        }
        if (m_phase == Phase::Complete) {
            const bool reusable = pos == data.size() && m_socket->bytesAvailable() == 0 && m_response.keepAlive &&
                m_exchange->requestComplete() && m_response.framing != http::BodyFraming::UntilClose;
            finishResponse(reusable);
            return;
        }
    }
    if (m_phase == Phase::Complete && m_socket) // completed by finish() at close
        finishResponse(false);
    else if (m_peerClosed && m_socket && m_socket->bytesAvailable() == 0)
        onEnded(); // the backend closed earlier and its last byte has now gone to the client
}

bool UpstreamAttempt::onHead(http::HttpHead& head)
{
    // Returning false stops the parser: for a refused head, and for a response dropped to retry elsewhere.
    if (head.statusCode == 101) { // we strip Upgrade, so a protocol switch was never asked for
        m_badResponse = "101 Switching Protocols to a request that asked for no upgrade";
        return false;
    }
    const http::HttpHead& request = m_exchange->request();
    if (head.statusCode < 200) {
        // 1xx: the final response follows. A proxy forwards them (RFC 9110 15.2), 103 Early Hints above
        // all, but not to an HTTP/1.0 client, which predates them, and not 100 Continue: the proxy answers
        // Expect itself and never forwards it, so a backend's 100 is a duplicate or was never asked for.
        m_phase = Phase::Interim;
        if (head.statusCode != 100 && !request.isHttp10())
            m_exchange->writeClient(http::serializeInterimResponse(head));
        return true;
    }
    const int status = head.statusCode;
    if (m_exchange->discardResponse(status)) {
        m_phase = Phase::Discarding;
        m_discardStatus = status;
        return false;
    }
    m_response = head;
    const bool noBody = request.method == "HEAD" || status == 204 || status == 304;
    if (noBody)
        m_downFraming = NextHopFraming::None;
    else if (head.framing == http::BodyFraming::ContentLength || head.framing == http::BodyFraming::None)
        m_downFraming = NextHopFraming::ContentLength; // None here means an explicit Content-Length: 0
    else
        m_downFraming = request.isHttp10() ? NextHopFraming::UntilClose : NextHopFraming::Chunked;
    m_phase = Phase::Streaming;
    m_exchange->responseStarting(m_response, m_downFraming);
    return true;
}

void UpstreamAttempt::onBody(QByteArrayView data)
{
    if (m_downFraming == NextHopFraming::Chunked) {
        QByteArray framed;
        http::appendChunk(framed, data);
        m_exchange->writeClient(framed);
    } else {
        m_exchange->writeClient(data);
    }
}

void UpstreamAttempt::onMessageComplete()
{
    if (m_phase == Phase::Interim) {
        m_phase = Phase::AwaitingResponse;
        m_parser.setNextResponseHasNoBody(m_exchange->request().method == "HEAD");
        return;
    }
    m_phase = Phase::Complete;
}

void UpstreamAttempt::finishResponse(bool reusable)
{
    if (m_downFraming == NextHopFraming::Chunked)
        m_exchange->writeClient(http::kLastChunk);
    const int status = m_response.statusCode;
    TrafficCounters& bc = m_worker->metrics().backends[size_t(m_backend->id)];
    bc.countResponse(status);
    bc.latency.record(quint64(m_sinceStart.nsecsElapsed() / 1000));
    if (status < 500)
        m_ticket.succeeded();
    else // "503 queue full": a lab backend says why (X-Lab-Error), which the ejection and the breaker repeat
        m_ticket.failed(m_response.header("X-Lab-Error").isEmpty()
                            ? QString::number(status)
                            : QString::number(status) + u' ' + QString::fromUtf8(m_response.header("X-Lab-Error")));
    BackendPool::reportLatency(*m_backend, double(m_sinceStart.nsecsElapsed()) / 1e6, m_worker->pool().now());
    release(reusable);
    m_exchange->responseFinished(status);
}

} // namespace lab
