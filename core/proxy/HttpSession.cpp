#include "HttpSession.h"

#include "ProxyWorker.h"
#include "RateLimiter.h"
#include "StepGate.h"
#include "balancing/Balancer.h"
#include "health/Eligibility.h"
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

HttpSession::HttpSession(qintptr socketDescriptor, ProxyWorker* worker)
    : QObject(worker)
    , m_worker(worker)
    , m_settingsRef(worker->settingsPtr())
    , m_settings(m_settingsRef.get())
    , m_client(new QTcpSocket(this))
    , m_clientTimer(new QTimer(this))
    , m_requestParser(http::HttpParser::Kind::Request, this, worker->settings().limits)
    , m_upstream(new UpstreamAttempt(worker, this, this))
    , m_headBytes(&worker->gate())
{
    m_worker->sessionOpened();
    TrafficCounters& l = m_worker->metrics().listener;
    l.add(l.connections);
    l.activeConnections.fetch_add(1, std::memory_order_relaxed);
    m_clientTimer->setSingleShot(true);
    connect(m_clientTimer, &QTimer::timeout, this, &HttpSession::onClientTimer);
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
        if (m_phase == Phase::Held)
            releaseFromHold(QStringLiteral("proxy stopping"));
        else if (!inExchange() && !m_requestParser.inMessage())
            closeClientAfterFlush();
    });
    armIdleTimer();
    processClientInput();
}

HttpSession::~HttpSession()
{
    dropHold();
    m_upstream->release(false);
    if (inExchange()) {
        m_worker->exchangeEnded();
        m_trail.finish(0, exchangeMs(), 0); // the proxy stopped mid-exchange: a followed request still ends once
    }
    m_worker->metrics().listener.activeConnections.fetch_sub(1, std::memory_order_relaxed);
    m_worker->sessionClosed();
}

// ---- client side ------------------------------------------------------------------------------------

bool HttpSession::wantClientInput() const
{
    if (m_phase == Phase::Closing)
        return false;
    if (!inExchange())
        return true; // reading the next request head
    if (m_requestComplete)
        return false; // a pipelined request waits until this exchange ends
    return m_upstream->requestRoom();
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
        const bool readingHead = !inExchange();
        const qsizetype used = m_requestParser.feed(QByteArrayView(m_clientIn).sliced(m_clientInPos));
        if (used < 0) {
            const http::HttpParseError& e = m_requestParser.error();
            if (e.status != 0) // status 0: onHead already answered
                rejectRequest(e.status, e.reason);
            return;
        }
        m_clientInPos += used;
        if (readingHead && (inExchange() || !m_requestParser.inMessage())) {
            m_headBytes.clear(); // the head is complete: the parser no longer holds it
        } else if (readingHead && !m_headBytes.grow(used)) {
            // Every connection's unfinished head together passed the cap: this one asked for more.
            rejectRequest(503, "the proxy holds too many unfinished request heads; try again", "Retry-After: 1\r\n");
            return;
        }
        if (!wasInMessage && m_requestParser.inMessage() && !inExchange() && !m_headerTimerArmed) {
            m_headerTimerArmed = true; // a head has begun: it must be complete within the header timeout
            m_clientTimer->start(m_settings->timeouts.headerReadMs);
        }
        if (m_phase == Phase::Starting)
            beginExchange();
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
    // Step mode may hold it; the lab's own traffic says so (X-Lab-Client), and a held request is followed.
    // (the header is looked for only in that scope: step mode is off for nearly every request)
    const StepScope scope = m_worker->stepGate().scope();
    m_holdRequested =
        scope == StepScope::AllClients || (scope == StepScope::LabTraffic && !head.header("X-Lab-Client").isEmpty());
    m_trail.clear();
    m_holdStartNs = m_heldNs = 0;
    m_holdExpired = false;
    if (m_trail.follow(m_worker->lifecycle(), !m_traceToken.isEmpty() || m_holdRequested))
        m_trail.record(LifecycleKind::Arrived, -1, 0,
                       QString::fromLatin1(head.method) + u' ' + QString::fromUtf8(head.target) +
                           QStringLiteral(" from ") + QString::fromLatin1(m_clientAddress));
    m_stickyName.clear();
    if (!m_settings->stickyCookie.isEmpty())
        m_stickyName = QString::fromUtf8(QByteArray::fromPercentEncoding(head.cookie(m_settings->stickyCookie)));
    m_phase = Phase::Starting;
    m_worker->exchangeStarted();
    m_exchangeTimer.start();
    m_requestComplete = false;
    m_finalStatus = 0;
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

    m_request.removeHeader("X-Lab-Client"); // the lab's own marker goes no further

    switch (head.framing) {
    case http::BodyFraming::ContentLength: m_upFraming = NextHopFraming::ContentLength; break;
    case http::BodyFraming::Chunked: m_upFraming = NextHopFraming::Chunked; break;
    default: m_upFraming = NextHopFraming::None; break;
    }
    m_upstream->beginRequest(
        http::serializeUpstreamRequest(m_request, {m_clientAddress, QByteArray(), m_request.target}, m_upFraming),
        m_idempotent || m_settings->retryNonIdempotent);
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
        m_upstream->appendRequestBytes(framed);
    } else {
        m_upstream->appendRequestBytes(data);
    }
}

