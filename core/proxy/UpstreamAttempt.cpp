#include "UpstreamAttempt.h"

#include "ProxySettings.h"
#include "ProxyWorker.h"
#include "UpstreamPool.h"
#include "metrics/Metrics.h"

#include <QHostInfo>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace lab {

using http::NextHopFraming;

namespace {
QString errnoText(int e)
{
    switch (e) {
    case ECONNREFUSED: return QStringLiteral("connection refused");
    case ETIMEDOUT: return QStringLiteral("connection timed out");
    case EHOSTUNREACH:
    case ENETUNREACH: return QStringLiteral("host unreachable");
    default: return QString::fromLocal8Bit(std::strerror(e));
    }
}

// The proxy itself is out of descriptors or memory: not the backend's fault.
bool isResourceError(int e)
{
    return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

quint64 nextLookup()
{
    thread_local quint64 n = 0;
    return ++n;
}
} // namespace

UpstreamAttempt::UpstreamAttempt(ProxyWorker* worker, QObject* parent)
    : QObject(parent)
    , m_worker(worker)
    , m_exchange(nullptr)
    , m_deadline(this)
    , m_parser(http::HttpParser::Kind::Response, this)
{
}

UpstreamAttempt::~UpstreamAttempt()
{
    release(false);
    m_worker->deadlines().disarm(m_deadline);
    BufferPool::local().give(m_in);
    BufferPool::local().give(m_replay);
}

void UpstreamAttempt::armTimer(qint64 ms)
{
    m_worker->deadlines().arm(m_deadline, ms);
}

void UpstreamAttempt::beginRequest(QByteArray head, bool replayAllowed)
{
    BufferPool::local().give(m_replay);
    m_replay = std::move(head);
    m_replaySent = 0;
    m_replayOverflow = false;
    m_replayAllowed = replayAllowed;
}

void UpstreamAttempt::endRequest()
{
    BufferPool::local().give(m_replay);
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
    // A reference: every copy of a BackendPtr is two read-modify-writes on a count both workers share.
    const BackendPtr& b = m_ticket.backend();
    TrafficCounters& bc = m_worker->metrics().backends[size_t(b->id)];
    m_backend = b;
    b->activeRequests.fetch_add(1, std::memory_order_relaxed);
    m_sinceStart.start();
    m_bytesSeen = false;
    m_parser.reset();
    m_parser.setNextResponseHasNoBody(m_exchange->request().method == "HEAD");
    m_replaySent = 0;

    m_ended = false;
    m_deferredError = 0;
    m_lookup = 0;
    StreamSocket* s = m_worker->upstreams().take(b->id);
    m_fromPool = s != nullptr;
    if (m_fromPool) {
        s->setHandler(this);
        m_socket = s;
        onConnected();
        return;
    }
    bc.add(bc.connections);
    bc.activeConnections.fetch_add(1, std::memory_order_relaxed);
    m_phase = Phase::Connecting;
    armTimer(m_exchange->settings().timeouts.connectMs);
    const QHostAddress address(b->host);
    if (!address.isNull()) {
        connectTo(address);
        return;
    }
    // A host name: looked up (Qt caches answers for a minute), then connected to its first address.
    const quint64 lookup = m_lookup = nextLookup();
    QHostInfo::lookupHost(b->host, this, [this, lookup](const QHostInfo& info) {
        if (lookup != m_lookup || m_phase != Phase::Connecting)
            return; // released, or a later attempt
        m_lookup = 0;
        if (info.addresses().isEmpty()) {
            fail(Failure::ConnectRefused, QStringLiteral("connect failed: ") + info.errorString());
            return;
        }
        connectTo(info.addresses().constFirst());
    });
}

void UpstreamAttempt::connectTo(const QHostAddress& address)
{
    // A child of the pool for its whole life: it may go there after this exchange without a setParent.
    m_socket = new StreamSocket(address, m_backend->port, this, &m_worker->upstreams());
    if (!m_socket->ok()) {
        // Failed at once (no descriptor, or refused on the spot): answered from the event loop, as a
        // connect that fails later is, so that the session never hears of it inside its own call.
        m_deferredError = m_socket->error();
        armTimer(0);
        return;
    }
    if (!m_socket->connecting())
        onConnected();
}

void UpstreamAttempt::onWritable(StreamSocket* socket)
{
    if (socket != m_socket)
        return;
    if (m_phase == Phase::Connecting) {
        const int err = m_socket->finishConnect();
        if (err != 0)
            connectFailed(err);
        else
            onConnected();
        return;
    }
    // The request bytes waiting for the backend are through (a client's upload reaches it): that is
    // progress, not a stall. The response timeout counts from the moment the whole request was sent.
    if (!responseStarted())
        armTimer(m_exchange->settings().timeouts.upstreamResponseMs);
    if (!m_exchange->requestComplete())
        m_exchange->requestBytesDrained();
}

void UpstreamAttempt::onWriteFailed(StreamSocket* socket, int error)
{
    if (socket != m_socket)
        return;
    // The backend reset or closed while the request went out: what it answered first may still be
    // readable. Handled from the event loop: the write may have been made deep inside the session.
    m_deferredError = error;
    armTimer(0);
}

void UpstreamAttempt::connectFailed(int error)
{
    if (isResourceError(error)) {
        // The proxy itself has no descriptor (or memory) left for the connection: not the backend's
        // fault, so it counts neither against this backend's health nor as a failover, and another
        // backend would fare no better.
        m_ticket.abandon();
        m_exchange->outOfSockets(m_backend, errnoText(error));
        return;
    }
    TrafficCounters& bc = m_worker->metrics().backends[size_t(m_backend->id)];
    bc.add(bc.connectFailures);
    m_worker->pool().markConnectFailure(*m_backend);
    fail(Failure::ConnectRefused,
         error == ECONNREFUSED ? QStringLiteral("connection refused")
                               : QStringLiteral("connect failed: ") + errnoText(error));
}

void UpstreamAttempt::onConnected()
{
    m_phase = Phase::AwaitingResponse;
    m_worker->pool().markSuccess(*m_backend);
    armTimer(m_exchange->settings().timeouts.upstreamResponseMs);
    flushReplay();
}

void UpstreamAttempt::appendRequestBytes(QByteArrayView bytes)
{
    // Request bytes are moving (a client's upload reaches the backend): that is progress, not a stall;
    // the last of them starts the response timeout once more.
    if (m_socket && m_phase == Phase::AwaitingResponse)
        armTimer(m_exchange->settings().timeouts.upstreamResponseMs);
    if (m_replayOverflow) { // streaming straight through; only ever set while connected
        if (m_socket) {
            m_socket->appendView(bytes);
            m_socket->flush();
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
        m_socket->appendView(QByteArrayView(m_replay).sliced(m_replaySent));
        m_socket->flush(); // what the kernel did not take is copied: the replay buffer may grow now
        TrafficCounters& bc = m_worker->metrics().backends[size_t(m_backend->id)];
        bc.add(bc.bytesOut, quint64(n));
        m_replaySent = m_replay.size();
    }
    if (m_replay.size() > kReplayBytes) { // too big to keep for a retry: stream the rest
        m_replayOverflow = true;
        BufferPool::local().give(m_replay);
        m_replaySent = 0;
    }
}

void UpstreamAttempt::onEnded()
{
    if (responseStarted()) {
        if (m_response.framing == http::BodyFraming::UntilClose && m_parser.finish() && m_phase == Phase::Complete) {
            finishResponse(false);
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
    if (!m_socket && m_phase != Phase::Connecting) // (no socket while connecting: a host name lookup)
        return;
    const ProxySettings& settings = m_exchange->settings();
    if (const int error = std::exchange(m_deferredError, 0)) {
        if (m_phase == Phase::Connecting) {
            connectFailed(error);
        } else { // a write failed: take what arrived first; it may complete the response
            processInput(true);
            if (m_socket && !m_ended)
                onEnded();
        }
        return;
    }
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
    m_lookup = 0;
    m_deferredError = 0;
    if (!m_socket) {
        if (m_phase == Phase::Connecting) { // still looking up the host name
            m_worker->deadlines().disarm(m_deadline);
            m_phase = Phase::Idle;
            m_backend->activeRequests.fetch_sub(1, std::memory_order_relaxed);
            m_worker->metrics().backends[size_t(m_backend->id)].activeConnections.fetch_sub(1,
                                                                                            std::memory_order_relaxed);
        }
        return;
    }
    StreamSocket* s = std::exchange(m_socket, nullptr);
    m_worker->deadlines().disarm(m_deadline);
    m_phase = Phase::Idle;
    m_backend->activeRequests.fetch_sub(1, std::memory_order_relaxed);
    if (reusable) {
        m_worker->upstreams().put(m_backend->id, s);
        return;
    }
    m_worker->metrics().backends[size_t(m_backend->id)].activeConnections.fetch_sub(1, std::memory_order_relaxed);
    s->close();
    s->deleteLater();
}

void UpstreamAttempt::clientDrained()
{
    if (m_socket && m_phase != Phase::Connecting && m_exchange->clientBytesToWrite() < kHighWaterBytes) {
        m_socket->setReadEnabled(true);
        processInput();
    }
}

void UpstreamAttempt::processInput(bool untilEnd)
{
    while (m_socket && m_phase != Phase::Connecting && m_phase != Phase::Idle) {
        if (m_exchange->clientBytesToWrite() >= kHighWaterBytes) {
            m_socket->setReadEnabled(false); // resumed from clientDrained(); the kernel holds the rest
            return;
        }
        if (m_in.capacity() < kReadChunk)
            m_in = BufferPool::local().take(kReadChunk);
        m_in.resize(kReadChunk);
        const qsizetype n = m_socket->read(m_in.data(), kReadChunk);
        if (n == StreamSocket::WouldBlock)
            break;
        if (n <= 0) { // the backend closed or reset
            m_ended = true;
            BufferPool::local().give(m_in);
            onEnded();
            return;
        }
        if (!parseRead(n))
            return;
        if (n < kReadChunk && !untilEnd)
            break; // the kernel had no more: the notifier says when it has
    }
    BufferPool::local().give(m_in);
}

bool UpstreamAttempt::parseRead(qsizetype n)
{
    m_bytesSeen = true;
    armTimer(m_exchange->settings().timeouts.upstreamResponseMs);
    TrafficCounters& bc = m_worker->metrics().backends[size_t(m_backend->id)];
    bc.add(bc.bytesIn, quint64(n));
    const QByteArrayView data = QByteArrayView(m_in).first(n);
    qsizetype pos = 0;
    while (pos < data.size()) {
        const qsizetype used = m_parser.feed(data.sliced(pos));
        if (used < 0) {
            m_exchange->flushClient();
            BufferPool::local().give(m_in);
            if (m_phase == Phase::Discarding) {
                // The backend answered (a retried 404 or 5xx): its response and how long it took count on
                // the board, or a backend whose every answer was retried shows requests without a p50.
                TrafficCounters& bc = m_worker->metrics().backends[size_t(m_backend->id)];
                bc.countResponse(m_discardStatus);
                bc.latency.record(quint64(m_sinceStart.nsecsElapsed() / 1000));
                fail(Failure::Status, QString::number(m_discardStatus));
            } else {
                const QByteArray why =
                    m_badResponse.isEmpty() ? m_parser.error().reason : std::exchange(m_badResponse, {});
                fail(Failure::BadResponse, QStringLiteral("malformed response (%1)").arg(QString::fromUtf8(why)));
            }
            return false;
        }
        pos += used;
        if (m_phase == Phase::Complete)
            break;
    }
    if (m_phase == Phase::Complete) {
        // Bytes after the response, or a response that ends the connection: not reusable.
        const bool reusable = pos == data.size() && m_response.keepAlive && m_exchange->requestComplete() &&
            m_response.framing != http::BodyFraming::UntilClose;
        // The session counts the exchange, then flushes (the views into m_in with it): a client that
        // has its answer finds it counted.
        finishResponse(reusable);
        m_exchange->flushClient();
        BufferPool::local().give(m_in);
        return false;
    }
    // The client's share of this read (head and body, views into m_in) leaves now, in one writev,
    // before the buffer is read into again.
    m_exchange->flushClient();
    return true;
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
    std::swap(m_response, head); // the parser gets the last response back, to reuse its buffers
    const bool noBody = request.method == "HEAD" || status == 204 || status == 304;
    if (noBody)
        m_downFraming = NextHopFraming::None;
    else if (m_response.framing == http::BodyFraming::ContentLength || m_response.framing == http::BodyFraming::None)
        m_downFraming = NextHopFraming::ContentLength; // None here means an explicit Content-Length: 0
    else
        m_downFraming = request.isHttp10() ? NextHopFraming::UntilClose : NextHopFraming::Chunked;
    m_phase = Phase::Streaming;
    m_exchange->responseStarting(m_response, m_downFraming);
    return true;
}

void UpstreamAttempt::onBody(QByteArrayView data)
{
    if (data.isEmpty())
        return;
    if (m_downFraming == NextHopFraming::Chunked) {
        char size[24];
        const int n = std::snprintf(size, sizeof size, "%llx\r\n", static_cast<unsigned long long>(data.size()));
        m_exchange->writeClient(QByteArrayView(size, n));
        m_exchange->writeClientView(data);
        m_exchange->writeClient("\r\n");
    } else {
        m_exchange->writeClientView(data);
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
    const qint64 latencyNs = m_sinceStart.nsecsElapsed(); // one reading for the histogram and the EWMA
    bc.latency.record(quint64(latencyNs / 1000));
    if (status < 500)
        m_ticket.succeeded();
    else // "503 queue full": a lab backend says why (X-Lab-Error), which the ejection and the breaker repeat
        m_ticket.failed(m_response.header("X-Lab-Error").isEmpty()
                            ? QString::number(status)
                            : QString::number(status) + u' ' + QString::fromUtf8(m_response.header("X-Lab-Error")));
    BackendPool::reportLatency(*m_backend, double(latencyNs) / 1e6, m_worker->pool().now());
    release(reusable);
    m_exchange->responseFinished(status);
}

} // namespace lab
