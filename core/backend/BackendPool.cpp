#include "BackendPool.h"

#include "balancing/Balancer.h"
#include "balancing/LeastLatency.h"
#include "balancing/Registry.h"
#include "health/BackendBreaker.h"
#include "health/SlowStart.h"
#include "metrics/EventLog.h"
#include "metrics/Metrics.h"

#include <QVarLengthArray>
#include <algorithm>
#include <memory>
#include <mutex>
#include <utility>

namespace lab {

// Ids index the workers' metrics arrays: both limits are kMaxBackendIds, and must stay one.
static_assert(BackendPool::kMaxBackends == MetricsShard::kMaxBackends);

BackendPool::BackendPool(const QList<BackendConfig>& backends, const QString& algorithm)
    : m_balancer(makeBalancer(algorithm))
{
    Q_ASSERT(m_balancer);
    {
        QMutexLocker lock(&m_mutex);
        for (const BackendConfig& c : backends)
            addLocked(c, nullptr);
    }
    rebuildTable(true);
}

BackendPool::~BackendPool() = default;

BackendPtr BackendPool::add(const BackendConfig& c, QString* error)
{
    BackendPtr b;
    {
        QMutexLocker lock(&m_mutex);
        b = addLocked(c, error);
    }
    if (b)
        rebuildTable(true);
    return b;
}

BackendPtr BackendPool::addLocked(const BackendConfig& c, QString* error)
{
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
    BackendPtr removed; // released after the rebuild, outside the lock
    {
        QMutexLocker lock(&m_mutex);
        const auto it =
            std::find_if(m_backends.begin(), m_backends.end(), [&](const BackendPtr& b) { return b->name == name; });
        if (it == m_backends.end())
            return false;
        removed = *it;
        m_backends.erase(it);
    }
    rebuildTable(true);
    return true;
}

bool BackendPool::setAlgorithm(const QString& algorithm, const HashKeySpec& hashKey)
{
    std::shared_ptr<Balancer> next = makeBalancer(algorithm, hashKey);
    if (!next)
        return false;
    // Built before it takes over, so no pick meets it without a table. A change meanwhile waits on
    // m_rebuildMutex and then rebuilds for the new balancer.
    QMutexLocker rebuilding(&m_rebuildMutex);
    std::vector<BackendPtr> members;
    {
        QMutexLocker lock(&m_mutex);
        members = m_backends;
    }
    std::vector<Backend*> raw;
    raw.reserve(members.size());
    for (const BackendPtr& b : members)
        raw.push_back(b.get());
    next->rebuild(raw);
    std::shared_ptr<Balancer> old;
    {
        QMutexLocker lock(&m_mutex);
        old = std::exchange(m_balancer, std::move(next));
    }
    return true; // `old` and its tables are freed here, outside m_mutex
}

void BackendPool::setWeight(Backend& b, int weight)
{
    // The rebuild lock is taken before the weight changes: a pick that sees the new weight before the
    // new table then finds a rebuild running and leaves it to this one (it would build a second table).
    QMutexLocker rebuilding(&m_rebuildMutex);
    if (b.weight.exchange(weight, std::memory_order_relaxed) != weight)
        buildTableLocked();
}

quint64 BackendPool::tableBuilds() const
{
    QMutexLocker lock(&m_mutex);
    return m_balancer->tableBuilds();
}

void BackendPool::rebuildTable(bool wait)
{
    std::unique_lock<QMutex> rebuilding(m_rebuildMutex, std::defer_lock);
    if (wait)
        rebuilding.lock();
    else if (!rebuilding.try_lock())
        return;
    buildTableLocked(!wait);
}

void BackendPool::buildTableLocked(bool onlyIfStale)
{
    std::shared_ptr<Balancer> balancer;
    std::vector<BackendPtr> members;
    {
        QMutexLocker lock(&m_mutex);
        balancer = m_balancer;
        members = m_backends;
    }
    std::vector<Backend*> raw;
    raw.reserve(members.size());
    for (const BackendPtr& b : members)
        raw.push_back(b.get());
    // A pick that saw the table stale may have raced a change whose own rebuild has caught up since:
    // build only when the table is still stale (a change always builds).
    if (onlyIfStale && !balancer->tableStale(raw))
        return;
    balancer->rebuild(raw);
}

void BackendPool::reportLatency(Backend& b, double ms, qint64 nowMs)
{
    LeastLatency::observe(b, ms, nowMs);
}

bool BackendPool::updatePanic()
{
    int enabledCount = 0;
    int healthyCount = 0;
    for (const BackendPtr& b : m_backends) {
        if (b->enabled.load(std::memory_order_relaxed)) {
            ++enabledCount;
            healthyCount += b->healthy.load(std::memory_order_relaxed) ? 1 : 0;
        }
    }
    const bool panic = panicRouting(enabledCount, healthyCount);
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
    return panic;
}

bool BackendPool::panicNow() const
{
    QMutexLocker lock(&m_mutex);
    int enabledCount = 0;
    int healthyCount = 0;
    for (const BackendPtr& b : m_backends) {
        if (b->enabled.load(std::memory_order_relaxed)) {
            ++enabledCount;
            healthyCount += b->healthy.load(std::memory_order_relaxed) ? 1 : 0;
        }
    }
    return panicRouting(enabledCount, healthyCount);
}

Eligibility BackendPool::eligibility(const Backend& b) const
{
    return classify(b, now(), panicNow());
}

PickTier BackendPool::tierFor(Backend& b, qint64 now, bool panic, std::span<const int> tried)
{
    if (std::find(tried.begin(), tried.end(), b.id) != tried.end())
        return PickTier::Excluded;
    Eligibility e = classify(b, now, panic);
    if (e == Eligibility::Draining || e == Eligibility::Unhealthy)
        return PickTier::Excluded;
    // A breaker's timed changes (open → half-open) happen before it counts; a half-open one with all its
    // trial slots taken lets nothing through.
    if (b.breakerNow() != CircuitBreaker::State::Closed) {
        if (!BackendBreaker::allows(b, now, m_events.get()))
            return PickTier::Excluded;
        e = classify(b, now, panic);
    }
    if (e == Eligibility::SlowStart) {
        std::uniform_real_distribution<double> coin(0.0, 1.0);
        return coin(m_random) < SlowStart::factor(b, now, m_slowStartMs.load(std::memory_order_relaxed))
            ? PickTier::Preferred
            : PickTier::Fallback;
    }
    return pickTier(e);
}

AttemptTicket BackendPool::pickByName(const QString& name, std::span<const int> tried)
{
    const qint64 now = this->now();
    QMutexLocker lock(&m_mutex);
    const bool panic = updatePanic();
    for (const BackendPtr& b : m_backends) {
        if (b->name != name)
            continue;
        if (tierFor(*b, now, panic, tried) != PickTier::Preferred)
            return {};
        return AttemptTicket(this, b, BackendBreaker::takeTrial(*b, now));
    }
    return {};
}

AttemptTicket BackendPool::pick(const PickContext& givenContext, std::span<const int> tried)
{
    const qint64 now = this->now();
    PickContext context = givenContext;
    context.nowMs = now;
    context.explanation = nullptr;
    // Filled under the lock, formatted after it; only when asked (sampled requests). One note per
    // thread, reset and reused: a sampled pick allocates nothing for it.
    thread_local PickNote reusedNote;
    PickNote* note = nullptr;
    if (givenContext.explanation) {
        note = &reusedNote;
        note->reset();
        context.note = note;
    }
    context.rotation = {};
    context.avoided = {};
    QVarLengthArray<Backend*, 32> best;
    QVarLengthArray<Backend*, 32> fallback;
    QVarLengthArray<PickTier, 32> tiers; // by position in m_backends
    QVarLengthArray<Backend*, 32> rotation;
    QVarLengthArray<Backend*, 8> avoided;
    BackendPtr picked;
    CircuitBreaker::Trial trial;
    bool rebuildWanted = false;
    {
        QMutexLocker lock(&m_mutex);
        const bool panic = updatePanic();
        for (const BackendPtr& b : m_backends) {
            const PickTier tier = tierFor(*b, now, panic, tried);
            tiers.append(tier);
            switch (tier) {
            case PickTier::Preferred: best.append(b.get()); break;
            case PickTier::Fallback: fallback.append(b.get()); break;
            case PickTier::Excluded: break;
            }
        }
        auto& set = best.isEmpty() ? fallback : best;
        if (set.isEmpty())
            return {};
        // A retry's tried backends are out of the set. HAProxy's rule gives the round robins the rotation
        // they would walk without that (the set, and each tried backend whose eligibility, without slow
        // start's coin, puts it in the set's tier, in pool order); for nginx's rule only an explanation
        // asks how many were left out.
        if (!tried.empty() && (context.avoidedKeepTheirTurn || note)) {
            const PickTier setTier = best.isEmpty() ? PickTier::Fallback : PickTier::Preferred;
            for (qsizetype i = 0; i < tiers.size(); ++i) {
                Backend* b = m_backends[size_t(i)].get();
                const bool leftOutAsTried = tiers[i] == PickTier::Excluded &&
                    std::find(tried.begin(), tried.end(), b->id) != tried.end() &&
                    pickTier(classify(*b, now, panic)) == setTier;
                if (!context.avoidedKeepTheirTurn) {
                    context.triedLeftOut += leftOutAsTried ? 1 : 0;
                } else if (tiers[i] == setTier || leftOutAsTried) {
                    rotation.append(b);
                    if (leftOutAsTried)
                        avoided.append(b);
                }
            }
            if (!avoided.isEmpty()) {
                context.rotation = std::span<Backend* const>(rotation.data(), size_t(rotation.size()));
                context.avoided = std::span<Backend* const>(avoided.data(), size_t(avoided.size()));
            }
        }
        Backend* chosen = m_balancer->pick(std::span<Backend* const>(set.data(), size_t(set.size())), context);
        rebuildWanted = m_balancer->takeRebuildRequest();
        for (const BackendPtr& b : m_backends) {
            if (b.get() == chosen) {
                picked = b;
                trial = BackendBreaker::takeTrial(*b, now);
                break;
            }
        }
    }
    if (rebuildWanted)
        rebuildTable(false);
    if (!picked)
        return {};
    if (givenContext.explanation)
        note->writeText(*givenContext.explanation);
    return AttemptTicket(this, std::move(picked), trial);
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
    m_outlier.setConfig(outlier);
    m_breakerConfig = breaker;
    m_slowStartMs = slowStartMs;
    const qint64 now = this->now();
    for (const BackendPtr& b : m_backends)
        BackendBreaker::setConfig(*b, breaker, now, m_events.get());
}

void BackendPool::setRandomSeed(quint32 seed)
{
    QMutexLocker lock(&m_mutex);
    m_random.seed(seed);
}

void BackendPool::setClock(std::shared_ptr<const Clock> clock)
{
    Q_ASSERT(clock);
    QMutexLocker lock(&m_mutex);
    m_clock = std::move(clock);
}

std::shared_ptr<const Clock> BackendPool::clock() const
{
    return m_clock;
}

void BackendPool::finishAttempt(Backend& b, CircuitBreaker::Trial trial, bool success, bool abandoned,
                                const QString& failureReason)
{
    if (abandoned) {
        BackendBreaker::abandon(b, trial);
        return;
    }
    const qint64 now = this->now();
    if (success) {
        OutlierDetector::onSuccess(b);
        // Read first: a success after a success writes nothing to a line both workers share.
        if (b.consecutive5xx.load(std::memory_order_relaxed) != 0)
            b.consecutive5xx.store(0, std::memory_order_relaxed);
    } else {
        onFailure(b, now, failureReason);
    }
    BackendBreaker::record(b, success, now, trial, failureReason, m_events.get());
}

void BackendPool::onFailure(Backend& b, qint64 now, const QString& reason)
{
    // Under m_mutex: the share of ejected backends is counted and changed by one failure at a time.
    QMutexLocker lock(&m_mutex);
    // A status failure's reason is "503" or "503 queue full" (the backend's X-Lab-Error): a run of them
    // is named as 5xx, so a learner sees that an overloaded backend, not a dead one, was taken out.
    const bool answered5xx = reason.size() >= 3 && reason[0] == u'5' && reason[1].isDigit() && reason[2].isDigit();
    const int run5xx = answered5xx ? b.consecutive5xx.fetch_add(1, std::memory_order_relaxed) + 1 : 0;
    if (!answered5xx)
        b.consecutive5xx.store(0, std::memory_order_relaxed);
    int out = 0;
    for (const BackendPtr& x : m_backends)
        out += x->ejected(now) ? 1 : 0;
    const OutlierDetector::Verdict v = m_outlier.onFailure(b, now, out, int(m_backends.size()));
    const OutlierConfig& c = m_outlier.config();
    const QString detail = answered5xx ? reason.mid(4) : QString(); // "queue full"
    const bool named5xx = !detail.isEmpty() && run5xx >= c.consecutiveFailures;
    const QString run = named5xx
        ? QStringLiteral("%1 consecutive 5xx (%2)").arg(c.consecutiveFailures).arg(detail)
        : QStringLiteral("%1 consecutive failures (last: %2)").arg(c.consecutiveFailures).arg(reason);
    b.setPassiveCauses(
        v.kind == OutlierDetector::Verdict::Kind::Ejected ? QStringLiteral("ejected: ") + run : QString(), reason);
    switch (v.kind) {
    case OutlierDetector::Verdict::Kind::None: break;
    case OutlierDetector::Verdict::Kind::ShareLimit: // news, not a change of state: it may be cut in a flood
        if (m_events)
            m_events->append(LabEvent::Kind::Health,
                             QStringLiteral("%1 not ejected after %2 consecutive failures: %3 of %4 backends are out "
                                            "already and the limit is %5%")
                                 .arg(b.name)
                                 .arg(c.consecutiveFailures)
                                 .arg(v.ejectedNow)
                                 .arg(v.poolSize)
                                 .arg(c.maxEjectionPercent));
        break;
    case OutlierDetector::Verdict::Kind::Ejected:
        log(QStringLiteral("%1 EJECTED for %2 s: %3; ejection #%4")
                .arg(b.name)
                .arg(double(v.durationMs) / 1000.0)
                .arg(run)
                .arg(v.count));
        break;
    }
}

void BackendPool::beginSlowStart(Backend& b, qint64 nowMs)
{
    const int ms = m_slowStartMs.load();
    if (SlowStart::begin(b, nowMs, ms))
        log(QStringLiteral("%1 slow start: its share ramps from 10% to 100% over %2 s").arg(b.name).arg(ms / 1000.0));
}

void BackendPool::probesPassed(Backend& b, qint64 nowMs)
{
    if (OutlierDetector::lift(b, nowMs))
        log(QStringLiteral("%1 ejection lifted: the active probes pass").arg(b.name));
    beginSlowStart(b, nowMs);
}

double BackendPool::slowStartFactor(const Backend& b, qint64 nowMs) const
{
    return SlowStart::factor(b, nowMs, m_slowStartMs.load(std::memory_order_relaxed));
}

// What an ejection's end means for the backend now: back in rotation, or still out for another reason
// (a stopped backend's probes fail: "back in rotation" would be false).
QString BackendPool::ejectionOverText(const Backend& b, qint64 now)
{
    const char* why = nullptr;
    switch (classify(b, now, false)) {
    case Eligibility::Unhealthy: why = "its probes fail"; break;
    case Eligibility::BreakerOpen: why = "its circuit is open"; break;
    case Eligibility::Draining: why = "it is draining"; break;
    case Eligibility::PassiveHold: why = "its last connect failed, for now"; break;
    default: return QStringLiteral("%1 back in rotation: its ejection is over").arg(b.name);
    }
    return QStringLiteral("%1: its ejection is over, but it stays out of rotation: %2").arg(b.name, QLatin1String(why));
}

void BackendPool::housekeeping(qint64 now)
{
    // A copy, so that log() and slow start may take the lock; kept between calls (one thread calls this,
    // every 100 ms), so that the copy reuses its storage instead of allocating each time.
    {
        QMutexLocker lock(&m_mutex);
        m_housekeepingCopy = m_backends;
    }
    for (const BackendPtr& b : m_housekeepingCopy) {
        if (OutlierDetector::endIfOver(*b, now)) {
            log(ejectionOverText(*b, now));
            beginSlowStart(*b, now);
        }
        BackendBreaker::advance(*b, now, m_events.get()); // timed changes happen now, not at the next pick
        if (SlowStart::endIfDone(*b, now, m_slowStartMs.load(std::memory_order_relaxed)))
            log(QStringLiteral("%1 slow start done: full share").arg(b->name));
    }
    for (BackendPtr& b : m_housekeepingCopy)
        b.reset(); // no backend kept alive by the copy; its storage stays
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
