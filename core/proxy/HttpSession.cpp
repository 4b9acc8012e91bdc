#include "HttpSession.h"

#include "ProxyWorker.h"
#include "StepGate.h"
#include "http/HeadPool.h"
#include "http/RequestRules.h"
#include "metrics/Metrics.h"
#include "metrics/RequestTrace.h"

#include <QDateTime>
#include <cstdio>

namespace lab {

using http::NextHopFraming;

namespace {
constexpr qsizetype kReadChunk = 16 * 1024;
} // namespace

QByteArray HttpSession::jsonString(QByteArrayView s)
{
    QByteArray out = "\"";
    http::appendJsonEscaped(out, s);
    out += '"';
    return out;
}

HttpSession::HttpSession(qintptr socketDescriptor, const QHostAddress& client, ClientStream stream, ProxyWorker* worker)
    : QObject(worker)
    , m_worker(worker)
    , m_settingsRef(worker->settingsPtr())
    , m_settings(m_settingsRef.get())
    , m_client(new StreamSocket(int(socketDescriptor), this, this))
    , m_clientDeadline(this)
    , m_requestParser(http::HttpParser::Kind::Request, this, worker->settings().limits)
    , m_upstream(nullptr)
    , m_headBytes(&worker->gate())
    , m_clientTls(stream == ClientStream::TlsPlaintext)
{
    m_worker->sessionOpened();
    TrafficCounters& l = m_worker->metrics().listener;
    l.add(l.connections);
    l.activeConnections.fetch_add(1, std::memory_order_relaxed);
    bool mapped = false;
    const QHostAddress v4(client.toIPv4Address(&mapped));
    m_peer = mapped ? v4 : client;
    m_clientAddress = m_peer.toString().toLatin1();
    armIdleTimer();
    m_clientReadable = true; // bytes may have arrived before the notifier was set up
    processClientInput();
}

HttpSession::~HttpSession()
{
    stopClientTimer();
    BufferPool::local().give(m_clientIn);
    http::HeadPool::local().give(m_request);
    m_requestParser.releaseHead();
    dropHold();
    returnAttempt();
    if (inExchange()) {
        m_worker->exchangeEnded();
        m_trail.finish(0, exchangeMs(), 0); // the proxy stopped mid-exchange: a followed request still ends once
    }
    m_worker->metrics().listener.activeConnections.fetch_sub(1, std::memory_order_relaxed);
    m_worker->sessionClosed();
    // An accepted connection holds its slot in the gate (a TLS client's is its terminator's): given
    // back here rather than from a connection to destroyed(), which every idle session would carry.
    if (!m_clientTls)
        m_worker->gate().release(m_peer);
}

void HttpSession::beginShutdown()
{
    m_clientKeepAlive = false;
    if (m_phase == Phase::Held)
        releaseFromHold(QStringLiteral("proxy stopping"));
    else if (!inExchange() && !m_requestParser.inMessage())
        closeClientAfterFlush();
}

// ---- client side ------------------------------------------------------------------------------------

bool HttpSession::wantClientInput() const
{
    if (m_phase >= Phase::Closing)
        return false;
    if (!inExchange())
        return true; // reading the next request head
    if (m_requestComplete)
        return false; // a pipelined request waits until this exchange ends
    return m_upstream->requestRoom();
}

void HttpSession::onReadable(StreamSocket*)
{
    m_clientReadable = true;
    if (m_phase >= Phase::Closing) { // flushing before the close: what the client sends now is dropped
        m_client->discardInput();
        return;
    }
    if (wantClientInput()) {
        processClientInput();
        return;
    }
    // Mid-exchange: a pipelined request (it waits in the kernel; stop hearing of it), or the client
    // closing (the exchange is abandoned, as a reset would end it).
    const qsizetype n = m_client->peek();
    if (n == 0 || n == StreamSocket::Failed)
        onClientGone();
    else if (n > 0)
        m_client->setReadEnabled(false); // processClientInput turns it back on
}

void HttpSession::onWriteFailed(StreamSocket*, int)
{
    // The write may have been made deep inside an exchange (an attempt streaming a body): the client is
    // given up from the event loop.
    QMetaObject::invokeMethod(this, &HttpSession::onClientGone, Qt::QueuedConnection);
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
            m_clientInPos = 0;
            if (!m_clientReadable) {
                BufferPool::local().give(m_clientIn); // nothing unparsed: between requests, no buffer
                m_client->setReadEnabled(true);
                break;
            }
            if (m_clientIn.capacity() < kReadChunk)
                m_clientIn = BufferPool::local().take(kReadChunk);
            m_clientIn.resize(kReadChunk);
            const qsizetype n = m_client->read(m_clientIn.data(), kReadChunk);
            if (n <= 0) {
                m_clientIn.resize(0);
                m_clientReadable = false;
                if (n == StreamSocket::WouldBlock)
                    continue;
                onClientGone(); // closed (as QTcpSocket did: a half-close ends the connection) or reset
                return;
            }
            m_clientIn.resize(n);
            m_clientReadable = n == kReadChunk; // less: the kernel had no more (the notifier tells)
            m_worker->metrics().listener.add(m_worker->metrics().listener.bytesIn, quint64(n));
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
            armClientTimer(m_settings->timeouts.headerReadMs);
        }
        if (m_phase == Phase::Starting)
            beginExchange();
    }
    if (m_clientInPos >= m_clientIn.size() && m_clientIn.capacity() > 0) {
        m_clientInPos = 0;
        BufferPool::local().give(m_clientIn);
    }
    m_client->flush();
}

