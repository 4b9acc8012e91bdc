#include "Lab.h"

#include "LabBackends.h"
#include "LabProxies.h"
#include "backend/BackendPool.h"
#include "balancing/Registry.h"
#include "config/ConfigSchema.h"
#include "fakebackend/FakeBackend.h"
#include "health/ActiveHealthChecker.h"
#include "proxy/Proxy.h"

#include <QTimer>

namespace lab {

Lab::Lab(LabConfig config, QObject* parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_events(std::make_shared<EventLog>())
    , m_backends(new LabBackends(m_events, this))
    , m_drain(new DrainThenStop(this))
    , m_proxies(new LabProxies(m_events, this))
    , m_housekeeping(new QTimer(this))
{
    connect(m_backends, &LabBackends::listeningChanged, this, &Lab::backendStateChanged);
    connect(m_backends, &LabBackends::joinedPool, this, [this] {
        if (m_checker && m_checking)
            m_checker->sync();
    });
    connect(m_drain, &DrainThenStop::stopped, this, &Lab::onDrainStopped);
    connect(m_proxies, &LabProxies::allStopped, this, [this] {
        Q_EMIT proxyStateChanged();
        Q_EMIT proxiesStopped();
    });
    build();
    connect(m_housekeeping, &QTimer::timeout, this, &Lab::housekeeping);
    m_housekeeping->start(100);
}

Lab::~Lab()
{
    m_proxies->clear();
    m_checker.reset();
    m_drain->clear();
    stopAll();
}

void Lab::build()
{
    m_checker.reset();
    m_drain->clear();
    m_drainReported.clear();
    m_removeAfterDrain.clear();
    m_pool = std::make_shared<BackendPool>(QList<BackendConfig>{}, m_config.algorithm);
    HashKeySpec key;
    HashKeySpec::parse(m_config.hashKey, &key);
    m_pool->setAlgorithm(m_config.algorithm, key);
    m_pool->setEventLog(m_events);
    m_pool->setPassiveConfig(m_config.outlier, m_config.breaker, m_config.health.slowStartMs);
    m_backends->rebuild(m_config.backends, m_pool);
    m_checker = std::make_unique<ActiveHealthChecker>(m_pool, m_events);
    m_checker->setDefaults(m_config.health);
    for (const BackendConfig& b : std::as_const(m_config.backends)) {
        if (b.health)
            m_checker->setBackendConfig(b.name, b.health);
    }
    m_checking = false; // probes start with the backends (startEmbeddedBackends / startProxies)
}

void Lab::startChecking()
{
    m_checking = true;
    m_checker->sync();
}

void Lab::publishBackends()
{
    m_config.backends = m_backends->configs();
}

void Lab::housekeeping()
{
    // Drains an operator asked for: say when nothing is left in flight.
    m_backends->ids(m_housekeepingIds); // kept between calls: no allocation every 100 ms
    for (const BackendId id : std::as_const(m_housekeepingIds)) {
        const BackendPtr b = poolBackend(id);
        if (!b || b->enabled.load() || m_drain->isStopping(id) || m_drainReported.contains(id))
            continue;
        if (b->activeRequests.load() == 0) {
            m_drainReported.insert(id);
            logEvent(LabEvent::Kind::Backend, tr("%1 drained: nothing in flight, safe to stop").arg(b->name));
            Q_EMIT backendStateChanged(id);
        }
    }
    // Forward every new event (workers' failovers, health transitions) on this thread, and the summary of
    // a flood as soon as its second is over (not when the next event happens to arrive).
    m_events->closeSuppressionWindow();
    const QList<LabEvent> fresh = m_events->since(m_forwardedEvent);
    if (!fresh.isEmpty()) {
        m_forwardedEvent = fresh.last().sequence;
        for (const LabEvent& e : fresh)
            Q_EMIT eventLogged(e.text);
    }
}

void Lab::load(LabConfig config)
{
    stopProxiesAndWait(0);
    m_proxies->clear();
    stopAll();
    m_events->flushSuppressed(); // the old lab's flood is summed up before the new lab's first line
    m_config = std::move(config);
    build();
    const auto counted = [](qsizetype n, const char* one, const char* many) {
        return QStringLiteral("%1 %2").arg(n).arg(QLatin1String(n == 1 ? one : many));
    };
    logEvent(LabEvent::Kind::Config,
             QStringLiteral("lab loaded: %1, %2, algorithm %3")
                 .arg(counted(m_config.backends.size(), "backend", "backends"),
                      counted(m_config.listeners.size(), "listener", "listeners"), m_config.algorithm));
    Q_EMIT labReset();
}

void Lab::logEvent(LabEvent::Kind kind, const QString& text)
{
    m_events->append(kind, text);
}

// ---- backends ---------------------------------------------------------------------------------------

int Lab::backendCount() const
{
    return m_backends->count();
}

QList<BackendId> Lab::backendIds() const
{
    return m_backends->ids();
}

BackendId Lab::idOf(const QString& name) const
{
    return m_backends->idOf(name);
}

bool Lab::hasBackend(BackendId id) const
{
    return m_backends->find(id) != nullptr;
}

const BackendConfig& Lab::backendConfig(BackendId id) const
{
    const LabBackends::Record* r = m_backends->find(id);
    Q_ASSERT_X(r, "Lab::backendConfig", "no backend with this id");
    return r->config;
}

FakeBackend* Lab::embeddedBackend(BackendId id) const
{
    const LabBackends::Record* r = m_backends->find(id);
    return r ? r->embedded.get() : nullptr;
}

BackendPtr Lab::poolBackend(BackendId id) const
{
    const LabBackends::Record* r = m_backends->find(id);
    return r ? r->pooled : nullptr;
}

QStringList Lab::startBackendsNamingFailures()
{
    // Every backend is tried, so a second copy of a lab names every port that is taken, not the first.
    QStringList failed;
    for (const BackendId id : m_backends->ids()) {
        QString why;
        if (embeddedBackend(id) && !startBackend(id, &why))
            failed << why;
    }
    if (failed.isEmpty())
        startChecking();
    else
        stopAll();
    return failed;
}

bool Lab::startEmbeddedBackends(QString* error)
{
    const QStringList failed = startBackendsNamingFailures();
    if (!failed.isEmpty() && error)
        *error = failed.join(QStringLiteral("; "));
    return failed.isEmpty();
}

bool Lab::start(QString* error)
{
    // The proxies are tried even when a backend failed, to name their ports too; but, as before, a lab
    // whose backends cannot all start runs nothing, while backends stay up when only a listener failed
    // (the window can then move the listener and start it).
    QStringList failed = startBackendsNamingFailures();
    const bool backendsUp = failed.isEmpty();
    if (!m_checking)
        startChecking();
    QStringList proxyFailures;
    m_proxies->start(m_config, m_pool, nullptr, &proxyFailures);
    Q_EMIT proxyStateChanged();
    failed += proxyFailures;
    if (failed.isEmpty())
        return true;
    if (!backendsUp)
        stopProxies(0);
    if (error)
        *error = failed.size() == 1 ? failed.first()
                                    : tr("%1 ports could not be opened (is another copy of this lab running?): %2")
                                          .arg(failed.size())
                                          .arg(failed.join(QStringLiteral("; ")));
    return false;
}

void Lab::stopAll()
{
    m_backends->stopAll();
}

bool Lab::startBackend(BackendId id, QString* error)
{
    if (!m_backends->start(id, error))
        return false;
    publishBackends(); // a backend configured on port 0 now has its port
    Q_EMIT backendStateChanged(id);
    return true;
}

void Lab::stopBackend(BackendId id)
{
    if (m_drain->isStopping(id)) { // stopped at once instead: that drain is over, back in rotation at Start
        m_drain->cancel(id);
        m_drainReported.remove(id);
    }
    if (m_backends->stop(id))
        Q_EMIT backendStateChanged(id);
}

BackendId Lab::addEmbeddedBackend(QString* error, const QString& name)
{
    // The pool's own rule (ids spent over the lab's life, not its size), checked before a fake starts.
    if (m_pool->idsLeft() <= 0) {
        if (error)
            *error = tr("cannot add a backend: %1").arg(BackendPool::idBudgetError());
        return {};
    }
    // The next port after the highest embedded one (from the base), skipping ports other programs hold.
    const int port = m_backends->nextEmbeddedPort(m_portBase);
    BackendConfig c;
    c.embedded = true;
    c.port = port;
    if (!name.isEmpty())
        c.name = m_backends->uniqueName(name);
    else if (port)
        c.name = m_backends->uniqueName(QStringLiteral("backend-%1").arg(port));
    auto fake = std::make_unique<FakeBackend>(c.name.isEmpty() ? QStringLiteral("backend") : c.name,
                                              QHostAddress(c.host), quint16(port), c.faults);
    QString why;
    if (!fake->start(&why)) {
        if (error)
            *error = why;
        logEvent(LabEvent::Kind::Backend, why);
        return {};
    }
    if (c.name.isEmpty()) { // port 0: name it after the port it got
        c.port = fake->port();
        c.name = m_backends->uniqueName(QStringLiteral("backend-%1").arg(c.port));
        fake->stop();
        fake = std::make_unique<FakeBackend>(c.name, QHostAddress(c.host), quint16(c.port), c.faults);
        if (!fake->start(&why)) {
            if (error)
                *error = why;
            return {};
        }
    }
    c.port = fake->port();
    const BackendId id = m_backends->append(c, std::move(fake), error);
    if (!id.isValid())
        return {};
    publishBackends();
    logEvent(LabEvent::Kind::Config,
             tr("%1 added: an embedded backend on %2:%3, now in rotation").arg(c.name, c.host).arg(c.port));
    Q_EMIT backendInserted(id);
    return id;
}

BackendId Lab::addExternalBackend(const QString& host, int port, QString* error)
{
    const schema::Range ports = schema::rangeOf(&BackendConfig::port);
    if (QHostAddress(host).isNull() || !ports.contains(port)) {
        if (error)
            *error = tr("an external backend needs an IP address and a port from %1 to %2 (got %3:%4)")
                         .arg(ports.min)
                         .arg(ports.max)
                         .arg(host)
                         .arg(port);
        return {};
    }
    BackendConfig c;
    c.host = host;
    c.port = port;
    c.name = m_backends->uniqueName(QStringLiteral("external-%1").arg(port));
    const BackendId id = m_backends->append(c, nullptr, error);
    if (!id.isValid())
        return {};
    publishBackends();
    logEvent(LabEvent::Kind::Config,
             tr("%1 added: external backend %2:%3, now in rotation").arg(c.name, host).arg(port));
    Q_EMIT backendInserted(id);
    return id;
}

void Lab::removeBackend(BackendId id)
{
    if (!hasBackend(id))
        return;
    const QString name = backendConfig(id).name;
    m_drain->cancel(id); // before its server goes
    m_drainReported.remove(id);
    m_backends->remove(id);
    publishBackends();
    m_checker->sync();
    logEvent(LabEvent::Kind::Config, tr("%1 removed from the pool (requests already on it finish)").arg(name));
    Q_EMIT backendRemoved(id);
}

void Lab::setWeight(BackendId id, int weight)
{
    LabBackends::Record* r = m_backends->find(id);
    if (!r)
        return;
    const schema::Range weights = schema::rangeOf(&BackendConfig::weight);
    weight = int(qBound(weights.min, qint64(weight), weights.max));
    BackendConfig& c = r->config;
    if (c.weight == weight)
        return;
    const int old = c.weight;
    c.weight = weight;
    if (r->pooled)
        m_pool->setWeight(*r->pooled, weight);
    publishBackends();
    logEvent(LabEvent::Kind::Config, tr("%1 weight %2 → %3").arg(c.name).arg(old).arg(weight));
    Q_EMIT backendStateChanged(id);
}

void Lab::setFaults(BackendId id, const FaultProfile& faults)
{
    const QStringList changes = m_backends->setFaults(id, faults);
    if (changes.isEmpty())
        return;
    publishBackends();
    logEvent(LabEvent::Kind::Config,
             tr("%1 faults: %2").arg(backendConfig(id).name, changes.join(QStringLiteral(", "))));
    Q_EMIT backendStateChanged(id);
}

void Lab::setDraining(BackendId id, bool draining)
{
    const BackendPtr b = poolBackend(id);
    if (!b || b->enabled.load() == !draining)
        return;
    b->enabled.store(!draining);
    m_drainReported.remove(id);
    logEvent(LabEvent::Kind::Config,
             draining
                 ? tr("%1 draining: no new requests; %2 in flight finish").arg(b->name).arg(b->activeRequests.load())
                 : tr("%1 back in rotation").arg(b->name));
    Q_EMIT backendStateChanged(id);
}

bool Lab::isDraining(BackendId id) const
{
    const BackendPtr b = poolBackend(id);
    return b && !b->enabled.load();
}

bool Lab::drainAndStop(BackendId id, int drainMs)
{
    FakeBackend* fake = embeddedBackend(id);
    if (!fake || !fake->isStarted())
        return true;
    if (m_drain->isStopping(id))
        return false;
    const BackendPtr b = poolBackend(id);
    const int inFlight = b ? b->activeRequests.load() : 0;
    if (drainMs > 0 && inFlight > 0) {
        m_drainReported.insert(id); // the stop will say it
        logEvent(LabEvent::Kind::Backend,
                 tr("%1 stopping: draining first (%2 requests in flight, up to %3 s)")
                     .arg(b->name)
                     .arg(inFlight)
                     .arg(drainMs / 1000.0));
    }
    const bool atOnce = m_drain->begin(id, b, fake, drainMs);
    if (!atOnce)
        Q_EMIT backendStateChanged(id);
    return atOnce;
}

void Lab::onDrainStopped(BackendId id, DrainThenStop::Outcome outcome, int cutOff)
{
    m_drainReported.remove(id);
    const FakeBackend* fake = embeddedBackend(id);
    if (!fake)
        return;
    const QString name = fake->name();
    switch (outcome) {
    case DrainThenStop::Outcome::AtOnce:
        logEvent(LabEvent::Kind::Backend,
                 QStringLiteral("%1 stopped (connections to port %2 are now refused)").arg(name).arg(fake->port()));
        break;
    case DrainThenStop::Outcome::Drained:
        logEvent(LabEvent::Kind::Backend,
                 tr("%1 drained and stopped (connections to port %2 are now refused)").arg(name).arg(fake->port()));
        break;
    case DrainThenStop::Outcome::CutOff:
        logEvent(LabEvent::Kind::Backend,
                 tr("%1 stopped with %2 requests still in flight (drain time is up)").arg(name).arg(cutOff));
        break;
    }
    Q_EMIT backendStateChanged(id);
}

bool Lab::isStopping(BackendId id) const
{
    return m_drain->isStopping(id);
}

void Lab::setTraffic(const TrafficConfig& traffic)
{
    m_config.traffic = traffic; // not logged: a field edited key by key would flood the log
}

void Lab::setHealthDefaults(const HealthConfig& config)
{
    if (config == m_config.health)
        return;
    m_config.health = config;
    m_checker->setDefaults(config);
    m_pool->setPassiveConfig(m_config.outlier, m_config.breaker, config.slowStartMs);
    logEvent(LabEvent::Kind::Config,
             tr("health checks: %1 %2 every %3 ms, timeout %4 ms, rise %5, fall %6")
                 .arg(config.enabled ? config.type : tr("off"),
                      config.type == QLatin1String("http") ? config.path : QString())
                 .arg(config.intervalMs)
                 .arg(config.timeoutMs)
                 .arg(config.rise)
                 .arg(config.fall));
}

void Lab::setBackendHealth(BackendId id, const std::optional<HealthConfig>& config)
{
    LabBackends::Record* r = m_backends->find(id);
    if (!r || r->config.health == config)
        return;
    BackendConfig& c = r->config;
    c.health = config;
    publishBackends();
    m_checker->setBackendConfig(c.name, config);
    const HealthConfig h = m_config.healthFor(c);
    logEvent(LabEvent::Kind::Config,
             tr("%1 health checks: %2 every %3 ms, timeout %4 ms, rise %5, fall %6")
                 .arg(c.name, h.enabled ? h.type : tr("off"))
                 .arg(h.intervalMs)
                 .arg(h.timeoutMs)
                 .arg(h.rise)
                 .arg(h.fall));
    Q_EMIT backendStateChanged(id);
}

// ---- proxy ------------------------------------------------------------------------------------------

bool Lab::startProxies(QString* error)
{
    if (!m_checking)
        startChecking();
    const bool ok = m_proxies->start(m_config, m_pool, error);
    Q_EMIT proxyStateChanged();
    return ok;
}

void Lab::stopProxies(int timeoutMs)
{
    if (!m_proxies->running())
        return;
    m_proxies->stop(timeoutMs);
    Q_EMIT proxyStateChanged(); // listeners closed; "stopping" until proxiesStopped()
}

void Lab::stopProxiesAndWait(int timeoutMs)
{
    const bool any = m_proxies->running() || m_proxies->stopping();
    m_proxies->stopAndWait(timeoutMs);
    if (any)
        Q_EMIT proxyStateChanged();
}

const std::vector<std::unique_ptr<Proxy>>& Lab::proxies() const
{
    return m_proxies->all();
}

Proxy* Lab::httpProxy() const
{
    return m_proxies->firstHttp();
}

LifecycleStream* Lab::lifecycle() const
{
    Proxy* p = httpProxy();
    return p ? &p->lifecycle() : nullptr;
}

void Lab::setStepScope(StepScope scope)
{
    m_proxies->setStepScope(scope);
}

StepScope Lab::stepScope() const
{
    return m_proxies->stepScope();
}

bool Lab::stepOnce()
{
    return m_proxies->stepOnce();
}

QList<HeldRequest> Lab::heldRequests() const
{
    return m_proxies->heldRequests();
}

bool Lab::hasHttpListener() const
{
    for (const ListenerConfig& l : m_config.listeners) {
        if (l.kind == ListenerKind::Http)
            return true;
    }
    return false;
}

bool Lab::proxiesRunning() const
{
    return m_proxies->running();
}

bool Lab::proxiesStopping() const
{
    return m_proxies->stopping();
}

bool Lab::setAlgorithm(const QString& algorithm, QString* error)
{
    if (algorithm == m_pool->algorithm())
        return true;
    HashKeySpec key;
    HashKeySpec::parse(m_config.hashKey, &key);
    if (!m_pool->setAlgorithm(algorithm, key)) {
        if (error)
            *error =
                tr("unknown algorithm '%1' (allowed: %2)").arg(algorithm, algorithmNames().join(QStringLiteral(", ")));
        return false;
    }
    const QString old = m_config.algorithm;
    m_config.algorithm = algorithm;
    logEvent(LabEvent::Kind::Config, tr("algorithm %1 → %2 (connections stay open)").arg(old, algorithm));
    Q_EMIT proxyStateChanged();
    return true;
}

bool Lab::setHashKey(const QString& hashKey, QString* error)
{
    HashKeySpec key;
    if (!HashKeySpec::parse(hashKey, &key)) {
        if (error)
            *error = tr("hash key %1").arg(HashKeySpec::problem(hashKey));
        return false;
    }
    if (hashKey == m_config.hashKey)
        return true;
    m_config.hashKey = hashKey;
    m_pool->setAlgorithm(m_config.algorithm, key);
    logEvent(LabEvent::Kind::Config,
             tr("hash key → %1 (used by %2)").arg(hashKey, hashKeyAlgorithmNames().join(QStringLiteral(", "))));
    Q_EMIT proxyStateChanged();
    return true;
}

bool Lab::setSticky(const StickyConfig& sticky, QString* error)
{
    if (!validCookieName(sticky.cookie)) {
        if (error)
            *error = tr("sticky cookie name must be letters, digits, - and _ (got '%1')").arg(sticky.cookie);
        return false;
    }
    if (sticky == m_config.sticky)
        return true;
    m_config.sticky = sticky;
    m_proxies->applySettings(m_config);
    logEvent(LabEvent::Kind::Config,
             sticky.enabled ? tr("sticky sessions on: cookie %1 names the backend").arg(sticky.cookie)
                            : tr("sticky sessions off"));
    Q_EMIT proxyStateChanged();
    return true;
}

bool Lab::setProxyOptions(const RetryConfig& retry, const TimeoutsConfig& timeouts, const ListenerConfig& listener,
                          QString* error)
{
    QStringList changes;
    const bool ok = m_proxies->applyOptions(&m_config, retry, timeouts, listener, &changes, error);
    if (changes.isEmpty()) // nothing changed, or refused before anything did
        return ok;
    logEvent(LabEvent::Kind::Config, tr("proxy: %1").arg(changes.join(QStringLiteral("; "))));
    Q_EMIT proxyStateChanged();
    return ok;
}

bool Lab::setRateLimit(const RateLimitConfig& rateLimit, QString* error)
{
    const bool ok = m_proxies->setRateLimit(m_config, rateLimit, error);
    Q_EMIT proxyStateChanged();
    return ok;
}

MetricsSnapshot Lab::snapshot() const
{
    MetricsSnapshot s = m_proxies->snapshot(*m_pool);
    // Embedded backends' queue depth and the proxy's requests in flight, read from their atomics at the
    // same moment.
    for (BackendStats& b : s.backends) {
        const BackendId id = idOf(b.name);
        if (const BackendPtr pooled = id.isValid() ? poolBackend(id) : nullptr)
            b.inFlight = pooled->activeRequests.load(std::memory_order_relaxed);
        if (const FakeBackend* fake = id.isValid() ? embeddedBackend(id) : nullptr) {
            b.queued = fake->counters().queued.load(std::memory_order_relaxed);
            b.inService = fake->counters().inService.load(std::memory_order_relaxed);
        }
    }
    return s;
}

} // namespace lab