void HttpSession::onMessageComplete()
{
    m_requestComplete = true;
    if (m_upFraming == NextHopFraming::Chunked)
        m_upstream->appendRequestBytes(http::kLastChunk);
}

void HttpSession::rejectRequest(int status, const QByteArray& reason, const QByteArray& extraHeaders)
{
    dropHold();
    m_upstream->abandon(); // the exchange ends here without the backend's verdict
    m_nextAttempt.abandon();
    if (m_phase == Phase::Responding) { // too late for an answer: cut the connection so the client sees the failure
        m_client->abort();
        onClientGone();
        return;
    }
    m_upstream->release(false); // the backend sees a truncated request, never an ambiguous one
    m_clientKeepAlive = false;
    m_finalStatus = status;
    const QByteArray json = "{\"error\":" + jsonString(reason) + ",\"status\":" + QByteArray::number(status) + "}\n";
    writeClient(http::makeJsonResponse(status, json, true, extraHeaders));
    TrafficCounters& l = m_worker->metrics().listener;
    l.countProxyAnswer(status);
    const bool headless = !inExchange(); // refused before its head was whole: it arrives and ends here
    if (headless && m_trail.follow(m_worker->lifecycle(), false))
        m_trail.record(LifecycleKind::Arrived, -1, 0,
                       QStringLiteral("request from ") + QString::fromLatin1(m_clientAddress));
    const double ms = exchangeMs(); // (the timer is the last exchange's when headless)
    m_trail.finish(status, headless ? 0 : ms, logAndTrace(status, ms));
    if (inExchange()) {
        m_phase = Phase::Idle;
        m_worker->exchangeEnded();
    }
    closeClientAfterFlush();
}

void HttpSession::onClientBytesWritten()
{
    if (m_phase == Phase::Closing) { // flushing before the close: the bound is on a stall, not on a slow reader's total
        m_clientTimer->start(m_settings->timeouts.clientIdleMs);
        return;
    }
    m_upstream->clientDrained();
}

void HttpSession::onClientTimer()
{
    if (m_phase == Phase::Closing) { // a close that could not flush in time
        m_client->abort();
        return;
    }
    if (m_phase == Phase::Held) {
        holdExpired();
        return;
    }
    if (inExchange())
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
    // A held request whose client leaves (the lab's traffic stopped while step mode held it) is not a
    // failure of the proxy or a backend: its trace says so, in place of a bare "no response".
    const bool wasHeld = m_phase == Phase::Held;
    if (wasHeld)
        m_heldNs = m_exchangeTimer.nsecsElapsed() - m_holdStartNs;
    dropHold();
    m_upstream->abandon(); // no verdict on the backend: a half-open trial gets its slot back
    m_nextAttempt.abandon();
    m_upstream->release(false);
    if (inExchange()) {
        m_phase = Phase::Idle;
        m_worker->exchangeEnded();
        const double ms = exchangeMs();
        quint64 traceSequence = 0;
        if (m_finalStatus == 0) {
            m_worker->metrics().listener.countResponse(0);
            m_trail.note(wasHeld ? heldText() +
                                 QStringLiteral(": the client closed before a step released it (the "
                                                "lab's traffic stopped, or the client gave up); "
                                                "never sent to a backend")
                                 : QStringLiteral("client closed"));
            traceSequence = logAndTrace(0, ms);
        }
        m_trail.finish(0, ms, traceSequence); // closed or cut before the response was whole
    }
    m_phase = Phase::Closing;
    m_clientTimer->stop();
    deleteLater();
}

