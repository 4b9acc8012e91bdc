#include "BackendPool.h"

#include "balancing/Balancer.h"
#include "balancing/LeastLatency.h"
#include "metrics/EventLog.h"

#include <cmath>

#include <QVarLengthArray>
#include <chrono>
#include <algorithm>

namespace lab {

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
        return fail(QStringLiteral("cannot add %1: a lab holds at most %2 backends over its lifetime").arg(c.name).arg(kMaxBackends));
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

bool BackendPool::remove(const QString& name)
{
    QMutexLocker lock(&m_mutex);
    const auto it = std::find_if(m_backends.begin(), m_backends.end(), [&](const BackendPtr& b) { return b->name == name; });
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
        return true; // the common case: no lock on the data path
    QMutexLocker lock(&b.breakerMutex);
    bool changed = false;
    const CircuitBreaker::State state = b.breaker.state(now, &changed);
    if (changed) { // open long enough: half-open
        b.breakerState.store(int(state), std::memory_order_relaxed);
        b.mark(HealthMark::Kind::BreakerHalfOpen, now);
        log(QStringLiteral("%1 circuit half-open: letting %2 trial requests through").arg(b.name).arg(m_halfOpenRequests.load()));
    }
    return b.breaker.allows(now);
}

void BackendPool::setBalancerSeed(quint64 seed)
{
    QMutexLocker lock(&m_mutex);
    m_balancer->seed(seed);
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

BackendPtr BackendPool::pickByName(const QString& name, std::span<const int> tried)
{
    const qint64 now = steadyNowMs();
    QMutexLocker lock(&m_mutex);
    for (const BackendPtr& b : m_backends) {
        if (b->name != name)
            continue;
        if (!b->enabled.load(std::memory_order_relaxed) || !b->healthy.load(std::memory_order_relaxed) ||
            std::find(tried.begin(), tried.end(), b->id) != tried.end() || !breakerAllows(*b, now) || b->passivelyDown(now) ||
            b->ejected(now))
            return nullptr;
        if (b->breakerNow() != CircuitBreaker::State::Closed) {
            QMutexLocker breakerLock(&b->breakerMutex);
            b->breaker.onPicked(now);
        }
        return b;
    }
    return nullptr;
}

BackendPtr BackendPool::pick(const PickContext& givenContext, std::span<const int> tried)
{
    const qint64 now = steadyNowMs();
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
        log(panic ? QStringLiteral("PANIC: only %1 of %2 backends pass their health checks; routing to all of them until at least half do")
                        .arg(healthyCount).arg(enabledCount)
                  : QStringLiteral("panic over: %1 of %2 backends pass their health checks").arg(healthyCount).arg(enabledCount));
    }
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    for (const BackendPtr& b : m_backends) {
        const bool healthy = b->healthy.load(std::memory_order_relaxed);
        if (!b->enabled.load(std::memory_order_relaxed) || (!healthy && !panic) ||
            std::find(tried.begin(), tried.end(), b->id) != tried.end() || !breakerAllows(*b, now))
            continue;
        const bool heldBack = b->passivelyDown(now) || b->ejected(now) ||
                              (b->slowStartSinceMs.load(std::memory_order_relaxed) != 0 &&
                               coin(m_random) >= slowStartFactor(*b, now));
        (heldBack ? fallback : best).append(b.get());
    }
    auto& set = best.isEmpty() ? fallback : best;
    if (set.isEmpty())
        return nullptr;
    Backend* chosen = m_balancer->pick(std::span<Backend* const>(set.data(), size_t(set.size())), context);
    if (chosen->breakerNow() != CircuitBreaker::State::Closed) {
        QMutexLocker breakerLock(&chosen->breakerMutex);
        chosen->breaker.onPicked(now);
    }
    for (const BackendPtr& b : m_backends) {
        if (b.get() == chosen)
            return b;
    }
    return nullptr;
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
    b.passiveDownUntilMs.store(steadyNowMs() + kPassiveHoldMs, std::memory_order_relaxed);
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
        m_events->append(LabEvent::Kind::Health, text);
}

void BackendPool::setPassiveConfig(const OutlierConfig& outlier, const BreakerConfig& breaker, int slowStartMs)
{
    QMutexLocker lock(&m_mutex);
    m_outlier = outlier;
    m_breakerConfig = breaker;
    m_halfOpenRequests = breaker.halfOpenRequests;
    m_slowStartMs = slowStartMs;
    for (const BackendPtr& b : m_backends) {
        QMutexLocker breakerLock(&b->breakerMutex);
        b->breaker.setConfig(breaker);
        b->breakerState.store(int(b->breaker.state(steadyNowMs())), std::memory_order_relaxed);
    }
}

OutlierConfig BackendPool::outlierConfig() const
{
    QMutexLocker lock(&m_mutex);
    return m_outlier;
}

void BackendPool::setRandomSeed(quint32 seed)
{
    QMutexLocker lock(&m_mutex);
    m_random.seed(seed);
}

void BackendPool::reportResult(Backend& b, bool success, const QString& failureReason)
{
    const qint64 now = steadyNowMs();
    if (success) {
        if (b.consecutiveFailures.load(std::memory_order_relaxed) != 0)
            b.consecutiveFailures.store(0, std::memory_order_relaxed);
        // The common case takes no lock: a closed breaker counting a success.
        if (b.breakerNow() == CircuitBreaker::State::Closed && b.breaker.recordSuccessFast(now))
            return;
    } else {
        const int n = b.consecutiveFailures.fetch_add(1, std::memory_order_relaxed) + 1;
        QMutexLocker lock(&m_mutex);
        if (m_outlier.enabled && n >= m_outlier.consecutiveFailures && !b.ejected(now))
            eject(b, now, failureReason);
    }
    bool changed = false;
    CircuitBreaker::State state;
    CircuitBreaker::State before;
    int requests = 0;
    int failures = 0;
    {
        QMutexLocker lock(&b.breakerMutex);
        before = b.breaker.state(now);
        requests = b.breaker.windowRequests(now) + 1;
        failures = b.breaker.windowFailures(now) + (success ? 0 : 1);
        changed = b.breaker.record(success, now);
        state = b.breaker.state(now);
        if (changed)
            b.breakerState.store(int(state), std::memory_order_relaxed);
    }
    if (!changed)
        return;
    QMutexLocker lock(&m_mutex);
    if (state == CircuitBreaker::State::Open) {
        b.mark(HealthMark::Kind::BreakerOpen, now);
        log(before == CircuitBreaker::State::HalfOpen
                ? QStringLiteral("%1 circuit OPEN again for %2 s: a trial request failed (%3)")
                      .arg(b.name).arg(m_breakerConfig.openMs / 1000.0).arg(failureReason)
                : QStringLiteral("%1 circuit OPEN for %2 s: %3 of the last %4 requests failed (last: %5)")
                      .arg(b.name).arg(m_breakerConfig.openMs / 1000.0).arg(failures).arg(requests).arg(failureReason));
    } else if (state == CircuitBreaker::State::Closed) {
        b.mark(HealthMark::Kind::BreakerClosed, now);
        log(QStringLiteral("%1 circuit closed: %2 trial requests succeeded").arg(b.name).arg(m_breakerConfig.halfOpenRequests));
    }
}

void BackendPool::eject(Backend& b, qint64 now, const QString& reason)
{
    // Called with m_mutex held.
    int out = 0;
    for (const BackendPtr& x : m_backends)
        out += x->ejected(now) ? 1 : 0;
    const int size = int(m_backends.size());
    if ((out + 1) * 100 > m_outlier.maxEjectionPercent * size) {
        b.consecutiveFailures.store(0, std::memory_order_relaxed); // log at most once per run of failures
        log(QStringLiteral("%1 not ejected after %2 consecutive failures: %3 of %4 backends are out already and the limit is %5%")
                .arg(b.name).arg(m_outlier.consecutiveFailures).arg(out).arg(size).arg(m_outlier.maxEjectionPercent));
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
    b.mark(HealthMark::Kind::Ejected, now);
    log(QStringLiteral("%1 EJECTED for %2 s: %3 consecutive failures (last: %4); ejection #%5")
            .arg(b.name).arg(double(duration) / 1000.0).arg(m_outlier.consecutiveFailures).arg(reason).arg(count));
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
        breakerAllows(*b, now); // an open breaker whose time is up turns half-open now, not at the next pick
        const qint64 since = b->slowStartSinceMs.load(std::memory_order_relaxed);
        if (since != 0 && slowStartFactor(*b, now) >= 1.0) {
            b->slowStartSinceMs.store(0, std::memory_order_relaxed);
            log(QStringLiteral("%1 slow start done: full share").arg(b->name));
        }
    }
}

} // namespace lab
