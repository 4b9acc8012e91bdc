#include "LabProxies.h"

#include "backend/BackendPool.h"
#include "metrics/EventLog.h"
#include "proxy/Proxy.h"

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

bool LabProxies::start(const LabConfig& config, const std::shared_ptr<BackendPool>& pool, QString* error)
{
    const bool fresh = m_proxies.empty();
    size_t next = 0;
    for (const ListenerConfig& l : config.listeners) {
        Proxy* proxy = nullptr;
        if (fresh) {
            m_proxies.push_back(std::make_unique<Proxy>(ProxySettings::fromConfig(config, l), pool, m_events));
            proxy = m_proxies.back().get();
            connect(proxy, &Proxy::stopped, this, [this, proxy](int unfinished) { onStopped(proxy, unfinished); });
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
            if (error)
                *error = text;
            m_events->append(LabEvent::Kind::Proxy, text);
            if (fresh)
                clear();
            else
                stopAndWait(0);
            return false;
        }
        m_events->append(
            LabEvent::Kind::Proxy,
            QStringLiteral("proxy %1 listening on %2://%3:%4 (%5, %6 workers)")
                .arg(l.name, l.kind == ListenerKind::Tcp ? QStringLiteral("tcp") : QStringLiteral("http"), l.address)
                .arg(proxy->port())
                .arg(pool->algorithm())
                .arg(proxy->settings().workers));
    }
    return true;
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
}

void LabProxies::onStopped(Proxy* proxy, int unfinished)
{
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

MetricsSnapshot LabProxies::snapshot(const BackendPool& pool) const
{
    if (m_proxies.empty()) {
        MetricsSnapshot s;
        s.takenAtMs = steadyNowMs();
        for (const BackendPtr& b : pool.backends())
            s.backends.append({b->id, b->name, {}});
        return s;
    }
    MetricsSnapshot s = m_proxies.front()->snapshot();
    for (size_t i = 1; i < m_proxies.size(); ++i) {
        const MetricsSnapshot o = m_proxies[i]->snapshot();
        s.listener.add(o.listener);
        for (BackendStats& b : s.backends) {
            for (const BackendStats& ob : o.backends) {
                if (ob.id == b.id)
                    b.traffic.add(ob.traffic);
            }
        }
    }
    return s;
}

} // namespace lab