void HttpSession::writeClient(QByteArrayView bytes)
{
    m_client->write(bytes.data(), bytes.size());
    TrafficCounters& l = m_worker->metrics().listener;
    l.add(l.bytesOut, quint64(bytes.size()));
}

qint64 HttpSession::clientBytesToWrite() const
{
    return m_client->bytesToWrite();
}

void HttpSession::closeClientAfterFlush()
{
    m_phase = Phase::Closing;
    m_clientTimer->start(m_settings->timeouts.clientIdleMs); // bound the flush
    m_client->disconnectFromHost();
    if (m_client->state() == QAbstractSocket::UnconnectedState)
        onClientGone();
}

// ---- picking and attempts ---------------------------------------------------------------------------

AttemptTicket HttpSession::pickBackend()
{
    const std::span<const int> tried = m_trail.tried();
    const bool explain = explaining();
    m_trail.beginPick();
    if (!m_stickyName.isEmpty()) {
        if (AttemptTicket b = m_worker->pool().pickByName(m_stickyName, tried)) {
            if (explain)
                m_trail.explain(QStringLiteral("sticky cookie %1=%2 → %2")
                                    .arg(QString::fromLatin1(m_settings->stickyCookie), m_stickyName));
            return b;
        }
        if (explain)
            m_trail.explain(
                QStringLiteral("sticky cookie names %1, which is not eligible now → a new pick").arg(m_stickyName));
    }
    QString why;
    PickContext context{m_client->peerAddress(), m_request.path(), &m_request, 0, explain ? &why : nullptr};
    AttemptTicket b = m_worker->pool().pick(context, tried);
    if (explain && !why.isEmpty())
        m_trail.explain(why);
    return b;
}

bool HttpSession::anyBackendLeft() const
{
    const BackendPool& pool = m_worker->pool();
    for (const BackendPtr& x : pool.backends()) {
        if (!m_trail.hasTried(x->id) && pickTier(pool.eligibility(*x)) != PickTier::Excluded)
            return true;
    }
    return false;
}

QByteArray HttpSession::triedJson() const
{
    QByteArray tried = "[";
    for (const BackendPtr& x : m_worker->pool().backends()) {
        if (m_trail.hasTried(x->id))
            tried += (tried.size() > 1 ? "," : "") + jsonString(x->nameUtf8);
    }
    return tried + ']';
}

void HttpSession::startAttempt()
{
    AttemptTicket b = pickBackend();
    if (!b) {
        if (m_trail.chain().isEmpty())
            m_trail.note(QStringLiteral("no backend available"));
        sendProxyError(503, "{\"error\":\"no backend available\",\"tried\":" + triedJson() + "}\n");
        return;
    }
    connectTo(std::move(b));
}

void HttpSession::connectTo(AttemptTicket attempt, bool picked)
{
    const int id = attempt->id;
    const int number = m_trail.begin(id);
    if (picked)
        m_trail.record(LifecycleKind::Picked, id, 0, m_trail.lastPickExplanation());
    MetricsShard& m = m_worker->metrics();
    TrafficCounters& bc = m.backends[size_t(id)];
    if (number > 1) {
        m.listener.add(m.listener.retries);
        bc.add(bc.retries);
    }
    bc.add(bc.requests);
    m_upstream->start(std::move(attempt));
}

void HttpSession::retryFresh(AttemptTicket ticket)
{
    m_trail.retract(ticket->id);
    connectTo(std::move(ticket), false);
}

