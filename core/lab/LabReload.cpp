// planReload (what a reload changes) and Lab::reload (applying it to the running lab).
#include "LabReload.h"

#include "Lab.h"
#include "LabBackends.h"
#include "LabProxies.h"
#include "backend/BackendPool.h"
#include "config/ConfigSchema.h"
#include "fakebackend/FakeBackend.h"
#include "health/ActiveHealthChecker.h"
#include "proxy/Proxy.h"
#include "proxy/ProxySettings.h"

#include <QDeadlineTimer>
#include <QHostAddress>
#include <QTimer>

namespace lab {

namespace {

// "circuitBreaker.failurePercent: 0 is not from 1 to 100" for the first int key outside its range.
template <typename Section> QString rangeProblem(const Section& section, const char* name)
{
    for (const schema::Key<Section>& k : schema::keysOf<Section>()) {
        const auto* member = std::get_if<int Section::*>(&k.member);
        if (member && !k.range.contains(section.**member))
            return Lab::tr("%1.%2: %3 is not from %4 to %5")
                .arg(QLatin1String(name), QLatin1String(k.name))
                .arg(section.**member)
                .arg(k.range.min)
                .arg(k.range.max);
    }
    return {};
}

const BackendConfig* findByName(const QList<BackendConfig>& list, const QString& name)
{
    for (const BackendConfig& b : list) {
        if (b.name == name)
            return &b;
    }
    return nullptr;
}

// Equal weight, faults and checks (the port is compared apart: 0 means the running one).
bool sameButPort(const BackendConfig& running, BackendConfig next)
{
    next.port = running.port;
    return running == next;
}

const ListenerConfig* findListener(const QList<ListenerConfig>& list, const QString& name)
{
    for (const ListenerConfig& l : list) {
        if (l.name == name)
            return &l;
    }
    return nullptr;
}

QString listenerText(const ListenerConfig& l)
{
    return QStringLiteral("%1://%2:%3")
        .arg(l.kind == ListenerKind::Tcp ? QStringLiteral("tcp")
                 : l.tls.enabled()       ? QStringLiteral("https")
                                         : QStringLiteral("http"),
             l.address)
        .arg(l.port);
}

QString adminText(const AdminConfig& a)
{
    return a.enabled ? QStringLiteral("%1:%2").arg(a.address).arg(a.port) : QStringLiteral("off");
}

} // namespace

QString ReloadPlan::summary() const
{
    return QStringLiteral("reload: ") +
        (clauses.isEmpty() ? QStringLiteral("nothing changed") : clauses.join(QStringLiteral(", ")));
}

ReloadPlan planReload(const LabConfig& running, const LabConfig& next)
{
    ReloadPlan plan;
    for (const ListenerConfig& n : next.listeners) {
        const ListenerConfig* o = findListener(running.listeners, n.name);
        if (o && o->kind != n.kind) {
            plan.refusal = QStringLiteral("listener %1: a reload cannot change a listener's kind (%2 → %3); give the "
                                          "new one another name, or restart")
                               .arg(n.name, listenerText(*o), listenerText(n));
            return plan;
        }
    }
    for (const BackendConfig& b : next.backends) {
        const BackendConfig* old = findByName(running.backends, b.name);
        if (!old) {
            plan.added << b.name;
            plan.clauses << QLatin1Char('+') + b.name;
        } else if (old->host != b.host || old->embedded != b.embedded || (b.port != 0 && old->port != b.port)) {
            // An embedded backend on port 0 ("any free port") is the running one on whatever port it got.
            plan.replaced << b.name;
            plan.clauses
                << QStringLiteral("%1 %2:%3 → %4:%5").arg(b.name, old->host).arg(old->port).arg(b.host).arg(b.port);
        } else if (!sameButPort(*old, b)) {
            plan.reconfigured << b.name;
            QStringList what;
            if (old->weight != b.weight)
                what << QStringLiteral("weight %1 → %2").arg(old->weight).arg(b.weight);
            if (old->faults != b.faults)
                what << QStringLiteral("faults");
            if (old->health != b.health)
                what << QStringLiteral("health checks");
            plan.clauses << b.name + QLatin1Char(' ') + what.join(QStringLiteral(" and "));
        }
    }
    for (const BackendConfig& b : running.backends) {
        if (!findByName(next.backends, b.name)) {
            plan.removed << b.name;
            plan.clauses << QLatin1Char('-') + b.name;
        }
    }
    if (running.algorithm != next.algorithm)
        plan.clauses << QStringLiteral("algorithm %1 → %2").arg(running.algorithm, next.algorithm);
    if (running.hashKey != next.hashKey)
        plan.clauses << QStringLiteral("hash key %1 → %2").arg(running.hashKey, next.hashKey);
    if (running.sticky != next.sticky)
        plan.clauses << (next.sticky.enabled ? QStringLiteral("sticky cookie %1").arg(next.sticky.cookie)
                                             : QStringLiteral("sticky off"));
    for (const ListenerConfig& n : next.listeners) {
        const ListenerConfig* o = findListener(running.listeners, n.name);
        if (!o) {
            plan.listenersAdded << n.name;
            plan.clauses << QStringLiteral("+listener %1 %2").arg(n.name, listenerText(n));
        } else if (o->address != n.address || o->port != n.port || o->tls.enabled() != n.tls.enabled()) {
            plan.clauses << QStringLiteral("listener %1 %2 → %3").arg(n.name, listenerText(*o), listenerText(n));
        } else if (o->tls != n.tls) {
            plan.clauses << QStringLiteral("listener %1 certificate %2").arg(n.name, n.tls.cert);
        }
    }
    for (const ListenerConfig& o : running.listeners) {
        if (!findListener(next.listeners, o.name)) {
            plan.listenersRemoved << o.name;
            plan.clauses << QStringLiteral("-listener %1 %2").arg(o.name, listenerText(o));
        }
    }
    const struct {
        bool changed;
        const char* what;
    } sections[] = {
        {running.health != next.health, "health checks"},     {running.outlier != next.outlier, "outlier detection"},
        {running.breaker != next.breaker, "circuit breaker"}, {running.retry != next.retry, "retries"},
        {running.timeouts != next.timeouts, "timeouts"},      {running.rateLimit != next.rateLimit, "rate limit"},
        {running.traffic != next.traffic, "traffic"},
    };
    for (const auto& s : sections) {
        if (s.changed)
            plan.clauses << QLatin1String(s.what);
    }
    // The admin server is the caller's (serve, the window's status bar): they move it when config() changes.
    if (running.admin != next.admin)
        plan.clauses << QStringLiteral("admin %1 → %2").arg(adminText(running.admin), adminText(next.admin));
    // A proxy's workers, pools and caps exist from its construction; the config keeps the new values.
    if (running.limits != next.limits)
        plan.clauses << QStringLiteral("limits (on the next start)");
    if (running.proxy != next.proxy) {
        ProxyConfig live = running.proxy; // the parts updateSettings applies at once
        live.addServedBy = next.proxy.addServedBy;
        live.accessLog = next.proxy.accessLog;
        live.underscoresInHeaders = next.proxy.underscoresInHeaders;
        plan.clauses << (live == next.proxy ? QStringLiteral("proxy")
                                            : QStringLiteral("proxy (partly on the next start)"));
    }
    return plan;
}

bool Lab::reload(const LabConfig& next, QString* summary, QString* error)
{
    const ReloadPlan plan = planReload(m_config, next);
    if (!plan.refusal.isEmpty()) {
        if (error)
            *error = plan.refusal;
        logEvent(LabEvent::Kind::Config, tr("reload refused: %1; the running config stays").arg(plan.refusal));
        return false;
    }
    // New listener settings are checked before anything changes: a certificate that stopped loading since the
    // file was parsed refuses the whole reload, not half of it.
    for (const ListenerConfig& l : next.listeners) {
        const ProxySettings s = ProxySettings::fromConfig(next, l);
        if (!s.tlsProblem.isEmpty()) {
            if (error)
                *error = tr("listener %1: %2").arg(l.name, s.tlsProblem);
            logEvent(LabEvent::Kind::Config,
                     tr("reload refused: listener %1: %2; the running config stays").arg(l.name, s.tlsProblem));
            return false;
        }
    }
    QStringList problems;
    // Added first and removed last, so a pool that swaps every backend is never empty in between.
    for (const QString& name : plan.replaced)
        removeBackend(idOf(name)); // its address changed: the old one goes at once
    for (const BackendConfig& b : next.backends) {
        if (plan.added.contains(b.name) || plan.replaced.contains(b.name)) {
            QString why;
            if (!addConfiguredBackend(b, &why).isValid())
                problems << why;
        }
    }
    for (const QString& name : plan.reconfigured) { // the port stays the running one
        const BackendId id = idOf(name);
        const BackendConfig* b = findByName(next.backends, name);
        setWeight(id, b->weight);
        setFaults(id, b->faults);
        setBackendHealth(id, b->health);
    }
    for (const QString& name : plan.removed)
        removeAfterDrain(idOf(name));

    QString why;
    if (!setAlgorithm(next.algorithm, &why) || !setHashKey(next.hashKey, &why) || !setSticky(next.sticky, &why))
        problems << why;
    setHealthDefaults(next.health);
    if (next.outlier != m_config.outlier || next.breaker != m_config.breaker) {
        m_config.outlier = next.outlier;
        m_config.breaker = next.breaker;
        m_pool->setPassiveConfig(m_config.outlier, m_config.breaker, m_config.health.slowStartMs);
    }
    setTraffic(next.traffic);
    m_config.rateLimit = next.rateLimit;
    m_config.retry = next.retry;
    m_config.timeouts = next.timeouts;
    m_config.limits = next.limits;
    m_config.proxy = next.proxy;
    m_config.admin = next.admin;
    // Listeners that come and go (matched by name); one that cannot listen is left out of config() and said.
    if (!plan.listenersAdded.isEmpty() || !plan.listenersRemoved.isEmpty())
        m_config.listeners = m_proxies->reconcile(m_config.listeners, next, m_pool, kReloadDrainMs, &problems);
    else
        m_config.listeners = next.listeners;
    // One pass over the proxies: retries, timeouts, rate limit, TLS files; a moved listener re-binds.
    if (!m_proxies->applySettings(m_config, &why))
        problems << why;
    const QString line = plan.summary() +
        (problems.isEmpty() ? QString() : tr(" (not applied: %1)").arg(problems.join(QStringLiteral("; "))));
    logEvent(LabEvent::Kind::Config, line);
    Q_EMIT proxyStateChanged();
    if (summary)
        *summary = line;
    if (!problems.isEmpty() && error)
        *error = problems.join(QStringLiteral("; "));
    return problems.isEmpty();
}

BackendId Lab::addConfiguredBackend(const BackendConfig& config, QString* error)
{
    std::unique_ptr<FakeBackend> fake;
    if (config.embedded) {
        fake =
            std::make_unique<FakeBackend>(config.name, QHostAddress(config.host), quint16(config.port), config.faults);
        if (!fake->start(error))
            return {};
    }
    BackendConfig c = config;
    if (fake)
        c.port = fake->port();
    const BackendId id = m_backends->append(c, std::move(fake), error);
    if (!id.isValid())
        return {};
    if (c.health)
        m_checker->setBackendConfig(c.name, c.health);
    publishBackends();
    m_checker->sync();
    Q_EMIT backendInserted(id);
    return id;
}

void Lab::removeAfterDrain(BackendId id)
{
    const BackendPtr b = poolBackend(id);
    if (!b || b->activeRequests.load() == 0) {
        removeBackend(id);
        return;
    }
    // Not DrainThenStop: it puts a stopped backend back into rotation, and a pick in that moment would reach
    // a closed port. This one stays out of rotation, its server answering what it has, until it is removed
    // (or the lab is rebuilt: build() forgets m_removeAfterDrain, and the timer with it).
    b->enabled.store(false);
    m_drainReported.insert(id); // housekeeping's "drained, safe to stop" is not for it: it goes by itself
    m_removeAfterDrain.insert(id);
    logEvent(LabEvent::Kind::Config,
             tr("%1 leaving the pool: %2 requests in flight finish first").arg(b->name).arg(b->activeRequests.load()));
    auto* poll = new QTimer(this);
    poll->setInterval(DrainThenStop::kPollMs);
    connect(poll, &QTimer::timeout, this, [this, poll, id, deadline = QDeadlineTimer(kReloadDrainMs)] {
        const BackendPtr pooled = poolBackend(id);
        if (m_removeAfterDrain.contains(id) && pooled && pooled->activeRequests.load() > 0 && !deadline.hasExpired())
            return;
        poll->deleteLater();
        if (m_removeAfterDrain.remove(id))
            removeBackend(id);
    });
    poll->start();
}

bool Lab::setPassiveHealth(const OutlierConfig& outlier, const BreakerConfig& breaker, QString* error)
{
    QString problem = rangeProblem(outlier, "outlierDetection");
    if (problem.isEmpty())
        problem = rangeProblem(breaker, "circuitBreaker");
    if (!problem.isEmpty()) {
        if (error)
            *error = problem;
        return false;
    }
    if (outlier == m_config.outlier && breaker == m_config.breaker)
        return true;
    m_config.outlier = outlier;
    m_config.breaker = breaker;
    m_pool->setPassiveConfig(outlier, breaker, m_config.health.slowStartMs);
    logEvent(LabEvent::Kind::Config,
             tr("outlier ejection: %1; circuit breaker: %2")
                 .arg(outlier.enabled ? tr("after %1 failures in a row, %2 ms (at most %3 ms, %4% of the pool)")
                                            .arg(outlier.consecutiveFailures)
                                            .arg(outlier.baseEjectionMs)
                                            .arg(outlier.maxEjectionMs)
                                            .arg(outlier.maxEjectionPercent)
                                      : tr("off"),
                      breaker.enabled ? tr("opens at %1% of at least %2 requests in %3 ms, open %4 ms, %5 trials")
                                            .arg(breaker.failurePercent)
                                            .arg(breaker.minRequests)
                                            .arg(breaker.windowMs)
                                            .arg(breaker.openMs)
                                            .arg(breaker.halfOpenRequests)
                                      : tr("off")));
    Q_EMIT proxyStateChanged();
    return true;
}

} // namespace lab