bool HttpSession::onHead(http::HttpHead& head)
{
    stopClientTimer();
    m_headerTimerArmed = false;
    std::swap(m_request, head); // the parser gets the last request back, to reuse its buffers
    if (m_settingsRef != m_worker->settingsPtr()) {
        m_settingsRef = m_worker->settingsPtr();
        m_settings = m_settingsRef.get();
    }
    m_traceToken = QString::fromLatin1(m_request.header("X-Lab-Trace"));
    m_sampled = !m_traceToken.isEmpty() || m_worker->trace().shouldSample();
    // Step mode may hold it; the lab's own traffic says so (X-Lab-Client), and a held request is followed.
    // (the header is looked for only in that scope: step mode is off for nearly every request)
    const StepScope scope = m_worker->stepGate().scope();
    const bool holdWanted = scope == StepScope::AllClients ||
        (scope == StepScope::LabTraffic && !m_request.header("X-Lab-Client").isEmpty());
    m_hold = holdWanted ? StepHold::Wanted : StepHold::None;
    m_trail.clear();
    m_holdStartNs = m_heldNs = 0;
    if (m_trail.follow(m_worker->lifecycle(), !m_traceToken.isEmpty() || holdWanted))
        m_trail.recordArrived(m_request.method, m_request.target, m_clientAddress);
    m_stickyName.clear();
    if (!m_settings->stickyCookie.isEmpty())
        m_stickyName = QString::fromUtf8(QByteArray::fromPercentEncoding(m_request.cookie(m_settings->stickyCookie)));
    m_phase = Phase::Starting;
    takeAttempt();
    m_worker->exchangeStarted();
    m_exchangeTimer.start();
    m_requestComplete = false;
    m_finalStatus = 0;
    TrafficCounters& l = m_worker->metrics().listener;
    l.add(l.requests);

    m_clientKeepAlive = m_request.keepAlive && !m_worker->shuttingDown();
    m_idempotent = http::isIdempotentMethod(m_request.method);

    // A request that two servers could read two ways is refused here and never forwarded.
    const http::RequestVerdict verdict =
        http::checkAndNormalizeRequest(m_request, {m_settings->maxBodyBytes, m_settings->underscoresInHeaders});
    if (!verdict) {
        rejectRequest(verdict.status, verdict.reason);
        return false;
    }

    m_request.removeHeader("X-Lab-Client"); // the lab's own marker goes no further

    switch (m_request.framing) {
    case http::BodyFraming::ContentLength: m_upFraming = NextHopFraming::ContentLength; break;
    case http::BodyFraming::Chunked: m_upFraming = NextHopFraming::Chunked; break;
    default: m_upFraming = NextHopFraming::None; break;
    }
    QByteArray upstreamHead = BufferPool::local().take(1024);
    http::appendUpstreamRequest(upstreamHead, m_request, {m_clientAddress, QByteArray(), m_request.target, m_clientTls},
                                m_upFraming);
    m_upstream->beginRequest(std::move(upstreamHead), m_idempotent || m_settings->retryNonIdempotent);
    if (m_upFraming != NextHopFraming::None && !m_request.isHttp10() &&
        http::headerListContains(m_request.header("Expect"), "100-continue"))
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
    if (m_upstream)
        m_upstream->abandon(); // the exchange ends here without the backend's verdict
    m_nextAttempt.abandon();
    if (m_phase == Phase::Responding) { // too late for an answer: cut the connection so the client sees the failure
        m_client->close();
        onClientGone();
        return;
    }
    if (m_upstream)
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
    returnAttempt();
    closeClientAfterFlush();
}

void HttpSession::onClientBytesWritten()
{
    if (m_phase == Phase::Closed)
        return;
    if (m_phase == Phase::Closing) { // the last bytes before the close are through
        closeClientAfterFlush();
        return;
    }
    if (m_upstream)
        m_upstream->clientDrained();
}