void HttpSession::attemptFailed(Failure failure, const BackendPtr& failed, const QString& reason)
{
    m_trail.add(failed->name, reason);
    if (failure != Failure::Status) // picked for a discarded response that did not arrive whole
        m_nextAttempt.abandon();
    if (failure == Failure::Status && !m_nextAttempt) {
        // discardResponse found no backend left after a 404: every eligible one missed (docs/config.md).
        m_trail.record(LifecycleKind::AttemptFailed, failed->id, 0, reason + QStringLiteral(", no backend left"));
        sendProxyError(503, "{\"error\":\"no backend had it\",\"tried\":" + triedJson() + "}\n");
        return;
    }
    const bool responseStarted = m_phase == Phase::Responding;
    bool retry = m_trail.count() <= m_settings->retries && !responseStarted;
    switch (failure) {
    case Failure::ConnectRefused:
    case Failure::ConnectTimeout: retry = retry && m_settings->retryOnConnectFailure; break; // nothing reached it
    case Failure::Reset: retry = retry && m_settings->retryOnConnectFailure && m_upstream->mayReplay(); break;
    case Failure::ResponseTimeout: retry = retry && m_settings->retryOnTimeout && m_upstream->mayReplay(); break;
    case Failure::Status: retry = true; break; // decided in discardResponse
    case Failure::BadResponse: retry = false; break;
    }
    m_trail.record(LifecycleKind::AttemptFailed, failed->id, 0,
                   failure == Failure::Status ? reason + QStringLiteral(", retrying") : reason);
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
    if (connectFailure && !responseStarted && m_trail.triedCount() >= m_worker->pool().size()) {
        startAttempt(); // every backend was tried and none could be reached: the pick fails -> 503 with the list
        return;
    }
    const bool timeout = failure == Failure::ConnectTimeout || failure == Failure::ResponseTimeout;
    const int status = timeout ? 504 : 502;
    sendProxyError(status,
                   "{\"error\":" + jsonString(timeout ? "upstream timeout" : "bad gateway") +
                       ",\"backend\":" + jsonString(failed->nameUtf8) + ",\"reason\":" + jsonString(reason.toUtf8()) +
                       ",\"attempts\":" + jsonString(m_trail.chain().toUtf8()) + "}\n");
}

// A retried status is discarded while another backend is left to try. A 404 is also discarded when none
// is left, because then every eligible backend missed and attemptFailed answers 503 "no backend had it";
// when the retry count ran out with backends still untried, the last answer passes (as nginx's
// proxy_next_upstream_tries does), and so does the last 5xx.
bool HttpSession::discardResponse(int status)
{
    const bool miss = m_settings->retryOn404 && status == 404;
    const bool statusRetry = (m_settings->retryOn5xx && status >= 500) || miss;
    if (!statusRetry || !m_upstream->mayReplay())
        return false;
    if (m_trail.count() <= m_settings->retries) {
        m_nextAttempt = pickBackend();
        if (m_nextAttempt)
            return true;
        return miss;
    }
    return miss && !anyBackendLeft();
}

void HttpSession::responseStarting(const http::HttpHead& head, NextHopFraming down)
{
    m_finalStatus = head.statusCode;
    m_trail.setAnsweredBy(m_upstream->backend()->id);
    m_trail.record(LifecycleKind::ResponseStarted, m_upstream->backend()->id, head.statusCode);
    if (down == NextHopFraming::UntilClose || !m_requestComplete)
        m_clientKeepAlive = false; // early response or HTTP/1.0 body to close: this connection ends here
    const BackendPtr& backend = m_upstream->backend();
    http::ClientResponseInfo info;
    info.servedBy = m_settings->addServedBy ? backend->nameUtf8 : QByteArray();
    if (!m_settings->stickyCookie.isEmpty() && m_stickyName != backend->name) // first visit, or re-picked
        info.setCookie =
            m_settings->stickyCookie + '=' + backend->nameUtf8.toPercentEncoding() + "; Path=/; HttpOnly; SameSite=Lax";
    info.closeConnection = !m_clientKeepAlive;
    info.clientIsHttp10 = m_request.isHttp10();
    info.clientWantsKeepAlive = m_clientKeepAlive;
    writeClient(http::serializeClientResponse(head, info, down));
    m_phase = Phase::Responding;
}

void HttpSession::responseFinished(int status)
{
    m_trail.add(m_upstream->backend()->name, QString::number(status));
    finishExchange(status);
}

