// HttpSession's admission of a request before its pick: the rate limiter (429 from the proxy itself)
// and step mode's hold (the request waits on its worker until the user steps, is released or times out).
// The rest of the session is in HttpSession.cpp; this file holds one job of the client side.
#include "HttpSession.h"

#include "ProxyWorker.h"
#include "RateLimiter.h"
#include "StepGate.h"
#include "http/HttpMessage.h"
#include "metrics/EventLog.h"

namespace lab {

// ---- rate limit and step mode --------------------------------------------------------------------------------------

bool HttpSession::refusedByRateLimit()
{
    const RateLimitKey key = rateLimitKeyOf(m_settings->rateLimit, m_request, m_clientAddress);
    const RateLimiter::Decision d = m_worker->rateLimiter().admit(key.bucket);
    if (d.allowed)
        return false;
    TrafficCounters& l = m_worker->metrics().listener;
    l.add(l.rateLimited);
    m_worker->rateLimiter().noteRefused(key.shown);
    const QByteArray seconds = QByteArray::number(d.retryAfterSeconds());
    m_trail.note(QStringLiteral("rate limited: %1 over %2 requests/s, retry after %3 s")
                     .arg(QString::fromUtf8(key.shown))
                     .arg(m_settings->rateLimit.requestsPerSecond)
                     .arg(QString::fromLatin1(seconds)));
    m_phase = Phase::Forwarding;
    sendProxyError(429,
                   "{\"error\":\"rate limited\",\"key\":" + jsonString(key.shown) +
                       ",\"retryAfterSeconds\":" + seconds + "}\n",
                   "Retry-After: " + seconds + "\r\n");
    return true;
}

void HttpSession::beginExchange()
{
    if (m_settings->rateLimit.enabled() && refusedByRateLimit())
        return;
    if (m_hold != StepHold::Wanted || m_trail.requestId() == 0) {
        m_phase = Phase::Forwarding;
        startAttempt();
        return;
    }
    StepGate& gate = m_worker->stepGate();
    HeldRequest held{m_trail.requestId(), QString::fromLatin1(m_request.method), QString::fromUtf8(m_request.target),
                     QString::fromLatin1(m_clientAddress), 0};
    if (!gate.hold(std::move(held), m_worker)) {
        m_phase = Phase::Forwarding;
        const QString why = QStringLiteral("step mode holds %1 requests already (its limit): never sent to a backend")
                                .arg(StepGate::kMaxHeld);
        m_trail.note(why);
        sendProxyError(503,
                       "{\"error\":\"step mode: too many requests held\",\"held\":" +
                           QByteArray::number(StepGate::kMaxHeld) + ",\"reason\":" + jsonString(why.toUtf8()) + "}\n",
                       "Retry-After: 1\r\n");
        return;
    }
    m_phase = Phase::Held;
    m_sampled = true; // a held request is one a learner follows: its trace entry says what the hold did
    m_holdStartNs = m_exchangeTimer.nsecsElapsed();
    m_worker->addHeld(m_trail.requestId(), this);
    m_trail.record(LifecycleKind::Held, -1, 0, QStringLiteral("step mode: waiting for a step"));
    armClientTimer(gate.holdTimeoutMs());
}

void HttpSession::releaseFromHold(const QString& reason)
{
    if (m_phase != Phase::Held)
        return;
    dropHold(); // when it was not the gate that let it go (the proxy stops)
    m_heldNs = m_exchangeTimer.nsecsElapsed() - m_holdStartNs;
    m_trail.note(heldText() + QStringLiteral(", released (%1)").arg(reason));
    m_trail.record(LifecycleKind::Released, -1, 0, reason);
    m_phase = Phase::Forwarding;
    startAttempt();
}

void HttpSession::holdExpired()
{
    StepGate& gate = m_worker->stepGate();
    if (!gate.forget(m_trail.requestId()))
        return; // released at the last moment: the release is on its way to this worker
    m_worker->removeHeld(m_trail.requestId());
    m_phase = Phase::Forwarding;
    m_heldNs = m_exchangeTimer.nsecsElapsed() - m_holdStartNs;
    m_hold = StepHold::Expired;
    const int limitMs = gate.holdTimeoutMs();
    const QString why = QStringLiteral("held in step mode for %1 s (the hold limit), never sent to a backend")
                            .arg(QString::number(limitMs / 1000.0, 'g', 3));
    m_trail.note(why);
    m_worker->events().append(
        LabEvent::Kind::Proxy,
        QStringLiteral("%1 %2: 503, %3")
            .arg(QString::fromLatin1(m_request.method), QString::fromUtf8(m_request.target), why));
    sendProxyError(503,
                   "{\"error\":\"step mode: held too long\",\"heldMs\":" + QByteArray::number(limitMs) +
                       ",\"reason\":" + jsonString(why.toUtf8()) + "}\n");
}

QString HttpSession::heldText() const
{
    return QStringLiteral("held in step mode for %1 s").arg(QString::number(double(m_heldNs) / 1e9, 'f', 1));
}

void HttpSession::dropHold()
{
    if (m_phase != Phase::Held)
        return;
    stopClientTimer();
    m_worker->stepGate().forget(m_trail.requestId());
    m_worker->removeHeld(m_trail.requestId());
}

} // namespace lab