void HttpSession::onClientTimer()
{
    if (m_phase == Phase::Closed)
        return;
    if (m_phase == Phase::Closing) { // a close that could not flush in time
        m_client->close();
        onClientGone();
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

void HttpSession::armClientTimer(qint64 ms)
{
    m_worker->deadlines().arm(m_clientDeadline, ms);
}

void HttpSession::stopClientTimer()
{
    m_worker->deadlines().disarm(m_clientDeadline);
}

void HttpSession::armIdleTimer()
{
    m_headerTimerArmed = m_firstRequest;
    armClientTimer(m_firstRequest ? m_settings->timeouts.headerReadMs : m_settings->timeouts.clientIdleMs);
}

void HttpSession::onClientGone()
{
    if (m_phase == Phase::Closed)
        return; // (a failed write's queued call after the close)
    // A held request whose client leaves (the lab's traffic stopped while step mode held it) is not a
    // failure of the proxy or a backend: its trace says so, in place of a bare "no response".
    const bool wasHeld = m_phase == Phase::Held;
    if (wasHeld)
        m_heldNs = m_exchangeTimer.nsecsElapsed() - m_holdStartNs;
    dropHold();
    if (m_upstream) {
        m_upstream->abandon(); // no verdict on the backend: a half-open trial gets its slot back
        m_upstream->release(false);
    }
    m_nextAttempt.abandon();
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
    returnAttempt();
    m_phase = Phase::Closed;
    stopClientTimer();
    m_client->close();
    deleteLater();
}

void HttpSession::writeClient(QByteArrayView bytes)
{
    m_client->append(bytes);
    TrafficCounters& l = m_worker->metrics().listener;
    l.add(l.bytesOut, quint64(bytes.size()));
}

void HttpSession::writeClientView(QByteArrayView bytes)
{
    m_client->appendView(bytes);
    TrafficCounters& l = m_worker->metrics().listener;
    l.add(l.bytesOut, quint64(bytes.size()));
}

qint64 HttpSession::clientBytesToWrite() const
{
    return m_client->bytesToWrite();
}

void HttpSession::closeClientAfterFlush()
{
    if (m_phase == Phase::Closed)
        return; // (an exchange's end reached after the client left)
    m_phase = Phase::Closing;
    m_client->flush();
    if (m_client->bytesToWrite() > 0 && !m_client->writeFailed()) {
        armClientTimer(m_settings->timeouts.clientIdleMs); // bound the flush; onWritable ends it
        return;
    }
    // What the client sent and nobody read would make close() answer with a reset, which can destroy
    // the response still in flight (a 413 to an unread body): read and drop it first.
    m_client->discardInput();
    onClientGone();
}

// ---- the response and its end --------------------------------------------------------------------

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
    // Written straight into the client's staging buffer: no buffer aside, no copy.
    QByteArray& out = m_client->beginStaged(1024);
    const qsizetype before = out.size();
    http::appendClientResponse(out, head, info, down);
    const qsizetype written = out.size() - before;
    m_client->commitStaged();
    TrafficCounters& l = m_worker->metrics().listener;
    l.add(l.bytesOut, quint64(written));
    m_phase = Phase::Responding;
}

void HttpSession::responseFinished(int status)
{
    m_trail.add(m_upstream->backend()->name, status);
    finishExchange(status);
}

void HttpSession::cutClient()
{
    m_client->close();
    onClientGone();
}

void HttpSession::requestStalled()
{
    rejectRequest(408,
                  "request body stalled for " + QByteArray::number(m_settings->timeouts.upstreamResponseMs) + " ms");
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
    // One reading of the clock for the histogram, the trace and the flow view: two readings a moment apart
    // showed one request as 2.42 ms and 2.01 ms side by side (trial 5).
    const qint64 elapsedNs = m_exchangeTimer.isValid() ? m_exchangeTimer.nsecsElapsed() : 0;
    // The latency the proxy and its backends took: a step-mode hold is the user's time, not theirs.
    if (m_hold != StepHold::Expired)
        l.latency.record(quint64(std::max<qint64>(0, elapsedNs - m_heldNs) / 1000));
    const double ms = double(elapsedNs) / 1e6;
    m_trail.finish(status, ms, logAndTrace(status, ms));
    m_phase = Phase::Idle;
    m_worker->exchangeEnded();
    const bool close = !m_clientKeepAlive || !m_requestComplete || m_worker->shuttingDown();
    returnAttempt();
    // The head's buffers go to the thread's pool: an idle connection holds none, and the next request
    // (here or on another connection) is parsed into them.
    http::HeadPool::local().give(m_request);
    m_requestParser.releaseHead();
    m_nextAttempt = {};
    if (close) {
        closeClientAfterFlush();
        return;
    }
    m_firstRequest = false;
    armIdleTimer();
    processClientInput(); // the next pipelined request, if one is waiting
}

void HttpSession::takeAttempt()
{
    if (!m_upstream) {
        m_upstream = m_worker->takeAttempt();
        m_upstream->attach(this);
    }
}

void HttpSession::returnAttempt()
{
    if (!m_upstream)
        return;
    m_upstream->release(false); // (nothing to release after a finished response: it went to the pool)
    m_upstream->endRequest();
    m_worker->giveAttempt(std::exchange(m_upstream, nullptr));
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
    TraceFields e;
    e.epochMs = QDateTime::currentMSecsSinceEpoch();
    e.client = m_clientAddress;
    e.method = m_request.method;
    e.path = m_request.target;
    e.attempts = m_trail.chain();
    // The backend that answered, not the last one tried: a 503 of the proxy's own names none.
    if (status > 0 && m_trail.answeredBy() >= 0 && m_upstream && m_upstream->backend())
        e.servedBy = m_upstream->backend()->name;
    e.status = status;
    e.latencyMs = ms;
    e.token = m_traceToken;
    e.why = m_trail.explanation();
    return trace.recordFields(e);
}

} // namespace lab