void HttpSession::cutClient()
{
    m_client->abort();
    onClientGone();
}

void HttpSession::requestStalled()
{
    rejectRequest(408,
                  "request body stalled for " + QByteArray::number(m_settings->timeouts.upstreamResponseMs) + " ms");
}

void HttpSession::outOfSockets(const BackendPtr& backend, const QString& error)
{
    m_nextAttempt.abandon();
    m_trail.add(backend->name, QStringLiteral("the proxy is out of sockets"));
    m_trail.record(LifecycleKind::AttemptFailed, backend->id, 0, QStringLiteral("the proxy is out of sockets"));
    m_worker->events().append(
        LabEvent::Kind::Proxy,
        QStringLiteral("cannot open a connection to %1: %2 (the proxy's own limit, not the backend's fault)")
            .arg(backend->name, error));
    sendProxyError(503,
                   "{\"error\":\"the proxy is out of sockets\",\"backend\":" + jsonString(backend->nameUtf8) +
                       ",\"reason\":" + jsonString(error.toUtf8()) + "}\n",
                   "Retry-After: 1\r\n");
}

// ---- ending -----------------------------------------------------------------------------------------

void HttpSession::sendProxyError(int status, const QByteArray& json, const QByteArray& extraHeaders)
{
    m_upstream->release(false);
    m_finalStatus = status;
    if (!m_requestComplete)
        m_clientKeepAlive = false;
    writeClient(http::makeJsonResponse(status, json, !m_clientKeepAlive, extraHeaders));
    TrafficCounters& l = m_worker->metrics().listener;
    l.add(l.answeredByProxy); // finishExchange counts its class
    if (status >= 500)
        l.add(l.answeredByProxy5xx);
    m_phase = Phase::Responding;
    finishExchange(status);
}

void HttpSession::finishExchange(int status)
{
    TrafficCounters& l = m_worker->metrics().listener;
    l.countResponse(status);
    // The latency the proxy and its backends took: a step-mode hold is the user's time, not theirs.
    if (!m_holdExpired)
        l.latency.record(quint64(std::max<qint64>(0, m_exchangeTimer.nsecsElapsed() - m_heldNs) / 1000));
    // One reading for the trace and the flow view: two clocks a moment apart showed one request as 2.42 ms
    // and 2.01 ms side by side (trial 5).
    const double ms = exchangeMs();
    m_trail.finish(status, ms, logAndTrace(status, ms));
    m_phase = Phase::Idle;
    m_worker->exchangeEnded();
    const bool close = !m_clientKeepAlive || !m_requestComplete || m_worker->shuttingDown();
    m_upstream->endRequest();
    m_nextAttempt = {};
    if (close) {
        closeClientAfterFlush();
        return;
    }
    m_firstRequest = false;
    armIdleTimer();
    processClientInput(); // the next pipelined request, if one is waiting
}

double HttpSession::exchangeMs() const
{
    return double(m_exchangeTimer.isValid() ? m_exchangeTimer.nsecsElapsed() : 0) / 1e6;
}

quint64 HttpSession::logAndTrace(int status, double ms)
{
    if (m_settings->accessLog) {
        std::fprintf(stdout, "%s \"%s %s HTTP/%d.%d\" %d %.1fms attempts=\"%s\"\n", m_clientAddress.constData(),
                     m_request.method.constData(), m_request.target.constData(), m_request.versionMajor,
                     m_request.versionMinor, status, ms, qPrintable(m_trail.chain()));
        std::fflush(stdout);
    }
    RequestTrace& trace = m_worker->trace();
    if (!m_sampled)
        return 0;
    TraceEntry e;
    e.time = QDateTime::currentDateTime();
    e.client = QString::fromLatin1(m_clientAddress);
    e.method = QString::fromLatin1(m_request.method);
    e.path = QString::fromUtf8(m_request.target);
    e.attempts = m_trail.chain();
    e.servedBy = status > 0 && m_upstream->backend() ? m_upstream->backend()->name : QString();
    e.status = status;
    e.latencyMs = ms;
    e.token = m_traceToken;
    e.why = m_trail.explanation();
    return trace.record(std::move(e));
}

} // namespace lab
