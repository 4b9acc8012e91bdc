// HttpSession's picks and attempts: which backend a request goes to (sticky cookie, then the balancer),
// and what an attempt's failure means (retry on another backend, 502, 504, 503 when none is left, a
// discarded 404/5xx). The trip itself is UpstreamAttempt's and what the request went through is its
// AttemptTrail; the client side is in HttpSession.cpp.
#include "HttpSession.h"

#include "ProxyWorker.h"
#include "balancing/Balancer.h"
#include "health/Eligibility.h"
#include "http/HttpMessage.h"
#include "metrics/EventLog.h"
#include "metrics/Metrics.h"

namespace lab {

// ---- picking and attempts ---------------------------------------------------------------------------

AttemptTicket HttpSession::pickBackend()
{
    const std::span<const int> tried = m_trail.avoided(m_settings->retryAvoid);
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
    thread_local QString why; // the pool writes the sentence into it: reused, it allocates nothing
    why.truncate(0);
    // Built whole (a default QHostAddress would allocate before m_peer replaced it); under HAProxy's rule
    // the avoided backend keeps its turn (PickContext::avoidedKeepTheirTurn).
    const bool keepTurn = m_settings->retryAvoid == RetryAvoid::Previous;
    PickContext context{m_peer, m_request.path(), &m_request, 0, explain ? &why : nullptr, nullptr, keepTurn, {}, {}};
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
    if (connectFailure && !responseStarted && m_settings->retryAvoid == RetryAvoid::Tried &&
        m_trail.triedCount() >= m_worker->pool().size()) {
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

} // namespace lab
