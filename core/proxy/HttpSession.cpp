#include "HttpSession.h"

#include "ProxyWorker.h"
#include "UpstreamPool.h"
#include "balancing/Balancer.h"
#include "http/RequestRules.h"
#include "metrics/EventLog.h"
#include "metrics/Metrics.h"
#include "metrics/RequestTrace.h"

#include <QDateTime>
#include <QTcpSocket>
#include <QTimer>
#include <cstdio>

namespace lab {

using http::NextHopFraming;

namespace {
constexpr qint64 kReadChunk = 64 * 1024;

QByteArray jsonString(QByteArrayView s)
{
    QByteArray out = "\"";
    http::appendJsonEscaped(out, s);
    out += '"';
    return out;
}
} // namespace

// Forwards the response parser's callbacks to the session; returning false from onHead stops parsing
// when the session decided to discard this response and retry elsewhere.
class HttpSession::ResponseHandler final : public http::HttpParserHandler {
public:
    explicit ResponseHandler(HttpSession* s)
        : m_s(s)
    {
    }
    bool onHead(http::HttpHead& h) override
    {
        m_s->onResponseHead(h);
        return !m_s->m_discardResponse && m_s->m_badResponse.isEmpty();
    }
    void onBody(QByteArrayView d) override { m_s->onResponseBody(d); }
    void onMessageComplete() override { m_s->onResponseComplete(); }

private:
    HttpSession* m_s;
};

HttpSession::HttpSession(qintptr socketDescriptor, ProxyWorker* worker)
    : QObject(worker)
    , m_worker(worker)
    , m_settingsRef(worker->settingsPtr())
    , m_settings(m_settingsRef.get())
    , m_client(new QTcpSocket(this))
    , m_clientTimer(new QTimer(this))
    , m_upstreamTimer(new QTimer(this))
    , m_requestParser(http::HttpParser::Kind::Request, this, worker->settings().limits)
    , m_responseHandler(std::make_unique<ResponseHandler>(this))
    , m_responseParser(http::HttpParser::Kind::Response, m_responseHandler.get())
    , m_headBytes(&worker->gate())
{
    m_worker->sessionOpened();
    TrafficCounters& l = m_worker->metrics().listener;
    l.add(l.connections);
    l.activeConnections.fetch_add(1, std::memory_order_relaxed);
    m_clientTimer->setSingleShot(true);
    m_upstreamTimer->setSingleShot(true);
    connect(m_clientTimer, &QTimer::timeout, this, &HttpSession::onClientTimer);
    connect(m_upstreamTimer, &QTimer::timeout, this, &HttpSession::onUpstreamTimer);
    if (!m_client->setSocketDescriptor(socketDescriptor)) {
        deleteLater();
        return;
    }
    m_client->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_client->setReadBufferSize(kReadChunk);
    QHostAddress peer = m_client->peerAddress();
    bool mapped = false;
    const QHostAddress v4(peer.toIPv4Address(&mapped));
    m_clientAddress = (mapped ? v4 : peer).toString().toLatin1();
    connect(m_client, &QTcpSocket::readyRead, this, &HttpSession::processClientInput);
    connect(m_client, &QTcpSocket::bytesWritten, this, &HttpSession::onClientBytesWritten);
    connect(m_client, &QTcpSocket::disconnected, this, &HttpSession::onClientGone);
    connect(m_worker, &ProxyWorker::shutdownRequested, this, [this] {
        m_clientKeepAlive = false;
        if (!m_inExchange && !m_requestParser.inMessage())
            closeClientAfterFlush();
    });
    armIdleTimer();
    processClientInput();
}

HttpSession::~HttpSession()
{
    if (m_upstream)
        releaseUpstream(false);
    if (m_inExchange)
        m_worker->exchangeEnded();
    m_worker->metrics().listener.activeConnections.fetch_sub(1, std::memory_order_relaxed);
    m_worker->sessionClosed();
}

// ---- client side ------------------------------------------------------------------------------------

bool HttpSession::wantClientInput() const
{
    if (m_closing)
        return false;
    if (!m_inExchange)
        return true; // reading the next request head
    if (m_requestComplete)
        return false; // a pipelined request waits until this exchange ends
    if (!m_upstreamConnected)
        return m_replay.size() - m_replaySent < kHighWaterBytes;
    return m_upstream->bytesToWrite() < kHighWaterBytes;
}

void HttpSession::processClientInput()
{
    // Guard against re-entry: finishing an exchange asks for the next request, which may finish at once.
    if (m_processingInput)
        return;
    m_processingInput = true;
    auto restore = qScopeGuard([this] { m_processingInput = false; });

    while (wantClientInput()) {
        if (m_clientInPos >= m_clientIn.size()) {
            m_clientIn.clear();
            m_clientInPos = 0;
            if (m_client->bytesAvailable() == 0)
                return;
            m_clientIn = m_client->read(kReadChunk);
            m_worker->metrics().listener.add(m_worker->metrics().listener.bytesIn, quint64(m_clientIn.size()));
        }
        const bool wasInMessage = m_requestParser.inMessage();
        const bool readingHead = !m_inExchange;
        const qsizetype used = m_requestParser.feed(QByteArrayView(m_clientIn).sliced(m_clientInPos));
        if (used < 0) {
            const http::HttpParseError& e = m_requestParser.error();
            if (e.status != 0) // status 0: onHead already answered
                rejectRequest(e.status, e.reason);
            return;
        }
        m_clientInPos += used;
        if (readingHead && (m_inExchange || !m_requestParser.inMessage())) {
            m_headBytes.clear(); // the head is complete: the parser no longer holds it
        } else if (readingHead && !m_headBytes.grow(used)) {
            // Every connection's unfinished head together passed the cap: this one asked for more.
            rejectRequest(503, "the proxy holds too many unfinished request heads; try again", "Retry-After: 1\r\n");
            return;
        }
        if (!wasInMessage && m_requestParser.inMessage() && !m_inExchange && !m_headerTimerArmed) {
            m_headerTimerArmed = true; // a head has begun: it must be complete within the header timeout
            m_clientTimer->start(m_settings->timeouts.headerReadMs);
        }
        if (m_inExchange && m_attemptCount == 0 && !m_closing)
            startAttempt();
    }
}

bool HttpSession::onHead(http::HttpHead& head)
{
    m_clientTimer->stop();
    m_headerTimerArmed = false;
    m_request = head;
    if (m_settingsRef != m_worker->settingsPtr()) {
        m_settingsRef = m_worker->settingsPtr();
        m_settings = m_settingsRef.get();
    }
    m_traceToken = QString::fromLatin1(head.header("X-Lab-Trace"));
    m_sampled = !m_traceToken.isEmpty() || m_worker->trace().shouldSample();
    m_why.clear();
    m_stickyName.clear();
    if (!m_settings->stickyCookie.isEmpty())
        m_stickyName = QString::fromUtf8(QByteArray::fromPercentEncoding(head.cookie(m_settings->stickyCookie)));
    m_inExchange = true;
    m_worker->exchangeStarted();
    m_exchangeTimer.start();
    m_requestComplete = false;
    m_responseStarted = false;
    m_discardResponse = false;
    m_finalStatus = 0;
    m_tried.clear();
    m_attempts.clear();
    m_attemptCount = 0;
    TrafficCounters& l = m_worker->metrics().listener;
    l.add(l.requests);

    m_clientKeepAlive = head.keepAlive && !m_worker->shuttingDown();
    m_idempotent = http::isIdempotentMethod(head.method);

    // A request that two servers could read two ways is refused here and never forwarded.
    const http::RequestVerdict verdict =
        http::checkAndNormalizeRequest(m_request, {m_settings->maxBodyBytes, m_settings->underscoresInHeaders});
    if (!verdict) {
        rejectRequest(verdict.status, verdict.reason);
        return false;
    }

    switch (head.framing) {
    case http::BodyFraming::ContentLength: m_upFraming = NextHopFraming::ContentLength; break;
    case http::BodyFraming::Chunked: m_upFraming = NextHopFraming::Chunked; break;
    default: m_upFraming = NextHopFraming::None; break;
    }
    m_replay =
        http::serializeUpstreamRequest(m_request, {m_clientAddress, QByteArray(), m_request.target}, m_upFraming);
    m_replaySent = 0;
    m_replayOverflow = false;
    if (m_upFraming != NextHopFraming::None && !head.isHttp10() &&
        http::headerListContains(head.header("Expect"), "100-continue"))
        writeClient("HTTP/1.1 100 Continue\r\n\r\n");
    return true; // the attempt starts once the parser has returned (see processClientInput)
}

void HttpSession::onBody(QByteArrayView data)
{
    if (m_upFraming == NextHopFraming::Chunked) {
        QByteArray framed;
        http::appendChunk(framed, data);
        appendRequestBytes(framed);
    } else {
        appendRequestBytes(data);
    }
}

void HttpSession::onMessageComplete()
{
    m_requestComplete = true;
    if (m_upFraming == NextHopFraming::Chunked)
        appendRequestBytes(http::kLastChunk);
}

void HttpSession::rejectRequest(int status, const QByteArray& reason, const QByteArray& extraHeaders)
{
    m_attempt.abandon(); // the exchange ends here without the backend's verdict
    m_nextAttempt.abandon();
    if (m_responseStarted) { // too late for an answer: cut the connection so the client sees the failure
        m_client->abort();
        onClientGone();
        return;
    }
    if (m_upstream)
        releaseUpstream(false); // the backend sees a truncated request, never an ambiguous one
    m_clientKeepAlive = false;
    m_finalStatus = status;
    const QByteArray json = "{\"error\":" + jsonString(reason) + ",\"status\":" + QByteArray::number(status) + "}\n";
    writeClient(http::makeJsonResponse(status, json, true, extraHeaders));
    TrafficCounters& l = m_worker->metrics().listener;
    l.countResponse(status);
    logAndTrace(status);
    if (m_inExchange) {
        m_inExchange = false;
        m_worker->exchangeEnded();
    }
    closeClientAfterFlush();
}

void HttpSession::onClientBytesWritten()
{
    if (m_closing) { // flushing before the close: the bound is on a stall, not on a slow reader's total
        m_clientTimer->start(m_settings->timeouts.clientIdleMs);
        return;
    }
    if (m_upstream && m_upstreamConnected && m_client->bytesToWrite() < kHighWaterBytes)
        processUpstreamInput();
}

void HttpSession::onClientTimer()
{
    if (m_closing) { // a close that could not flush in time
        m_client->abort();
        return;
    }
    if (m_inExchange)
        return;
    if (m_requestParser.inMessage())
        rejectRequest(
            408, "request head not received within " + QByteArray::number(m_settings->timeouts.headerReadMs) + " ms");
    else
        closeClientAfterFlush(); // idle keep-alive connection: close quietly
}

void HttpSession::armIdleTimer()
{
    m_headerTimerArmed = m_firstRequest;
    m_clientTimer->start(m_firstRequest ? m_settings->timeouts.headerReadMs : m_settings->timeouts.clientIdleMs);
}

void HttpSession::onClientGone()
{
    m_attempt.abandon(); // no verdict on the backend: a half-open trial gets its slot back
    m_nextAttempt.abandon();
    if (m_upstream)
        releaseUpstream(false);
    if (m_inExchange) {
        m_inExchange = false;
        m_worker->exchangeEnded();
        if (m_finalStatus == 0) {
            m_worker->metrics().listener.countResponse(0);
            m_attempts += m_attempts.isEmpty() ? QStringLiteral("client closed") : QStringLiteral(" → client closed");
            logAndTrace(0);
        }
    }
    m_closing = true;
    m_clientTimer->stop();
    m_upstreamTimer->stop();
    deleteLater();
}

void HttpSession::writeClient(QByteArrayView bytes)
{
    m_client->write(bytes.data(), bytes.size());
    TrafficCounters& l = m_worker->metrics().listener;
    l.add(l.bytesOut, quint64(bytes.size()));
}

void HttpSession::closeClientAfterFlush()
{
    m_closing = true;
    m_clientTimer->start(m_settings->timeouts.clientIdleMs); // bound the flush
    m_client->disconnectFromHost();
    if (m_client->state() == QAbstractSocket::UnconnectedState)
        onClientGone();
}

// ---- upstream side ----------------------------------------------------------------------------------

void HttpSession::explain(const QString& text)
{
    m_why += (m_why.isEmpty() ? QString() : QStringLiteral("; ")) + text;
}

AttemptTicket HttpSession::pickBackend()
{
    const std::span<const int> tried(m_tried.data(), size_t(m_tried.size()));
    if (!m_stickyName.isEmpty()) {
        if (AttemptTicket b = m_worker->pool().pickByName(m_stickyName, tried)) {
            if (m_sampled)
                explain(QStringLiteral("sticky cookie %1=%2 → %2")
                            .arg(QString::fromLatin1(m_settings->stickyCookie), m_stickyName));
            return b;
        }
        if (m_sampled)
            explain(QStringLiteral("sticky cookie names %1, which is not eligible now → a new pick").arg(m_stickyName));
    }
    QString why;
    PickContext context{m_client->peerAddress(), m_request.path(), &m_request, 0, m_sampled ? &why : nullptr};
    AttemptTicket b = m_worker->pool().pick(context, tried);
    if (m_sampled && !why.isEmpty())
        explain(why);
    return b;
}

void HttpSession::startAttempt()
{
    AttemptTicket b = pickBackend();
    if (!b) {
        QByteArray tried = "[";
        for (const BackendPtr& x : m_worker->pool().backends()) {
            if (m_tried.contains(x->id))
                tried += (tried.size() > 1 ? "," : "") + jsonString(x->nameUtf8);
        }
        tried += ']';
        if (m_attempts.isEmpty())
            m_attempts = QStringLiteral("no backend available");
        sendProxyError(503, "{\"error\":\"no backend available\",\"tried\":" + tried + "}\n");
        return;
    }
    connectTo(std::move(b));
}

void HttpSession::connectTo(AttemptTicket attempt)
{
    m_attempt = std::move(attempt); // an earlier attempt without an outcome is abandoned here
    const BackendPtr b = m_attempt.backend();
    m_tried.append(b->id);
    ++m_attemptCount;
    MetricsShard& m = m_worker->metrics();
    TrafficCounters& bc = m.backends[size_t(b->id)];
    if (m_attemptCount > 1) {
        m.listener.add(m.listener.retries);
        bc.add(bc.retries);
    }
    bc.add(bc.requests);
    m_backend = b;
    b->activeRequests.fetch_add(1, std::memory_order_relaxed);
    m_attemptTimer.start();
    m_upstreamBytesSeen = false;
    m_discardResponse = false;
    m_interimResponse = false;
    m_responseDone = false;
    m_responseParser.reset();
    m_responseParser.setNextResponseHasNoBody(m_request.method == "HEAD");
    m_replaySent = 0;

    QTcpSocket* s = m_worker->upstreams().take(b->id);
    m_upstreamFromPool = s != nullptr;
    if (!s) {
        s = new QTcpSocket(this);
        bc.add(bc.connections);
        bc.activeConnections.fetch_add(1, std::memory_order_relaxed);
    }
    s->setParent(this);
    m_upstream = s;
    connect(s, &QTcpSocket::connected, this, &HttpSession::onUpstreamConnected);
    connect(s, &QTcpSocket::readyRead, this, &HttpSession::onUpstreamReadyRead);
    connect(s, &QTcpSocket::errorOccurred, this, &HttpSession::onUpstreamError);
    connect(s, &QTcpSocket::disconnected, this, &HttpSession::onUpstreamError);
    connect(s, &QTcpSocket::bytesWritten, this, &HttpSession::onUpstreamBytesWritten);
    if (m_upstreamFromPool) {
        onUpstreamConnected();
    } else {
        m_upstreamConnected = false;
        s->setReadBufferSize(kReadChunk);
        m_upstreamTimer->start(m_settings->timeouts.connectMs);
        s->connectToHost(b->host, b->port);
    }
}

void HttpSession::onUpstreamConnected()
{
    m_upstreamConnected = true;
    m_upstream->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_worker->pool().markSuccess(*m_backend);
    m_upstreamTimer->start(m_settings->timeouts.upstreamResponseMs);
    flushReplay();
}

void HttpSession::onUpstreamBytesWritten()
{
    if (!m_upstream)
        return;
    // Request bytes are moving (a client's upload reaches the backend): that is progress, not a stall.
    // The last of them restarts the timer once more, so the response timeout counts from the moment
    // the whole request has been sent.
    if (!m_responseStarted)
        m_upstreamTimer->start(m_settings->timeouts.upstreamResponseMs);
    if (m_upstream->bytesToWrite() < kHighWaterBytes && !m_requestComplete)
        processClientInput();
}

void HttpSession::appendRequestBytes(QByteArrayView bytes)
{
    if (m_replayOverflow) { // streaming straight through; only ever set while connected
        if (m_upstream) {
            m_upstream->write(bytes.data(), bytes.size());
            TrafficCounters& bc = m_worker->metrics().backends[size_t(m_backend->id)];
            bc.add(bc.bytesOut, quint64(bytes.size()));
        }
        return;
    }
    m_replay.append(bytes);
    if (m_upstreamConnected)
        flushReplay();
}

void HttpSession::flushReplay()
{
    if (m_replaySent < m_replay.size()) {
        const qsizetype n = m_replay.size() - m_replaySent;
        m_upstream->write(m_replay.constData() + m_replaySent, n);
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

bool HttpSession::mayReplay() const
{
    if (m_replayOverflow)
        return false;
    return m_idempotent || m_settings->retryNonIdempotent;
}

void HttpSession::onUpstreamError()
{
    if (!m_upstream)
        return;
    if (!m_upstreamConnected && m_upstream->error() == QAbstractSocket::SocketResourceError) {
        // The proxy itself has no descriptor (or memory) left for the connection: not the backend's
        // fault, so it counts neither against this backend's health nor as a failover, and another
        // backend would fare no better.
        m_attempt.abandon();
        m_nextAttempt.abandon();
        m_attempts += (m_attempts.isEmpty() ? QString() : QStringLiteral(" → ")) + m_backend->name +
            QStringLiteral(": the proxy is out of sockets");
        m_worker->events().append(LabEvent::Kind::Proxy,
                                  QStringLiteral("cannot open a connection to %1: %2 (the proxy's own limit, not the "
                                                 "backend's fault)")
                                      .arg(m_backend->name, m_upstream->errorString()));
        sendProxyError(503,
                       "{\"error\":\"the proxy is out of sockets\",\"backend\":" + jsonString(m_backend->nameUtf8) +
                           ",\"reason\":" + jsonString(m_upstream->errorString().toUtf8()) + "}\n",
                       "Retry-After: 1\r\n");
        return;
    }
    if (!m_upstreamConnected) {
        const bool refused = m_upstream->error() == QAbstractSocket::ConnectionRefusedError;
        TrafficCounters& bc = m_worker->metrics().backends[size_t(m_backend->id)];
        bc.add(bc.connectFailures);
        m_worker->pool().markConnectFailure(*m_backend);
        failAttempt(Failure::ConnectRefused,
                    refused ? QStringLiteral("connection refused")
                            : QStringLiteral("connect failed: ") + m_upstream->errorString());
        return;
    }
    // Connected and now closed or reset: take what arrived first; it may complete the response.
    processUpstreamInput();
    if (!m_upstream || m_upstream->state() == QAbstractSocket::ConnectedState)
        return;
    if (m_upstream->bytesAvailable() > 0) {
        // A slow client holds back the rest (backpressure): the close counts once those bytes are through.
        m_upstreamEnded = true;
        return;
    }
    onUpstreamEnded();
}

void HttpSession::onUpstreamEnded()
{
    m_upstreamEnded = false;
    if (m_responseStarted) {
        if (m_response.framing == http::BodyFraming::UntilClose && m_responseParser.finish() && m_responseDone) {
            processUpstreamInput();
            return;
        }
        // Cut mid-body: the client must not mistake a truncated body for a whole one.
        releaseUpstream(false);
        m_client->abort();
        onClientGone();
        return;
    }
    if (m_upstreamFromPool && !m_upstreamBytesSeen && mayReplay()) {
        // A pooled connection the backend had already closed: not the backend's fault; try it afresh
        // (the same attempt: its ticket goes along).
        AttemptTicket again = std::move(m_attempt);
        releaseUpstream(false);
        m_tried.removeOne(again->id);
        --m_attemptCount;
        connectTo(std::move(again));
        return;
    }
    failAttempt(Failure::Reset, QStringLiteral("connection closed before a response"));
}

void HttpSession::onUpstreamTimer()
{
    if (!m_upstream)
        return;
    if (!m_upstreamConnected) {
        TrafficCounters& bc = m_worker->metrics().backends[size_t(m_backend->id)];
        bc.add(bc.connectFailures);
        m_worker->pool().markConnectFailure(*m_backend);
        failAttempt(Failure::ConnectTimeout,
                    QStringLiteral("connect timeout (%1 ms)").arg(m_settings->timeouts.connectMs));
    } else if (!m_requestComplete && m_upstream->bytesToWrite() == 0) {
        rejectRequest(
            408, "request body stalled for " + QByteArray::number(m_settings->timeouts.upstreamResponseMs) + " ms");
    } else if (!m_responseStarted) {
        failAttempt(Failure::ResponseTimeout,
                    QStringLiteral("no response within %1 ms").arg(m_settings->timeouts.upstreamResponseMs));
    } else {
        releaseUpstream(false);
        m_client->abort();
        onClientGone();
    }
}

void HttpSession::failAttempt(Failure failure, const QString& reason)
{
    const BackendPtr failed = m_backend;
    m_attempts +=
        (m_attempts.isEmpty() ? QString() : QStringLiteral(" → ")) + failed->name + QStringLiteral(": ") + reason;
    // Passive health: what real traffic says about this backend. A discarded 404 is not its fault: it
    // answered, which is all a breaker asks of it.
    if (failure != Failure::Status || m_discardStatus >= 500)
        m_attempt.failed(reason);
    else
        m_attempt.succeeded();
    if (failure != Failure::Status) // picked for a discarded response that did not arrive whole
        m_nextAttempt.abandon();
    if (failure != Failure::Status) // a discarded status was counted when it arrived
        m_worker->metrics().backends[size_t(failed->id)].countResponse(0);
    releaseUpstream(false);

    bool retry = m_attemptCount <= m_settings->retries && !m_responseStarted;
    switch (failure) {
    case Failure::ConnectRefused:
    case Failure::ConnectTimeout: retry = retry && m_settings->retryOnConnectFailure; break; // nothing reached it
    case Failure::Reset: retry = retry && m_settings->retryOnConnectFailure && mayReplay(); break;
    case Failure::ResponseTimeout: retry = retry && m_settings->retryOnTimeout && mayReplay(); break;
    case Failure::Status: retry = true; break; // decided in onResponseHead
    case Failure::BadResponse: retry = false; break;
    }
    if (retry) {
        m_worker->events().append(
            LabEvent::Kind::Failover,
            QStringLiteral("%1 %2: %3: %4, retrying on another backend")
                .arg(QString::fromLatin1(m_request.method), QString::fromUtf8(m_request.target), failed->name, reason));
        if (failure == Failure::Status && m_nextAttempt)
            connectTo(std::move(m_nextAttempt));
        else
            startAttempt();
        return;
    }
    const bool connectFailure = failure == Failure::ConnectRefused || failure == Failure::ConnectTimeout;
    if (connectFailure && !m_responseStarted && m_tried.size() >= m_worker->pool().size()) {
        startAttempt(); // every backend was tried and none could be reached: the pick fails -> 503 with the list
        return;
    }
    const bool timeout = failure == Failure::ConnectTimeout || failure == Failure::ResponseTimeout;
    const int status = timeout ? 504 : 502;
    sendProxyError(status,
                   "{\"error\":" + jsonString(timeout ? "upstream timeout" : "bad gateway") +
                       ",\"backend\":" + jsonString(failed->nameUtf8) + ",\"reason\":" + jsonString(reason.toUtf8()) +
                       ",\"attempts\":" + jsonString(m_attempts.toUtf8()) + "}\n");
}

void HttpSession::releaseUpstream(bool reusable)
{
    if (!m_upstream)
        return;
    QTcpSocket* s = std::exchange(m_upstream, nullptr);
    s->disconnect(this);
    m_upstreamTimer->stop();
    m_upstreamConnected = false;
    m_upstreamEnded = false;
    m_backend->activeRequests.fetch_sub(1, std::memory_order_relaxed);
    if (reusable) {
        m_worker->upstreams().put(m_backend->id, s);
        return;
    }
    m_worker->metrics().backends[size_t(m_backend->id)].activeConnections.fetch_sub(1, std::memory_order_relaxed);
    s->abort();
    s->deleteLater();
}

void HttpSession::onUpstreamReadyRead()
{
    processUpstreamInput();
}

void HttpSession::processUpstreamInput()
{
    while (m_upstream && m_upstream->bytesAvailable() > 0) {
        if (m_client->bytesToWrite() >= kHighWaterBytes)
            return; // resumed from onClientBytesWritten
        const QByteArray data = m_upstream->read(kReadChunk);
        m_upstreamBytesSeen = true;
        m_upstreamTimer->start(m_settings->timeouts.upstreamResponseMs);
        TrafficCounters& bc = m_worker->metrics().backends[size_t(m_backend->id)];
        bc.add(bc.bytesIn, quint64(data.size()));
        qsizetype pos = 0;
        while (pos < data.size()) {
            const qsizetype used = m_responseParser.feed(QByteArrayView(data).sliced(pos));
            if (used < 0) {
                if (m_discardResponse) {
                    m_worker->metrics().backends[size_t(m_backend->id)].countResponse(m_discardStatus);
                    failAttempt(Failure::Status, QString::number(m_discardStatus));
                } else {
                    const QByteArray why =
                        m_badResponse.isEmpty() ? m_responseParser.error().reason : std::exchange(m_badResponse, {});
                    failAttempt(Failure::BadResponse,
                                QStringLiteral("malformed response (%1)").arg(QString::fromUtf8(why)));
                }
                return;
            }
            pos += used;
            if (m_responseDone)
                break;
        }
        if (m_responseDone) {
            const bool reusable = pos == data.size() && m_upstream->bytesAvailable() == 0 && m_response.keepAlive &&
                m_requestComplete && m_response.framing != http::BodyFraming::UntilClose;
            onResponseFinished(reusable);
            return;
        }
    }
    if (m_responseDone && m_upstream) // completed by finish() at close
        onResponseFinished(false);
    else if (m_upstreamEnded && m_upstream && m_upstream->bytesAvailable() == 0)
        onUpstreamEnded(); // the backend closed earlier and its last byte has now gone to the client
}

void HttpSession::onResponseHead(http::HttpHead& head)
{
    if (head.statusCode == 101) { // we strip Upgrade, so a protocol switch was never asked for
        m_badResponse = "101 Switching Protocols to a request that asked for no upgrade";
        return;
    }
    if (head.statusCode < 200) {
        // 1xx: the final response follows. A proxy forwards them (RFC 9110 15.2), 103 Early Hints above
        // all, but not to an HTTP/1.0 client, which predates them, and not 100 Continue: the proxy answers
        // Expect itself and never forwards it, so a backend's 100 is a duplicate or was never asked for.
        m_interimResponse = true;
        if (head.statusCode != 100 && !m_request.isHttp10())
            writeClient(http::serializeInterimResponse(head));
        return;
    }
    const int status = head.statusCode;
    const bool statusRetry = (m_settings->retryOn5xx && status >= 500) || (m_settings->retryOn404 && status == 404);
    if (statusRetry && m_attemptCount <= m_settings->retries && mayReplay()) {
        m_nextAttempt = pickBackend();
        if (m_nextAttempt) {
            m_discardResponse = true;
            m_discardStatus = status;
            return;
        }
    }
    m_response = head;
    m_finalStatus = status;
    const bool noBody = m_request.method == "HEAD" || status == 204 || status == 304;
    if (noBody)
        m_downFraming = NextHopFraming::None;
    else if (head.framing == http::BodyFraming::ContentLength || head.framing == http::BodyFraming::None)
        m_downFraming = NextHopFraming::ContentLength; // None here means an explicit Content-Length: 0
    else
        m_downFraming = m_request.isHttp10() ? NextHopFraming::UntilClose : NextHopFraming::Chunked;
    if (m_downFraming == NextHopFraming::UntilClose || !m_requestComplete)
        m_clientKeepAlive = false; // early response or HTTP/1.0 body to close: this connection ends here
    http::ClientResponseInfo info;
    info.servedBy = m_settings->addServedBy ? m_backend->nameUtf8 : QByteArray();
    if (!m_settings->stickyCookie.isEmpty() && m_stickyName != m_backend->name) // first visit, or re-picked
        info.setCookie = m_settings->stickyCookie + '=' + m_backend->nameUtf8.toPercentEncoding() +
            "; Path=/; HttpOnly; SameSite=Lax";
    info.closeConnection = !m_clientKeepAlive;
    info.clientIsHttp10 = m_request.isHttp10();
    info.clientWantsKeepAlive = m_clientKeepAlive;
    writeClient(http::serializeClientResponse(m_response, info, m_downFraming));
    m_responseStarted = true;
}

void HttpSession::onResponseBody(QByteArrayView data)
{
    if (m_downFraming == NextHopFraming::Chunked) {
        QByteArray framed;
        http::appendChunk(framed, data);
        writeClient(framed);
    } else {
        writeClient(data);
    }
}

void HttpSession::onResponseComplete()
{
    if (m_interimResponse) {
        m_interimResponse = false;
        m_responseParser.setNextResponseHasNoBody(m_request.method == "HEAD");
        return;
    }
    m_responseDone = true;
}

void HttpSession::onResponseFinished(bool reusable)
{
    if (m_downFraming == NextHopFraming::Chunked)
        writeClient(http::kLastChunk);
    TrafficCounters& bc = m_worker->metrics().backends[size_t(m_backend->id)];
    bc.countResponse(m_finalStatus);
    bc.latency.record(quint64(m_attemptTimer.nsecsElapsed() / 1000));
    if (m_finalStatus < 500)
        m_attempt.succeeded();
    else
        m_attempt.failed(QString::number(m_finalStatus));
    BackendPool::reportLatency(*m_backend, double(m_attemptTimer.nsecsElapsed()) / 1e6, m_worker->pool().now());
    m_attempts += (m_attempts.isEmpty() ? QString() : QStringLiteral(" → ")) + m_backend->name + QStringLiteral(": ") +
        QString::number(m_finalStatus);
    releaseUpstream(reusable);
    finishExchange(m_finalStatus);
}

// ---- ending -----------------------------------------------------------------------------------------

void HttpSession::sendProxyError(int status, const QByteArray& json, const QByteArray& extraHeaders)
{
    if (m_upstream)
        releaseUpstream(false);
    m_finalStatus = status;
    m_downFraming = NextHopFraming::ContentLength;
    if (!m_requestComplete)
        m_clientKeepAlive = false;
    writeClient(http::makeJsonResponse(status, json, !m_clientKeepAlive, extraHeaders));
    m_responseStarted = true;
    finishExchange(status);
}

void HttpSession::finishExchange(int status)
{
    TrafficCounters& l = m_worker->metrics().listener;
    l.countResponse(status);
    l.latency.record(quint64(m_exchangeTimer.nsecsElapsed() / 1000));
    logAndTrace(status);
    m_inExchange = false;
    m_worker->exchangeEnded();
    const bool close = !m_clientKeepAlive || !m_requestComplete || m_worker->shuttingDown();
    m_replay.clear();
    m_replaySent = 0;
    m_attempt = {}; // finished already, or abandoned here (the exchange ended without the backend's verdict)
    m_backend.reset();
    m_nextAttempt = {};
    m_attemptCount = 0;
    m_responseStarted = false;
    if (close) {
        closeClientAfterFlush();
        return;
    }
    m_firstRequest = false;
    armIdleTimer();
    processClientInput(); // the next pipelined request, if one is waiting
}

void HttpSession::logAndTrace(int status)
{
    const double ms = double(m_exchangeTimer.isValid() ? m_exchangeTimer.nsecsElapsed() : 0) / 1e6;
    if (m_settings->accessLog) {
        std::fprintf(stdout, "%s \"%s %s HTTP/%d.%d\" %d %.1fms attempts=\"%s\"\n", m_clientAddress.constData(),
                     m_request.method.constData(), m_request.target.constData(), m_request.versionMajor,
                     m_request.versionMinor, status, ms, qPrintable(m_attempts));
        std::fflush(stdout);
    }
    RequestTrace& trace = m_worker->trace();
    if (!m_sampled)
        return;
    TraceEntry e;
    e.time = QDateTime::currentDateTime();
    e.client = QString::fromLatin1(m_clientAddress);
    e.method = QString::fromLatin1(m_request.method);
    e.path = QString::fromUtf8(m_request.target);
    e.attempts = m_attempts;
    e.servedBy = status > 0 && m_backend ? m_backend->name : QString();
    e.status = status;
    e.latencyMs = ms;
    e.token = m_traceToken;
    e.why = m_why;
    trace.record(std::move(e));
}

} // namespace lab
