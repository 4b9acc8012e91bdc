#include "Lab.h"

#include "backend/BackendPool.h"
#include "config/ConfigSchema.h"
#include "fakebackend/FakeBackend.h"
#include "health/ActiveHealthChecker.h"
#include "proxy/Proxy.h"

#include <QLoggingCategory>
#include <QTcpServer>
#include <QTimer>

Q_LOGGING_CATEGORY(lcLab, "lab.lab")

namespace lab {

Lab::Lab(LabConfig config, QObject* parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_events(std::make_shared<EventLog>())
    , m_housekeeping(new QTimer(this))
{
    build();
    connect(m_housekeeping, &QTimer::timeout, this, &Lab::housekeeping);
    m_housekeeping->start(100);
}

Lab::~Lab()
{
    stopProxies(0);
    m_proxies.clear();
    m_checker.reset();
    stopAll();
}

void Lab::build()
{
    m_checker.reset();
    m_stopping.clear();
    m_drainReported.clear();
    m_pool = std::make_shared<BackendPool>(QList<BackendConfig>{}, m_config.algorithm);
    HashKeySpec key;
    HashKeySpec::parse(m_config.hashKey, &key);
    m_pool->setAlgorithm(m_config.algorithm, key);
    m_pool->setEventLog(m_events);
    m_pool->setPassiveConfig(m_config.outlier, m_config.breaker, m_config.health.slowStartMs);
    m_embedded.clear();
    m_pooled.clear();
    m_embedded.resize(size_t(m_config.backends.size()));
    m_pooled.resize(size_t(m_config.backends.size()));
    for (qsizetype i = 0; i < m_config.backends.size(); ++i) {
        const BackendConfig& b = m_config.backends[i];
        if (b.embedded) {
            auto backend = std::make_unique<FakeBackend>(b.name, QHostAddress(b.host), quint16(b.port), b.faults);
            FakeBackend* raw = backend.get();
            connect(raw, &FakeBackend::listeningChanged, this, [this, raw] {
                for (int row = 0; row < backendCount(); ++row) {
                    if (m_embedded[size_t(row)].get() == raw)
                        Q_EMIT backendStateChanged(row);
                }
            });
            m_embedded[size_t(i)] = std::move(backend);
        }
        if (!b.embedded || b.port != 0)
            registerInPool(int(i), nullptr);
    }
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

void Lab::housekeeping()
{
    // Drains that end in a stop.
    const qint64 now = steadyNowMs();
    for (auto it = m_stopping.begin(); it != m_stopping.end();) {
        const int index = indexOf(it.key());
        const BackendPtr b = index >= 0 ? m_pooled[size_t(index)] : nullptr;
        const int inFlight = b ? b->activeRequests.load() : 0;
        if (index < 0 || inFlight == 0 || now >= it.value()) {
            const QString name = it.key();
            it = m_stopping.erase(it);
            if (index < 0)
                continue;
            if (b)
                b->enabled.store(true); // Start brings it straight back into rotation
            m_drainReported.remove(name);
            FakeBackend* fake = embeddedBackend(index);
            if (fake && fake->isStarted()) {
                fake->stop();
                logEvent(
                    LabEvent::Kind::Backend,
                    inFlight
                        ? tr("%1 stopped with %2 requests still in flight (drain time is up)").arg(name).arg(inFlight)
                        : tr("%1 drained and stopped (connections to port %2 are now refused)")
                              .arg(name)
                              .arg(fake->port()));
            }
            Q_EMIT backendStateChanged(index);
        } else {
            ++it;
        }
    }
    // Drains an operator asked for: say when nothing is left in flight.
    for (int i = 0; i < backendCount(); ++i) {
        const BackendPtr& b = m_pooled[size_t(i)];
        if (!b || b->enabled.load() || m_stopping.contains(b->name) || m_drainReported.contains(b->name))
            continue;
        if (b->activeRequests.load() == 0) {
            m_drainReported.insert(b->name);
            logEvent(LabEvent::Kind::Backend, tr("%1 drained: nothing in flight, safe to stop").arg(b->name));
            Q_EMIT backendStateChanged(i);
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
    stopProxies(0);
    m_proxies.clear();
    stopAll();
    m_config = std::move(config);
    build();
    logEvent(LabEvent::Kind::Config,
             QStringLiteral("lab loaded: %1 backends, %2 listeners, algorithm %3")
                 .arg(m_config.backends.size())
                 .arg(m_config.listeners.size())
                 .arg(m_config.algorithm));
    Q_EMIT labReset();
}

void Lab::logEvent(LabEvent::Kind kind, const QString& text)
{
    m_events->append(kind, text);
}

int Lab::indexOf(const QString& name) const
{
    for (int i = 0; i < backendCount(); ++i) {
        if (m_config.backends[i].name == name)
            return i;
    }
    return -1;
}

bool Lab::registerInPool(int index, QString* error)
{
    if (m_pooled[size_t(index)])
        return true;
    BackendPtr b = m_pool->add(m_config.backends[index], error);
    if (!b)
        return false;
    m_pooled[size_t(index)] = b;
    if (m_checker && m_checking)
        m_checker->sync();
    return true;
}

// ---- backends ---------------------------------------------------------------------------------------

QStringList Lab::startBackendsNamingFailures()
{
    // Every backend is tried, so a second copy of a lab names every port that is taken, not the first.
    QStringList failed;
    for (int i = 0; i < backendCount(); ++i) {
        QString why;
        if (m_embedded[size_t(i)] && !startBackend(i, &why))
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
    failed += startProxiesNamingFailures();
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
    for (auto& b : m_embedded) {
        if (b && b->isStarted())
            b->stop();
    }
}

bool Lab::startBackend(int index, QString* error)
{
    FakeBackend* b = embeddedBackend(index);
    if (!b)
        return false;
    QString why;
    if (!b->start(&why)) {
        const QString text = QStringLiteral("%1: %2").arg(b->name(), why);
        if (error)
            *error = text;
        logEvent(LabEvent::Kind::Backend, text);
        return false;
    }
    // A backend configured on port 0 keeps the port it was given, so the proxy can reach it.
    m_config.backends[index].port = b->port();
    if (!registerInPool(index, &why)) {
        if (error)
            *error = why;
        logEvent(LabEvent::Kind::Backend, why);
    }
    qCInfo(lcLab, "%s listening on %s:%u", qPrintable(b->name()), qPrintable(b->address().toString()), b->port());
    logEvent(LabEvent::Kind::Backend,
             QStringLiteral("%1 started on %2:%3").arg(b->name(), b->address().toString()).arg(b->port()));
    Q_EMIT backendStateChanged(index);
    return true;
}

void Lab::stopBackend(int index)
{
    FakeBackend* b = embeddedBackend(index);
    if (!b || !b->isStarted())
        return;
    b->stop();
    logEvent(LabEvent::Kind::Backend,
             QStringLiteral("%1 stopped (connections to port %2 are now refused)").arg(b->name()).arg(b->port()));
    Q_EMIT backendStateChanged(index);
}

QString Lab::uniqueName(const QString& base) const
{
    QString name = base;
    for (int n = 2; indexOf(name) >= 0; ++n)
        name = QStringLiteral("%1-%2").arg(base).arg(n);
    return name;
}

int Lab::addEmbeddedBackend(QString* error)
{
    // The pool's own rule (ids spent over the lab's life, not its size), checked before a fake starts.
    if (m_pool->idsLeft() <= 0) {
        if (error)
            *error = tr("cannot add a backend: %1").arg(BackendPool::idBudgetError());
        return -1;
    }
    // The next port after the highest embedded one (from the base), skipping ports other programs hold.
    int port = 0;
    if (m_portBase > 0) {
        port = m_portBase;
        for (const BackendConfig& c : std::as_const(m_config.backends)) {
            if (c.embedded && c.port >= port)
                port = c.port + 1;
        }
        for (int tries = 0; tries < 100 && port <= 65535; ++tries, ++port) {
            QTcpServer probe;
            if (probe.listen(QHostAddress::LocalHost, quint16(port)))
                break;
        }
    }
    BackendConfig c;
    c.embedded = true;
    c.port = port;
    c.name = port ? uniqueName(QStringLiteral("backend-%1").arg(port)) : QString();
    auto fake = std::make_unique<FakeBackend>(c.name.isEmpty() ? QStringLiteral("backend") : c.name,
                                              QHostAddress(c.host), quint16(port), c.faults);
    QString why;
    if (!fake->start(&why)) {
        if (error)
            *error = why;
        logEvent(LabEvent::Kind::Backend, why);
        return -1;
    }
    if (c.name.isEmpty()) { // port 0: name it after the port it got
        c.port = fake->port();
        c.name = uniqueName(QStringLiteral("backend-%1").arg(c.port));
        fake->stop();
        fake = std::make_unique<FakeBackend>(c.name, QHostAddress(c.host), quint16(c.port), c.faults);
        if (!fake->start(&why)) {
            if (error)
                *error = why;
            return -1;
        }
    }
    c.port = fake->port();
    FakeBackend* raw = fake.get();
    connect(raw, &FakeBackend::listeningChanged, this, [this, raw] {
        for (int row = 0; row < backendCount(); ++row) {
            if (m_embedded[size_t(row)].get() == raw)
                Q_EMIT backendStateChanged(row);
        }
    });
    const int row = appendBackend(c, std::move(fake), error);
    if (row < 0)
        return -1;
    logEvent(LabEvent::Kind::Config,
             tr("%1 added: an embedded backend on %2:%3, now in rotation").arg(c.name, c.host).arg(c.port));
    Q_EMIT backendInserted(row);
    return row;
}

int Lab::appendBackend(const BackendConfig& c, std::unique_ptr<FakeBackend> fake, QString* error)
{
    m_config.backends.append(c);
    m_embedded.push_back(std::move(fake));
    m_pooled.emplace_back();
    const int row = backendCount() - 1;
    if (!registerInPool(row, error)) { // the pool is full or the name is taken: undo
        m_config.backends.removeLast();
        m_embedded.pop_back();
        m_pooled.pop_back();
        return -1;
    }
    return row;
}

int Lab::addExternalBackend(const QString& host, int port, QString* error)
{
    const schema::Range ports = schema::rangeOf(&BackendConfig::port);
    if (QHostAddress(host).isNull() || !ports.contains(port)) {
        if (error)
            *error = tr("an external backend needs an IP address and a port from %1 to %2 (got %3:%4)")
                         .arg(ports.min)
                         .arg(ports.max)
                         .arg(host)
                         .arg(port);
        return -1;
    }
    BackendConfig c;
    c.host = host;
    c.port = port;
    c.name = uniqueName(QStringLiteral("external-%1").arg(port));
    const int row = appendBackend(c, nullptr, error);
    if (row < 0)
        return -1;
    logEvent(LabEvent::Kind::Config,
             tr("%1 added: external backend %2:%3, now in rotation").arg(c.name, host).arg(port));
    Q_EMIT backendInserted(row);
    return row;
}

void Lab::removeBackend(int index)
{
    if (index < 0 || index >= backendCount())
        return;
    const QString name = m_config.backends[index].name;
    m_pool->remove(name);
    if (FakeBackend* b = embeddedBackend(index); b && b->isStarted())
        b->stop();
    m_config.backends.removeAt(index);
    m_embedded.erase(m_embedded.begin() + index);
    m_pooled.erase(m_pooled.begin() + index);
    m_stopping.remove(name);
    m_checker->sync();
    logEvent(LabEvent::Kind::Config, tr("%1 removed from the pool (requests already on it finish)").arg(name));
    Q_EMIT backendRemoved(index);
}

void Lab::setWeight(int index, int weight)
{
    const schema::Range weights = schema::rangeOf(&BackendConfig::weight);
    weight = int(qBound(weights.min, qint64(weight), weights.max));
    BackendConfig& c = m_config.backends[index];
    if (c.weight == weight)
        return;
    const int old = c.weight;
    c.weight = weight;
    if (const BackendPtr& b = m_pooled[size_t(index)])
        b->weight.store(weight, std::memory_order_relaxed);
    logEvent(LabEvent::Kind::Config, tr("%1 weight %2 → %3").arg(c.name).arg(old).arg(weight));
    Q_EMIT backendStateChanged(index);
}

void Lab::setFaults(int index, const FaultProfile& faults)
{
    FakeBackend* b = embeddedBackend(index);
    BackendConfig& c = m_config.backends[index];
    if (!b || c.faults == faults)
        return;
    QStringList changes;
    const FaultProfile& o = c.faults;
    if (o.latencyMs != faults.latencyMs)
        changes << tr("latency %1 ms").arg(faults.latencyMs);
    if (o.jitterMs != faults.jitterMs)
        changes << tr("jitter %1 ms").arg(faults.jitterMs);
    if (o.errorRatePercent != faults.errorRatePercent)
        changes << tr("error rate %1%").arg(faults.errorRatePercent);
    if (o.healthFails != faults.healthFails)
        changes << (faults.healthFails ? tr("/health fails") : tr("/health passes"));
    if (o.onlyPaths != faults.onlyPaths)
        changes << (faults.onlyPaths.isEmpty() ? tr("serves every path")
                                               : tr("only serves %1").arg(faults.onlyPaths.join(QStringLiteral(", "))));
    if (o.capacity != faults.capacity)
        changes << (faults.capacity ? tr("capacity %1").arg(faults.capacity) : tr("unlimited capacity"));
    if (o.workers != faults.workers || o.queue != faults.queue)
        changes << (faults.workers ? tr("workers %1, queue %2").arg(faults.workers).arg(faults.queue)
                                   : tr("unlimited workers"));
    if (o.serviceMs != faults.serviceMs || o.serviceDist != faults.serviceDist)
        changes << tr("service %1 ms (%2)").arg(faults.serviceMs).arg(faults.serviceDist);
    if (o.hang != faults.hang)
        changes << (faults.hang ? tr("hangs (never answers)") : tr("answers again"));
    if (o.refuse != faults.refuse)
        changes << (faults.refuse ? tr("refuses connections") : tr("accepts connections again"));
    c.faults = faults;
    b->setFaults(faults);
    logEvent(LabEvent::Kind::Config, tr("%1 faults: %2").arg(c.name, changes.join(QStringLiteral(", "))));
    Q_EMIT backendStateChanged(index);
}

void Lab::setDraining(int index, bool draining)
{
    const BackendPtr& b = m_pooled[size_t(index)];
    if (!b || b->enabled.load() == !draining)
        return;
    b->enabled.store(!draining);
    m_drainReported.remove(b->name);
    logEvent(LabEvent::Kind::Config,
             draining
                 ? tr("%1 draining: no new requests; %2 in flight finish").arg(b->name).arg(b->activeRequests.load())
                 : tr("%1 back in rotation").arg(b->name));
    Q_EMIT backendStateChanged(index);
}

bool Lab::drainAndStop(int index, int drainMs)
{
    FakeBackend* fake = embeddedBackend(index);
    if (!fake || !fake->isStarted())
        return true;
    const BackendPtr& b = m_pooled[size_t(index)];
    const int inFlight = b ? b->activeRequests.load() : 0;
    if (drainMs <= 0 || inFlight == 0) {
        if (b && !b->enabled.load()) {
            b->enabled.store(true);
            m_drainReported.remove(b->name);
        }
        stopBackend(index);
        return true;
    }
    b->enabled.store(false);
    m_drainReported.insert(b->name); // the stop will say it
    m_stopping.insert(b->name, steadyNowMs() + drainMs);
    logEvent(LabEvent::Kind::Backend,
             tr("%1 stopping: draining first (%2 requests in flight, up to %3 s)")
                 .arg(b->name)
                 .arg(inFlight)
                 .arg(drainMs / 1000.0));
    Q_EMIT backendStateChanged(index);
    return false;
}

bool Lab::isStopping(int index) const
{
    return index >= 0 && index < backendCount() && m_stopping.contains(m_config.backends[index].name);
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

void Lab::setBackendHealth(int index, const std::optional<HealthConfig>& config)
{
    BackendConfig& c = m_config.backends[index];
    if (c.health == config)
        return;
    c.health = config;
    m_checker->setBackendConfig(c.name, config);
    const HealthConfig h = m_config.healthFor(c);
    logEvent(LabEvent::Kind::Config,
             tr("%1 health checks: %2 every %3 ms, timeout %4 ms, rise %5, fall %6")
                 .arg(c.name, h.enabled ? h.type : tr("off"))
                 .arg(h.intervalMs)
                 .arg(h.timeoutMs)
                 .arg(h.rise)
                 .arg(h.fall));
    Q_EMIT backendStateChanged(index);
}

bool Lab::isDraining(int index) const
{
    const BackendPtr& b = m_pooled[size_t(index)];
    return b && !b->enabled.load();
}

// ---- proxy ------------------------------------------------------------------------------------------

bool Lab::startProxies(QString* error)
{
    const QStringList failed = startProxiesNamingFailures();
    if (!failed.isEmpty() && error)
        *error = failed.join(QStringLiteral("; "));
    return failed.isEmpty();
}

QStringList Lab::startProxiesNamingFailures()
{
    if (!m_checking)
        startChecking();
    const bool fresh = m_proxies.empty();
    size_t next = 0;
    QStringList failed;
    for (const ListenerConfig& l : std::as_const(m_config.listeners)) {
        Proxy* proxy = nullptr;
        if (fresh) {
            m_proxies.push_back(std::make_unique<Proxy>(ProxySettings::fromConfig(m_config, l), m_pool, m_events));
            proxy = m_proxies.back().get();
        } else {
            proxy = m_proxies[next++].get();
        }
        QString why;
        if (!proxy->isListening() && !proxy->start(&why)) {
            const QString text = QStringLiteral("listener %1: %2").arg(l.name, why);
            failed << text;
            logEvent(LabEvent::Kind::Proxy, text);
            continue; // the next listeners are tried too, so every port in use is named
        }
        logEvent(
            LabEvent::Kind::Proxy,
            QStringLiteral("proxy %1 listening on %2://%3:%4 (%5, %6 workers)")
                .arg(l.name, l.kind == ListenerKind::Tcp ? QStringLiteral("tcp") : QStringLiteral("http"), l.address)
                .arg(proxy->port())
                .arg(m_pool->algorithm())
                .arg(proxy->settings().workers));
    }
    if (!failed.isEmpty()) {
        stopProxies(0);
        if (fresh)
            m_proxies.clear();
    }
    Q_EMIT proxyStateChanged();
    return failed;
}

void Lab::stopProxies(int timeoutMs)
{
    bool any = false;
    for (auto& p : m_proxies) {
        if (p->isListening()) {
            const int unfinished = p->stop(timeoutMs);
            any = true;
            logEvent(LabEvent::Kind::Proxy,
                     unfinished ? tr("proxy stopped; %1 requests were cut off").arg(unfinished)
                                : tr("proxy stopped (port %1 closed)").arg(p->port()));
        }
    }
    if (any)
        Q_EMIT proxyStateChanged();
}

Proxy* Lab::httpProxy() const
{
    for (const auto& p : m_proxies) {
        if (p->settings().kind == ListenerKind::Http)
            return p.get();
    }
    return nullptr;
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
    for (const auto& p : m_proxies) {
        if (p->isListening())
            return true;
    }
    return false;
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
                tr("unknown algorithm '%1' (allowed: %2)").arg(algorithm, knownAlgorithms().join(QStringLiteral(", ")));
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
    if (!HashKeySpec::parse(hashKey, &key) || !validHashKey(hashKey)) {
        if (error)
            *error = tr("hash key must be client, path, header:NAME or cookie:NAME (got '%1')").arg(hashKey);
        return false;
    }
    if (hashKey == m_config.hashKey)
        return true;
    m_config.hashKey = hashKey;
    m_pool->setAlgorithm(m_config.algorithm, key);
    logEvent(LabEvent::Kind::Config, tr("hash key → %1 (used by ring-hash and maglev)").arg(hashKey));
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
    applyProxySettings();
    logEvent(LabEvent::Kind::Config,
             sticky.enabled ? tr("sticky sessions on: cookie %1 names the backend").arg(sticky.cookie)
                            : tr("sticky sessions off"));
    Q_EMIT proxyStateChanged();
    return true;
}

void Lab::applyProxySettings()
{
    size_t proxyIndex = 0;
    for (const ListenerConfig& l : std::as_const(m_config.listeners)) {
        if (proxyIndex >= m_proxies.size())
            break;
        m_proxies[proxyIndex++]->updateSettings(ProxySettings::fromConfig(m_config, l));
    }
}

bool Lab::setProxyOptions(const RetryConfig& retry, const TimeoutsConfig& timeouts, const ListenerConfig& listener,
                          QString* error)
{
    QStringList changes;
    if (retry != m_config.retry)
        changes << tr("retries %1 on %2")
                       .arg(retry.retries)
                       .arg(retry.retryOn.isEmpty() ? tr("nothing") : retry.retryOn.join(QStringLiteral(", ")));
    if (timeouts != m_config.timeouts)
        changes
            << tr("timeouts connect %1 ms, response %2 ms").arg(timeouts.connectMs).arg(timeouts.upstreamResponseMs);
    int listenerIndex = -1;
    for (int i = 0; i < m_config.listeners.size(); ++i) {
        if (m_config.listeners[i].kind == ListenerKind::Http) {
            listenerIndex = i;
            break;
        }
    }
    // A lab without an HTTP listener (TCP relays only) has no listener address here to change.
    const bool listenerChanged = listenerIndex >= 0 &&
        (m_config.listeners[listenerIndex].address != listener.address ||
         m_config.listeners[listenerIndex].port != listener.port);
    if (listenerChanged)
        changes << tr("listener %1:%2").arg(listener.address).arg(listener.port);
    if (changes.isEmpty())
        return true;
    if (listenerChanged && QHostAddress(listener.address).isNull()) {
        if (error)
            *error = tr("listener address must be an IP address (got '%1')").arg(listener.address);
        return false;
    }
    m_config.retry = retry;
    m_config.timeouts = timeouts;
    if (listenerIndex >= 0) {
        m_config.listeners[listenerIndex].address = listener.address;
        m_config.listeners[listenerIndex].port = listener.port;
    }
    bool ok = true;
    size_t proxyIndex = 0;
    for (const ListenerConfig& l : std::as_const(m_config.listeners)) {
        if (proxyIndex >= m_proxies.size())
            break;
        Proxy* p = m_proxies[proxyIndex++].get();
        QString why;
        if (!p->updateSettings(ProxySettings::fromConfig(m_config, l), &why)) {
            ok = false;
            if (error)
                *error = tr("listener %1: %2").arg(l.name, why);
            logEvent(LabEvent::Kind::Proxy, tr("listener %1: %2").arg(l.name, why));
        }
    }
    logEvent(LabEvent::Kind::Config, tr("proxy: %1").arg(changes.join(QStringLiteral("; "))));
    Q_EMIT proxyStateChanged();
    return ok;
}

MetricsSnapshot Lab::snapshot() const
{
    // Embedded backends' queue depth, read from their atomics at the same moment.
    auto withCapacity = [this](MetricsSnapshot s) {
        for (BackendStats& b : s.backends) {
            const int index = indexOf(b.name);
            if (const FakeBackend* fake = index >= 0 ? embeddedBackend(index) : nullptr) {
                b.queued = fake->counters().queued.load(std::memory_order_relaxed);
                b.inService = fake->counters().inService.load(std::memory_order_relaxed);
            }
        }
        return s;
    };
    if (m_proxies.empty()) {
        MetricsSnapshot s;
        s.takenAtMs = steadyNowMs();
        for (const BackendPtr& b : m_pool->backends())
            s.backends.append({b->id, b->name, {}});
        return withCapacity(std::move(s));
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
    return withCapacity(std::move(s));
}

} // namespace lab
