#include "RateLimiter.h"

#include "http/HttpMessage.h"
#include "util/Clock.h"

namespace lab {

namespace {
// Small caps (tests, tiny labs) use one shard, so the cap is exact rather than split by hash.
int shardCountFor(int maxKeys)
{
    return maxKeys >= 1024 ? 16 : 1;
}
} // namespace

RateLimitKey rateLimitKeyOf(const RateLimitConfig& config, const http::HttpHead& request,
                            const QByteArray& clientAddress)
{
    if (config.key.startsWith(QLatin1String("header:"))) {
        const QByteArray value = request.header(config.key.mid(7).toLatin1());
        if (!value.isEmpty())
            return {"h " + value, value};
    }
    return {"a " + clientAddress, clientAddress};
}

RateLimiter::RateLimiter(std::shared_ptr<const Clock> clock, int maxKeys)
    : m_clock(clock ? std::move(clock) : Clock::steady())
    , m_maxKeys(qMax(1, maxKeys))
    , m_keysPerShard(qMax(1, m_maxKeys / shardCountFor(m_maxKeys)))
{
    const int n = shardCountFor(m_maxKeys);
    for (int i = 0; i < n; ++i)
        m_shards.push_back(std::make_unique<Shard>());
}

void RateLimiter::configure(const RateLimitConfig& config)
{
    const qint64 microBurst = qint64(config.effectiveBurst()) * kMicro;
    const qint64 microPerMs = config.enabled() ? qMax<qint64>(1, qRound64(config.requestsPerSecond * 1000.0)) : 0;
    m_microBurst.store(microBurst, std::memory_order_relaxed);
    m_microPerMs.store(microPerMs, std::memory_order_relaxed);
    for (auto& shard : m_shards) {
        QMutexLocker lock(&shard->mutex);
        if (!config.enabled()) {
            shard->buckets.clear(); // off: nothing to remember; back on, every key starts full
            shard->overflowFresh = true;
            continue;
        }
        for (Bucket& b : shard->buckets)
            b.microTokens = qMin(b.microTokens, microBurst);
        shard->overflow.microTokens = qMin(shard->overflow.microTokens, microBurst);
    }
}

RateLimiter::Decision RateLimiter::take(Bucket& b, qint64 nowMs, qint64 microPerMs, qint64 microBurst)
{
    if (nowMs > b.atMs) {
        // Capped before multiplying: a bucket idle for days must not overflow.
        const qint64 elapsed = qMin(nowMs - b.atMs, microBurst / microPerMs + 1);
        b.microTokens = qMin(microBurst, b.microTokens + elapsed * microPerMs);
        b.atMs = nowMs;
    }
    if (b.microTokens >= kMicro) {
        b.microTokens -= kMicro;
        return {};
    }
    return {false, (kMicro - b.microTokens + microPerMs - 1) / microPerMs};
}

void RateLimiter::sweep(Shard& shard, qint64 nowMs, qint64 microPerMs, qint64 microBurst)
{
    shard.lastSweepMs = nowMs;
    for (auto it = shard.buckets.begin(); it != shard.buckets.end();) {
        const qint64 elapsed = qMin(nowMs - it->atMs, microBurst / microPerMs + 1);
        if (it->microTokens + elapsed * microPerMs >= microBurst)
            it = shard.buckets.erase(it);
        else
            ++it;
    }
}

RateLimiter::Decision RateLimiter::admit(const QByteArray& key)
{
    const qint64 microPerMs = m_microPerMs.load(std::memory_order_relaxed);
    if (microPerMs <= 0)
        return {};
    const qint64 microBurst = m_microBurst.load(std::memory_order_relaxed);
    const qint64 nowMs = m_clock->nowMs();
    Shard& shard = *m_shards[size_t(qHash(key) % m_shards.size())];
    QMutexLocker lock(&shard.mutex);
    auto it = shard.buckets.find(key);
    if (it == shard.buckets.end()) {
        if (shard.buckets.size() >= m_keysPerShard && nowMs - shard.lastSweepMs >= kSweepIntervalMs)
            sweep(shard, nowMs, microPerMs, microBurst);
        if (shard.buckets.size() >= m_keysPerShard) {
            if (shard.overflowFresh) {
                shard.overflow = {microBurst, nowMs};
                shard.overflowFresh = false;
            }
            m_overflowed.fetch_add(1, std::memory_order_relaxed);
            return take(shard.overflow, nowMs, microPerMs, microBurst);
        }
        it = shard.buckets.insert(key, {microBurst, nowMs}); // a new key starts with a full bucket
    }
    return take(*it, nowMs, microPerMs, microBurst);
}

int RateLimiter::keyCount() const
{
    int n = 0;
    for (const auto& shard : m_shards) {
        QMutexLocker lock(&shard->mutex);
        n += int(shard->buckets.size());
    }
    return n;
}

void RateLimiter::noteRefused(const QByteArray& shownKey)
{
    const QMutexLocker lock(&m_refusalMutex);
    ++m_refused;
    auto it = m_refusedByKey.find(shownKey);
    if (it != m_refusedByKey.end())
        ++*it;
    else if (m_refusedByKey.size() < kMaxSummaryKeys)
        m_refusedByKey.insert(shownKey, 1);
}

RateLimiter::RefusalSummary RateLimiter::takeRefusals()
{
    const QMutexLocker lock(&m_refusalMutex);
    RefusalSummary out;
    out.refused = m_refused;
    out.keys = int(m_refusedByKey.size());
    for (auto it = m_refusedByKey.cbegin(); it != m_refusedByKey.cend(); ++it) {
        if (it.value() > out.topRefused || (it.value() == out.topRefused && it.key() < out.topKey)) {
            out.topKey = it.key();
            out.topRefused = it.value();
        }
    }
    m_refused = 0;
    m_refusedByKey.clear();
    return out;
}

} // namespace lab
