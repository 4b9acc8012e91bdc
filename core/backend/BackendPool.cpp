#include "BackendPool.h"

#include "balancing/Balancer.h"
#include "balancing/LeastLatency.h"
#include "metrics/EventLog.h"
#include "metrics/Metrics.h"

#include <QVarLengthArray>
#include <algorithm>
#include <chrono>
#include <cmath>

namespace lab {

// Ids index the workers' metrics arrays: both limits are kMaxBackendIds, and must stay one.
static_assert(BackendPool::kMaxBackends == MetricsShard::kMaxBackends);

qint64 steadyNowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

BackendPool::BackendPool(const QList<BackendConfig>& backends, const QString& algorithm)
    : m_balancer(makeBalancer(algorithm))
{
    Q_ASSERT(m_balancer);
    for (const BackendConfig& c : backends)
        add(c);
}

BackendPool::~BackendPool() = default;

BackendPtr BackendPool::add(const BackendConfig& c, QString* error)
{
    QMutexLocker lock(&m_mutex);
    auto fail = [error](const QString& why) {
        if (error)
            *error = why;
        return BackendPtr();
    };
    if (m_nextId >= kMaxBackends)
        return fail(QStringLiteral("cannot add %1: %2").arg(c.name, idBudgetError()));
    for (const BackendPtr& b : m_backends) {
        if (b->name == c.name)
            return fail(QStringLiteral("cannot add %1: a backend with that name is already in the pool").arg(c.name));
    }
    auto b = std::make_shared<Backend>();
    b->id = m_nextId++;
    b->name = c.name;
    b->nameUtf8 = c.name.toUtf8();
    b->host = c.host;
    b->port = quint16(c.port);
    b->hostHeader = c.host.toUtf8() + ':' + QByteArray::number(c.port);
    b->weight = c.weight;
    b->breaker.setConfig(m_breakerConfig);
    m_backends.push_back(b);
    return b;
}

int BackendPool::idsLeft() const
{
    QMutexLocker lock(&m_mutex);
    return kMaxBackends - m_nextId;
}

QString BackendPool::idBudgetError()
{
    return QStringLiteral("this lab has used all %1 backend ids (every backend added since it started uses one, "
                          "removed ones included, and ids are never reused); restart the lab to add more")
        .arg(kMaxBackends);
}

bool BackendPool::remove(const QString& name)
{
    QMutexLocker lock(&m_mutex);
    const auto it =
        std::find_if(m_backends.begin(), m_backends.end(), [&](const BackendPtr& b) { return b->name == name; });
    if (it == m_backends.end())
        return false;
    m_backends.erase(it);
    return true;
}

bool BackendPool::setAlgorithm(const QString& algorithm, const HashKeySpec& hashKey)
{
    std::unique_ptr<Balancer> next = makeBalancer(algorithm, hashKey);
    if (!next)
        return false;
    QMutexLocker lock(&m_mutex);
    m_balancer = std::move(next);
    return true;
}

bool BackendPool::breakerAllows(Backend& b, qint64 now)
{
    if (b.breakerNow() == CircuitBreaker::State::Closed)
        return true; // the common case: no lock on the data path (a closed breaker has no timed changes)
    QMutexLocker lock(&b.breakerMutex);
    advanceBreaker(b, now);
    return b.breaker.allows();
}

CircuitBreaker::Trial BackendPool::takeTrial(Backend& b, qint64 now)
{
    if (b.breakerNow() == CircuitBreaker::State::Closed)
        return {};
    QMutexLocker lock(&b.breakerMutex);
    return b.breaker.onPicked(now);
}

void BackendPool::advanceBreaker(Backend& b, qint64 now)
{
    publishBreaker(b, b.breaker.advance(now), now);
}

void BackendPool::publishBreaker(Backend& b, CircuitBreaker::Change change, qint64 now, const QString& detail)
{
    using Change = CircuitBreaker::Change;
    if (change == Change::None)
        return;
    b.breakerState.store(int(b.breaker.state()), std::memory_order_relaxed);
    const BreakerConfig& c = b.breaker.config();
    switch (change) {
    case Change::None: break;
    case Change::Opened:
        b.mark(HealthMark::Kind::BreakerOpen, now);
        log(QStringLiteral("%1 circuit OPEN for %2 s: %3").arg(b.name).arg(c.openMs / 1000.0).arg(detail));
        break;
    case Change::Reopened:
        b.mark(HealthMark::Kind::BreakerOpen, now);
        log(QStringLiteral("%1 circuit OPEN again for %2 s: a trial request failed (%3)")
                .arg(b.name)
                .arg(c.openMs / 1000.0)
                .arg(detail));
        break;
    case Change::HalfOpened:
        b.mark(HealthMark::Kind::BreakerHalfOpen, now);
        log(QStringLiteral("%1 circuit half-open: letting %2 trial requests through")
                .arg(b.name)
                .arg(c.halfOpenRequests));
        break;
    case Change::TrialsRenewed: // still half-open: the band goes on, only the event says it
        log(QStringLiteral("%1 circuit still half-open: no trial outcome within %2 s; those trials are forgotten "
                           "and new ones may go")
                .arg(b.name)
                .arg(c.openMs / 1000.0));
        break;
    case Change::Closed:
        b.mark(HealthMark::Kind::BreakerClosed, now);
        log(QStringLiteral("%1 circuit closed: %2 trial requests succeeded").arg(b.name).arg(c.halfOpenRequests));
        break;
    case Change::SwitchedOff:
        b.mark(HealthMark::Kind::BreakerClosed, now);
        log(QStringLiteral("%1 circuit closed: the circuit breaker was switched off").arg(b.name));
        break;
    }
}

void BackendPool::reportLatency(Backend& b, double ms, qint64 nowMs)
{
    // Peak EWMA: a slower sample takes over at once, faster ones pull the average down over ~10 s.
    const double old = b.latencyEwmaMs.load(std::memory_order_relaxed);
    const qint64 at = b.latencyUpdatedMs.load(std::memory_order_relaxed);
    double next = ms;
    if (ms < old && at > 0) {
        const double w = std::exp(-double(qMax<qint64>(0, nowMs - at)) / LeastLatency::kDecayMs);
        next = old * w + ms * (1 - w);
    }
    b.latencyEwmaMs.store(next, std::memory_order_relaxed);
    b.latencyUpdatedMs.store(qMax<qint64>(1, nowMs), std::memory_order_relaxed);
}

AttemptTicket BackendPool::pickByName(const QString& name, std::span<const int> tried)
{
    const qint64 now = this->now();
    QMutexLocker lock(&m_mutex);
    for (const BackendPtr& b : m_backends) {
        if (b->name != name)
            continue;
        if (!b->enabled.load(std::memory_order_relaxed) || !b->healthy.load(std::memory_order_relaxed) ||
            std::find(tried.begin(), tried.end(), b->id) != tried.end() || !breakerAllows(*b, now) ||
            b->passivelyDown(now) || b->ejected(now))
            return {};
        return AttemptTicket(this, b, takeTrial(*b, now));
    }
    return {};
}

AttemptTicket BackendPool::pick(const PickContext& givenContext, std::span<const int> tried)
{
    const qint64 now = this->now();
    PickContext context = givenContext;
    context.nowMs = now;
    // Eligible: enabled (not draining), healthy by the probes, circuit not open. Among those, the ones
    // ejected, just refused, or held back by slow start are only tried when nothing better is left.
    QVarLengthArray<Backend*, 32> best;
    QVarLengthArray<Backend*, 32> fallback;
    QMutexLocker lock(&m_mutex);
    // Panic routing (Envoy's panic threshold): when fewer than half of the enabled backends pass their
    // probes, the probes are more likely wrong (a missing /health, say) than the whole pool down, so
    // every enabled backend is used as if healthy, as Envoy does.
    int enabledCount = 0;
    int healthyCount = 0;
    for (const BackendPtr& b : m_backends) {
        if (b->enabled.load(std::memory_order_relaxed)) {
            ++enabledCount;
            healthyCount += b->healthy.load(std::memory_order_relaxed) ? 1 : 0;
        }
    }
    const bool panic = enabledCount > 0 && healthyCount * 100 < kPanicPercent * enabledCount;
    if (panic != m_panic) {
        m_panic = panic;
        log(panic ? QStringLiteral("PANIC: only %1 of %2 backends pass their health checks; routing to all of them "
                                   "until at least half do")
                        .arg(healthyCount)
                        .arg(enabledCount)
                  : QStringLiteral("panic over: %1 of %2 backends pass their health checks")
                        .arg(healthyCount)
                        .arg(enabledCount));
    }
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    for (const BackendPtr& b : m_backends) {
        const bool healthy = b->healthy.load(std::memory_order_relaxed);
        if (!b->enabled.load(std::memory_order_relaxed) || (!healthy && !panic) ||
            std::find(tried.begin(), tried.end(), b->id) != tried.end() || !breakerAllows(*b, now))
            continue;
        const bool heldBack = b->passivelyDown(now) || b->ejected(now) ||
            (b->slowStartSinceMs.load(std::memory_order_relaxed) != 0 && coin(m_random) >= slowStartFactor(*b, now));
        (heldBack ? fallback : best).append(b.get());
    }
    auto& set = best.isEmpty() ? fallback : best;
    if (set.isEmpty())
        return {};
    Backend* chosen = m_balancer->pick(std::span<Backend* const>(set.data(), size_t(set.size())), context);
    for (const BackendPtr& b : m_backends) {
        if (b.get() == chosen)
            return AttemptTicket(this, b, takeTrial(*b, now));
    }
    return {};
}

std::vector<BackendPtr> BackendPool::backends() const
{
    QMutexLocker lock(&m_mutex);
    return m_backends;
}

BackendPtr BackendPool::byName(const QString& name) const
{
    QMutexLocker lock(&m_mutex);
    for (const BackendPtr& b : m_backends) {
        if (b->name == name)
            return b;
    }
    return nullptr;
}

int BackendPool::size() const
{
    QMutexLocker lock(&m_mutex);
    return int(m_backends.size());
}

QString BackendPool::algorithm() const
{
    QMutexLocker lock(&m_mutex);
    return m_balancer->name();
}

void BackendPool::markConnectFailure(Backend& b) const
{
    b.passiveDownUntilMs.store(now() + kPassiveHoldMs, std::memory_order_relaxed);
}

void BackendPool::markSuccess(Backend& b) const
{
    if (b.passiveDownUntilMs.load(std::memory_order_relaxed) != 0)
        b.passiveDownUntilMs.store(0, std::memory_order_relaxed);
}

// ---- Backend timeline -------------------------------------------------------------------------------

void Backend::mark(HealthMark::Kind kind, qint64 atMs)
{
    QMutexLocker lock(&m_timelineMutex);
    m_timeline.push_back({atMs, kind});
    while (m_timeline.size() > 4000)
        m_timeline.pop_front();
}

std::vector<HealthMark> Backend::marksSince(qint64 fromMs) const
{
    QMutexLocker lock(&m_timelineMutex);
    std::vector<HealthMark> out;
    for (const HealthMark& m : m_timeline) {
        if (m.atMs >= fromMs)
            out.push_back(m);
    }
    return out;
}

// ---- passive health ---------------------------------------------------------------------------------

void BackendPool::setEventLog(std::shared_ptr<EventLog> events)
{
    QMutexLocker lock(&m_mutex);
    m_events = std::move(events);
}

void BackendPool::log(const QString& text) const
{
    if (m_events)
        m_events->append(LabEvent::Kind::Health, text, EventLog::Priority::StateChange);
}

void BackendPool::setPassiveConfig(const OutlierConfig& outlier, const BreakerConfig& breaker, int slowStartMs)
{
    QMutexLocker lock(&m_mutex);
    m_outlier = outlier;
    m_breakerConfig = breaker;
    m_slowStartMs = slowStartMs;
    const qint64 now = this->now();
    for (const BackendPtr& b : m_backends) {
        QMutexLocker breakerLock(&b->breakerMutex);
        publishBreaker(*b, b->breaker.setConfig(breaker), now);
    }
}

void BackendPool::setRandomSeed(quint32 seed)
{
    QMutexLocker lock(&m_mutex);
    m_random.seed(seed);
}

void BackendPool::setClock(std::function<qint64()> nowMs)
{
    QMutexLocker lock(&m_mutex);
    m_clock = std::move(nowMs);
}

void BackendPool::finishAttempt(Backend& b, CircuitBreaker::Trial trial, bool success, bool abandoned,
                                const QString& failureReason)
{
    if (abandoned) {
        if (!trial.isTrial())
            return; // nothing was counted at the pick: nothing to give back
        QMutexLocker lock(&b.breakerMutex);
        b.breaker.abandon(trial);
        return;
    }
    const qint64 now = this->now();
    if (success) {
        if (b.consecutiveFailures.load(std::memory_order_relaxed) != 0)
            b.consecutiveFailures.store(0, std::memory_order_relaxed);
        if (b.ejectionRefused.load(std::memory_order_relaxed))
            b.ejectionRefused.store(false, std::memory_order_relaxed);
        // The common case takes no lock: a closed breaker counting a success that was no trial.
        if (!trial.isTrial() && b.breakerNow() == CircuitBreaker::State::Closed && b.breaker.recordSuccessFast(now))
            return;
    } else {
        const int n = b.consecutiveFailures.fetch_add(1, std::memory_order_relaxed) + 1;
        QMutexLocker lock(&m_mutex);
        if (m_outlier.enabled && n >= m_outlier.consecutiveFailures && !b.ejected(now))
            eject(b, now, failureReason);
    }
    QMutexLocker lock(&b.breakerMutex);
    advanceBreaker(b, now); // a transition that was due happens (and is published) before this outcome
    const int requests = b.breaker.windowRequests(now) + 1;
    const int failures = b.breaker.windowFailures(now) + (success ? 0 : 1);
    const CircuitBreaker::Change change = b.breaker.record(success, now, trial);
    publishBreaker(b, change, now,
                   change == CircuitBreaker::Change::Opened
                       ? QStringLiteral("%1 of the last %2 requests failed (last: %3)")
                             .arg(failures)
                             .arg(requests)
                             .arg(failureReason)
                       : failureReason);
}

void BackendPool::eject(Backend& b, qint64 now, const QString& reason)
{
    // Called with m_mutex held.
    int out = 0;
    for (const BackendPtr& x : m_backends)
        out += x->ejected(now) ? 1 : 0;
    const int size = int(m_backends.size());
    if ((out + 1) * 100 > m_outlier.maxEjectionPercent * size) {
        b.consecutiveFailures.store(0, std::memory_order_relaxed);
        // Said once while the refusal lasts (until a success or an ejection), not after every run of
        // failures: under load that was a line every few milliseconds, drowning the state changes.
        if (!b.ejectionRefused.exchange(true, std::memory_order_relaxed) && m_events)
            m_events->append(LabEvent::Kind::Health,
                             QStringLiteral("%1 not ejected after %2 consecutive failures: %3 of %4 backends are out "
                                            "already and the limit is %5%")
                                 .arg(b.name)
                                 .arg(m_outlier.consecutiveFailures)
                                 .arg(out)
                                 .arg(size)
                                 .arg(m_outlier.maxEjectionPercent));
        return;
    }
    const int count = b.ejections.fetch_add(1, std::memory_order_relaxed) + 1;
    const qint64 duration = qMin<qint64>(qint64(m_outlier.baseEjectionMs) * count, m_outlier.maxEjectionMs);
    // The last ejection may have run out moments ago without housekeeping (every 100 ms) having marked
    // its end yet: mark it now, at the time it ended, so the timeline keeps it as a band of its own.
    const qint64 previousUntil = b.ejectedUntilMs.exchange(now + duration, std::memory_order_relaxed);
    if (previousUntil != 0)
        b.mark(HealthMark::Kind::Returned, previousUntil);
    b.consecutiveFailures.store(0, std::memory_order_relaxed);
    b.ejectionRefused.store(false, std::memory_order_relaxed);
    b.mark(HealthMark::Kind::Ejected, now);
    log(QStringLiteral("%1 EJECTED for %2 s: %3 consecutive failures (last: %4); ejection #%5")
            .arg(b.name)
            .arg(double(duration) / 1000.0)
            .arg(m_outlier.consecutiveFailures)
            .arg(reason)
            .arg(count));
}

void BackendPool::beginSlowStart(Backend& b, qint64 nowMs)
{
    const int ms = m_slowStartMs.load();
    if (ms <= 0)
        return;
    b.slowStartSinceMs.store(qMax<qint64>(1, nowMs), std::memory_order_relaxed);
    b.mark(HealthMark::Kind::SlowStart, nowMs);
    log(QStringLiteral("%1 slow start: its share ramps from 10% to 100% over %2 s").arg(b.name).arg(ms / 1000.0));
}

double BackendPool::slowStartFactor(const Backend& b, qint64 nowMs) const
{
    const qint64 since = b.slowStartSinceMs.load(std::memory_order_relaxed);
    const int ms = m_slowStartMs.load(std::memory_order_relaxed);
    if (since == 0 || ms <= 0)
        return 1.0;
    return qMin(1.0, 0.1 + 0.9 * double(nowMs - since) / double(ms));
}

void BackendPool::housekeeping(qint64 now)
{
    const std::vector<BackendPtr> all = backends();
    for (const BackendPtr& b : all) {
        const qint64 until = b->ejectedUntilMs.load(std::memory_order_relaxed);
        if (until != 0 && until <= now) {
            b->ejectedUntilMs.store(0, std::memory_order_relaxed);
            b->mark(HealthMark::Kind::Returned, now);
            log(QStringLiteral("%1 back in rotation: its ejection is over").arg(b->name));
            beginSlowStart(*b, now);
        }
        // Timed breaker changes happen now, not at the next pick.
        if (b->breakerNow() != CircuitBreaker::State::Closed) {
            QMutexLocker lock(&b->breakerMutex);
            advanceBreaker(*b, now);
        }
        const qint64 since = b->slowStartSinceMs.load(std::memory_order_relaxed);
        if (since != 0 && slowStartFactor(*b, now) >= 1.0) {
            b->slowStartSinceMs.store(0, std::memory_order_relaxed);
            log(QStringLiteral("%1 slow start done: full share").arg(b->name));
        }
    }
}

// ---- AttemptTicket ----------------------------------------------------------------------------------

AttemptTicket::AttemptTicket(BackendPool* pool, BackendPtr backend, CircuitBreaker::Trial trial)
    : m_pool(pool)
    , m_backend(std::move(backend))
    , m_trial(trial)
{
}

AttemptTicket::AttemptTicket(AttemptTicket&& other) noexcept
    : m_pool(other.m_pool)
    , m_backend(std::move(other.m_backend))
    , m_trial(other.m_trial)
    , m_done(other.m_done)
{
    other.m_backend.reset();
    other.m_done = false;
}

AttemptTicket& AttemptTicket::operator=(AttemptTicket&& other) noexcept
{
    if (this != &other) {
        abandon();
        m_pool = other.m_pool;
        m_backend = std::move(other.m_backend);
        m_trial = other.m_trial;
        m_done = other.m_done;
        other.m_backend.reset();
        other.m_done = false;
    }
    return *this;
}

AttemptTicket::~AttemptTicket()
{
    abandon();
}

void AttemptTicket::succeeded()
{
    finish(Outcome::Success);
}

void AttemptTicket::failed(const QString& reason)
{
    finish(Outcome::Failure, reason);
}

void AttemptTicket::abandon()
{
    finish(Outcome::Abandoned);
}

void AttemptTicket::finish(Outcome outcome, const QString& reason)
{
    if (!pending())
        return;
    m_done = true;
    m_pool->finishAttempt(*m_backend, m_trial, outcome == Outcome::Success, outcome == Outcome::Abandoned, reason);
}

} // namespace lab
