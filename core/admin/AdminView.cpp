#include "AdminView.h"

#include "backend/BackendPool.h"
#include "fakebackend/FakeBackend.h"
#include "lab/Lab.h"
#include "proxy/Proxy.h"
#include "util/Clock.h"

#include <QSet>

namespace lab {

namespace {

MetricsSnapshot emptySnapshot(const BackendPool& pool)
{
    MetricsSnapshot s;
    for (const BackendPtr& b : pool.backends())
        s.backends.append({b->id, b->name, {}});
    return s;
}

} // namespace

const char* breakerStateName(CircuitBreaker::State state)
{
    switch (state) {
    case CircuitBreaker::State::Closed: return "closed";
    case CircuitBreaker::State::Open: return "open";
    case CircuitBreaker::State::HalfOpen: return "half_open";
    }
    return "closed";
}

AdminView collectAdminView(const Lab& lab)
{
    AdminView v;
    v.takenAtMs = steadyNowMs();
    const LabConfig& config = lab.config();
    const std::shared_ptr<BackendPool> pool = lab.pool();
    v.algorithm = pool->algorithm();
    v.hashKey = config.hashKey;
    v.sticky = config.sticky.enabled;
    v.panic = pool->panicNow();

    // LabProxies keeps one proxy per listener, in the config's order, once they have been started.
    const auto& proxies = lab.proxies();
    QSet<QString> names;
    for (qsizetype i = 0; i < config.listeners.size(); ++i) {
        const ListenerConfig& l = config.listeners[i];
        AdminListenerView lv;
        lv.name = names.contains(l.name) ? QStringLiteral("%1#%2").arg(l.name).arg(i) : l.name;
        names.insert(lv.name);
        lv.kind = l.kind;
        lv.address = l.address;
        lv.port = l.port;
        lv.tls = l.kind == ListenerKind::Http && l.tls.enabled();
        const Proxy* proxy = size_t(i) < proxies.size() ? proxies[size_t(i)].get() : nullptr;
        if (proxy) {
            lv.listening = proxy->isListening();
            if (lv.listening)
                lv.port = proxy->port();
            lv.metrics = proxy->snapshot();
            lv.relayBufferedBytes = l.kind == ListenerKind::Tcp ? proxy->relayBufferedBytes() : 0;
            if (lv.tls)
                lv.tlsStats = proxy->tlsStats();
        } else {
            lv.metrics = emptySnapshot(*pool);
        }
        v.listeners << lv;
    }

    const MetricsSnapshot total = lab.snapshot();
    const qint64 nowMs = pool->now();
    for (const BackendId id : lab.backendIds()) {
        const BackendConfig& c = lab.backendConfig(id);
        AdminBackendView bv;
        bv.name = c.name;
        bv.host = c.host;
        bv.port = c.port;
        bv.embedded = c.embedded;
        bv.weight = c.weight;
        bv.stopping = lab.isStopping(id);
        if (const FakeBackend* fake = lab.embeddedBackend(id)) {
            bv.running = fake->isStarted();
            if (bv.running)
                bv.port = fake->port();
        }
        if (const BackendPtr b = lab.poolBackend(id)) {
            bv.enabled = b->enabled.load(std::memory_order_relaxed);
            bv.healthy = b->healthy.load(std::memory_order_relaxed);
            bv.ejected = b->ejected(nowMs);
            bv.breaker = b->breakerNow();
            bv.eligibility = pool->eligibility(*b);
            bv.ejectionCause = b->ejectionCause();
            bv.lastFailure = b->lastFailure();
        }
        for (const BackendStats& s : total.backends) {
            if (s.name == c.name) {
                bv.traffic = s.traffic;
                bv.inFlight = s.inFlight;
                bv.queued = s.queued;
                bv.inService = s.inService;
            }
        }
        v.backends << bv;
    }
    return v;
}

} // namespace lab
