#include "LabProxies.h"

#include "backend/BackendPool.h"
#include "config/ConfigSchema.h"
#include "metrics/EventLog.h"
#include "proxy/Proxy.h"
#include "proxy/StepGate.h"

#include <QHostAddress>

namespace lab {

LabProxies::LabProxies(std::shared_ptr<EventLog> events, QObject* parent)
    : QObject(parent)
    , m_events(std::move(events))
{
}

LabProxies::~LabProxies()
{
    clear();
}

bool LabProxies::start(const LabConfig& config, const std::shared_ptr<BackendPool>& pool, QString* error,
                       QStringList* failures)
{
    const bool fresh = m_proxies.empty();
    size_t next = 0;
    QStringList failed;
    for (const ListenerConfig& l : config.listeners) {
        Proxy* proxy = nullptr;
        if (fresh) {
            const Proxy* first = firstHttp();
            proxy = make(config, l, pool, first ? first->streams() : ProxyStreams{});
            m_proxies.emplace_back(proxy);
        } else {
            proxy = m_proxies[next++].get();
        }
        // A proxy still draining from a stop is finished off first (what is left is cut off).
        if (m_awaitingStop.remove(proxy)) {
            logStopped(*proxy, proxy->stop(0));
            if (m_awaitingStop.isEmpty())
                Q_EMIT allStopped();
        }
        QString why;
        if (!proxy->isListening() && !proxy->start(&why)) {
            const QString text = QStringLiteral("listener %1: %2").arg(l.name, why);
            failed << text;
            m_events->append(LabEvent::Kind::Proxy, text);
            continue; // the next listeners are tried too, so every port in use is named
        }
        logListening(l, *proxy, *pool);
    }
    if (failures)
        *failures = failed;
    if (failed.isEmpty())
        return true;
    if (error)
        *error = failed.join(QStringLiteral("; "));
    if (fresh)
        clear();
    else
        stopAndWait(0);
    return false;
}

Proxy* LabProxies::make(const LabConfig& config, const ListenerConfig& l, const std::shared_ptr<BackendPool>& pool,
                        ProxyStreams streams)
{
    // Every HTTP listener writes one trace and lifecycle stream, so the trace list, the flow view and
    // /api/trace (which read the first HTTP proxy's) show HTTPS requests as well. TCP relays keep their own.
    if (l.kind != ListenerKind::Http)
        streams = {};
    auto* proxy = new Proxy(ProxySettings::fromConfig(config, l), pool, m_events, nullptr, std::move(streams));
    connect(proxy, &Proxy::stopped, this, [this, proxy](int unfinished) { onStopped(proxy, unfinished); });
    return proxy;
}

void LabProxies::logListening(const ListenerConfig& l, const Proxy& proxy, const BackendPool& pool)
{
    m_events->append(LabEvent::Kind::Proxy,
                     QStringLiteral("proxy %1 listening on %2://%3:%4 (%5, %6 workers)")
                         .arg(l.name,
                              l.kind == ListenerKind::Tcp ? QStringLiteral("tcp")
                                  : l.tls.enabled()       ? QStringLiteral("https")
                                                          : QStringLiteral("http"),
                              l.address)
                         .arg(proxy.port())
                         .arg(pool.algorithm())
                         .arg(proxy.settings().workers));
}

QList<ListenerConfig> LabProxies::reconcile(const QList<ListenerConfig>& running, const LabConfig& next,
                                            const std::shared_ptr<BackendPool>& pool, int drainMs,
                                            QStringList* problems)
{
    const bool live = this->running();
    const StepScope scope = stepScope();
    std::vector<std::unique_ptr<Proxy>> old = std::move(m_proxies);
    m_proxies.clear();
    auto nameIn = [](const QList<ListenerConfig>& list, const QString& name) {
        for (qsizetype i = 0; i < list.size(); ++i) {
            if (list[i].name == name)
                return i;
        }
        return qsizetype(-1);
    };
    for (size_t i = 0; i < old.size() && qsizetype(i) < running.size(); ++i) {
        if (nameIn(next.listeners, running[qsizetype(i)].name) < 0)
            retire(std::move(old[i]), drainMs);
    }
    ProxyStreams streams; // the HTTP listeners' shared ones, which the new listeners join
    for (const auto& p : old) {
        if (p && p->settings().kind == ListenerKind::Http && !streams.trace)
            streams = p->streams();
    }
    QList<ListenerConfig> kept;
    for (const ListenerConfig& l : next.listeners) {
        const qsizetype i = nameIn(running, l.name);
        if (i >= 0 && size_t(i) < old.size() && old[size_t(i)]) {
            m_proxies.push_back(std::move(old[size_t(i)]));
            kept << l;
            continue;
        }
        std::unique_ptr<Proxy> proxy(make(next, l, pool, streams));
        if (l.kind == ListenerKind::Http && !streams.trace)
            streams = proxy->streams();
        if (l.kind == ListenerKind::Http)
            proxy->stepGate().setScope(scope);
        QString why;
        if (live && !proxy->start(&why)) {
            const QString text = tr("listener %1: %2").arg(l.name, why);
            *problems << text;
            m_events->append(LabEvent::Kind::Proxy, text);
            disconnect(proxy.get(), nullptr, this, nullptr);
            continue;
        }
        if (live)
            logListening(l, *proxy, *pool);
        m_proxies.push_back(std::move(proxy));
        kept << l;
    }
    return kept;
}

void LabProxies::retire(std::unique_ptr<Proxy> proxy, int drainMs)
{
    const bool wasAwaited = m_awaitingStop.remove(proxy.get());
    if (proxy->isListening()) {
        m_events->append(LabEvent::Kind::Proxy,
                         tr("proxy on port %1 removed by the reload: closed; %2 requests in flight get up to %3 s")
                             .arg(proxy->port())
                             .arg(proxy->activeExchanges())
                             .arg(drainMs / 1000.0));
        proxy->beginStop(drainMs);
        m_retiring.push_back(std::move(proxy));
    } else {
        if (wasAwaited) // stopping with the rest of the lab: its stop ends now
            logStopped(*proxy, proxy->stop(0));
        disconnect(proxy.get(), nullptr, this, nullptr);
        keepTotals(*proxy);
    }
    if (wasAwaited && m_awaitingStop.isEmpty())
        Q_EMIT allStopped();
}

void LabProxies::keepTotals(const Proxy& proxy)
{
    MetricsSnapshot s = proxy.snapshot();
    s.listener.activeConnections = 0;
    m_retired.listener.add(s.listener);
    for (BackendStats& b : s.backends) {
        b.traffic.activeConnections = 0;
        bool found = false;
        for (BackendStats& r : m_retired.backends) {
            if (r.id == b.id) {
                r.traffic.add(b.traffic);
                found = true;
            }
        }
        if (!found)
            m_retired.backends.append(b);
    }
}

void LabProxies::stop(int timeoutMs)
{
    for (auto& p : m_proxies) {
        if (p->isListening()) {
            m_awaitingStop.insert(p.get());
            m_events->append(LabEvent::Kind::Proxy,
                             tr("proxy stopping: port %1 closed; %2 requests in flight get up to %3 s to finish")
                                 .arg(p->port())
                                 .arg(p->activeExchanges())
                                 .arg(timeoutMs / 1000.0));
            p->beginStop(timeoutMs);
        }
    }
}

void LabProxies::stopAndWait(int timeoutMs)
{
    const bool wasStopping = stopping();
    for (auto& p : m_proxies) {
        // A stop already under way is brought to this deadline and waited for; its end is told here,
        // and the queued stopped() that follows finds nothing left to wait for.
        if (p->isListening() || m_awaitingStop.remove(p.get()))
            logStopped(*p, p->stop(timeoutMs));
    }
    m_awaitingStop.clear();
    // Listeners a reload removed end here too.
    for (const auto& p : m_retiring) {
        logStopped(*p, p->stop(timeoutMs));
        disconnect(p.get(), nullptr, this, nullptr);
        keepTotals(*p);
    }
    m_retiring.clear();
    if (wasStopping)
        Q_EMIT allStopped();
}

void LabProxies::clear()
{
    stopAndWait(0);
    // Their destructors stop once more; nothing here waits for that.
    for (const auto& p : m_proxies)
        disconnect(p.get(), nullptr, this, nullptr);
    m_proxies.clear();
    m_retired = {};
}

void LabProxies::onStopped(Proxy* proxy, int unfinished)
{
    for (auto it = m_retiring.begin(); it != m_retiring.end(); ++it) {
        if (it->get() == proxy) {
            logStopped(*proxy, unfinished);
            disconnect(proxy, nullptr, this, nullptr);
            keepTotals(*proxy);
            it->release()->deleteLater(); // it is the signal's sender
            m_retiring.erase(it);
            return;
        }
    }
    if (!m_awaitingStop.remove(proxy))
        return;
    logStopped(*proxy, unfinished);
    if (m_awaitingStop.isEmpty())
        Q_EMIT allStopped();
}

void LabProxies::logStopped(const Proxy& proxy, int unfinished)
{
    m_events->append(LabEvent::Kind::Proxy,
                     unfinished ? tr("proxy stopped; %1 requests were cut off").arg(unfinished)
                                : tr("proxy stopped (port %1 closed)").arg(proxy.port()));
}

bool LabProxies::running() const
{
    for (const auto& p : m_proxies) {
        if (p->isListening())
            return true;
    }
    return false;
}

Proxy* LabProxies::firstHttp() const
{
    for (const auto& p : m_proxies) {
        if (p->settings().kind == ListenerKind::Http)
            return p.get();
    }
    return nullptr;
}

void LabProxies::setStepScope(StepScope scope)
{
    const qsizetype held = scope == StepScope::Off ? heldRequests().size() : 0;
    for (const auto& p : m_proxies) {
        if (p->settings().kind == ListenerKind::Http)
            p->stepGate().setScope(scope);
    }
    // The released requests go on to their picks; each one's trace entry says how long it was held.
    if (held > 0)
        m_events->append(LabEvent::Kind::Proxy,
                         held == 1 ? tr("step mode off: 1 held request released to the backends")
                                   : tr("step mode off: %1 held requests released to the backends").arg(held));
}

StepScope LabProxies::stepScope() const
{
    Proxy* p = firstHttp();
    return p ? p->stepGate().scope() : StepScope::Off;
}

bool LabProxies::stepOnce()
{
    Proxy* oldest = nullptr; // the proxy whose held request has waited longest
    qint64 since = 0;
    for (const auto& p : m_proxies) {
        const qint64 s = p->settings().kind == ListenerKind::Http ? p->stepGate().oldestHeldSinceMs() : -1;
        if (s >= 0 && (!oldest || s < since)) {
            oldest = p.get();
            since = s;
        }
    }
    return oldest && oldest->stepGate().step();
}

QList<HeldRequest> LabProxies::heldRequests() const
{
    QList<HeldRequest> held;
    for (const auto& p : m_proxies) {
        if (p->settings().kind == ListenerKind::Http)
            held += p->stepGate().held();
    }
    return held;
}

bool LabProxies::applySettings(const LabConfig& config, QString* error)
{
    bool ok = true;
    size_t next = 0;
    for (const ListenerConfig& l : config.listeners) {
        if (next >= m_proxies.size())
            break;
        Proxy* p = m_proxies[next++].get();
        QString why;
        if (!p->updateSettings(ProxySettings::fromConfig(config, l), &why)) {
            const QString text = tr("listener %1: %2").arg(l.name, why);
            if (error)
                *error = text;
            ok = false;
            m_events->append(LabEvent::Kind::Proxy, text);
        }
    }
    return ok;
}

bool LabProxies::applyOptions(LabConfig* config, const RetryConfig& retry, const TimeoutsConfig& timeouts,
                              const ListenerConfig& listener, QStringList* changes, QString* error)
{
    changes->clear();
    if (retry != config->retry)
        *changes << tr("retries %1 on %2, avoid %3")
                        .arg(retry.retries)
                        .arg(retry.retryOn.isEmpty() ? tr("nothing") : retry.retryOn.join(QStringLiteral(", ")),
                             retry.avoid);
    if (timeouts != config->timeouts)
        *changes
            << tr("timeouts connect %1 ms, response %2 ms").arg(timeouts.connectMs).arg(timeouts.upstreamResponseMs);
    int listenerIndex = -1;
    for (int i = 0; i < config->listeners.size(); ++i) {
        if (config->listeners[i].kind == ListenerKind::Http) {
            listenerIndex = i;
            break;
        }
    }
    // A lab without an HTTP listener (TCP relays only) has no listener address here to change.
    const bool listenerChanged = listenerIndex >= 0 &&
        (config->listeners[listenerIndex].address != listener.address ||
         config->listeners[listenerIndex].port != listener.port);
    if (listenerChanged)
        *changes << tr("listener %1:%2").arg(listener.address).arg(listener.port);
    if (changes->isEmpty())
        return true;
    if (listenerChanged && QHostAddress(listener.address).isNull()) {
        changes->clear();
        if (error)
            *error = tr("listener address must be an IP address (got '%1')").arg(listener.address);
        return false;
    }
    config->retry = retry;
    config->timeouts = timeouts;
    if (listenerIndex >= 0) {
        config->listeners[listenerIndex].address = listener.address;
        config->listeners[listenerIndex].port = listener.port;
    }
    return applySettings(*config, error);
}

bool LabProxies::setRateLimit(LabConfig& config, const RateLimitConfig& rateLimit, QString* error)
{
    const schema::Range rps = schema::rangeOf(&RateLimitConfig::requestsPerSecond);
    const schema::Range burst = schema::rangeOf(&RateLimitConfig::burst);
    QString problem;
    if (!(rateLimit.requestsPerSecond >= double(rps.min) && rateLimit.requestsPerSecond <= double(rps.max)))
        problem = tr("rate limit: requests per second must be from %1 to %2 (got %3)")
                      .arg(rps.min)
                      .arg(rps.max)
                      .arg(rateLimit.requestsPerSecond);
    else if (!burst.contains(rateLimit.burst))
        problem =
            tr("rate limit: burst must be from %1 to %2 (got %3)").arg(burst.min).arg(burst.max).arg(rateLimit.burst);
    else if (const QString why = rateLimitKeyProblem(rateLimit.key); !why.isEmpty())
        problem = tr("rate limit: key %1").arg(why);
    if (!problem.isEmpty()) {
        if (error)
            *error = problem;
        return false;
    }
    if (rateLimit == config.rateLimit)
        return true;
    config.rateLimit = rateLimit;
    const bool ok = applySettings(config, error);
    m_events->append(LabEvent::Kind::Config,
                     rateLimit.enabled() ? tr("rate limit: %1 requests/s per %2, burst %3; over it → 429")
                                               .arg(rateLimit.requestsPerSecond)
                                               .arg(rateLimit.key)
                                               .arg(rateLimit.effectiveBurst())
                                         : tr("rate limit off"));
    return ok;
}

MetricsSnapshot LabProxies::snapshot(const BackendPool& pool) const
{
    MetricsSnapshot s;
    s.takenAtMs = steadyNowMs();
    for (const BackendPtr& b : pool.backends())
        s.backends.append({b->id, b->name, {}});
    auto add = [&s](const MetricsSnapshot& o) {
        s.listener.add(o.listener);
        for (BackendStats& b : s.backends) {
            for (const BackendStats& ob : o.backends) {
                if (ob.id == b.id)
                    b.traffic.add(ob.traffic);
            }
        }
    };
    add(m_retired);
    for (const auto& p : m_proxies)
        add(p->snapshot());
    for (const auto& p : m_retiring)
        add(p->snapshot());
    return s;
}

} // namespace lab
