#include "RateLimiter.h"

#include "http/HttpMessage.h"
#include "util/Clock.h"

#include <cmath>

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
    const double burst = double(config.effectiveBurst());
    m_burst.store(burst, std::memory_order_relaxed);
    m_ratePerMs.store(qMax(0.0, config.requestsPerSecond) / 1000.0, std::memory_order_relaxed);
    for (auto& shard : m_shards) {
        QMutexLocker lock(&shard->mutex);
        if (!config.enabled()) {
            shard->buckets.clear(); // off: nothing to remember; back on, every key starts full
            shard->overflowFresh = true;
            continue;
        }
        for (Bucket& b : shard->buckets)
            b.tokens = qMin(b.tokens, burst);
        shard->overflow.tokens = qMin(shard->overflow.tokens, burst);
    }
}

RateLimiter::Decision RateLimiter::take(Bucket& b, qint64 nowMs, double ratePerMs, double burst) const
{
    if (nowMs > b.atMs) {
        b.tokens = qMin(burst, b.tokens + double(nowMs - b.atMs) * ratePerMs);
        b.atMs = nowMs;
    }
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return {};
    }
    return {false, qint64(std::ceil((1.0 - b.tokens) / ratePerMs))};
}

void RateLimiter::sweep(Shard& shard, qint64 nowMs, double ratePerMs, double burst)
{
    shard.lastSweepMs = nowMs;
    for (auto it = shard.buckets.begin(); it != shard.buckets.end();) {
        const double tokens = it->tokens + double(nowMs - it->atMs) * ratePerMs;
        if (tokens >= burst)
            it = shard.buckets.erase(it);
        else
            ++it;
    }
}

RateLimiter::Decision RateLimiter::admit(const QByteArray& key)
{
    const double ratePerMs = m_ratePerMs.load(std::memory_order_relaxed);
    if (ratePerMs <= 0)
        return {};
    const double burst = m_burst.load(std::memory_order_relaxed);
    const qint64 nowMs = m_clock->nowMs();
    Shard& shard = *m_shards[size_t(qHash(key) % m_shards.size())];
    QMutexLocker lock(&shard.mutex);
    auto it = shard.buckets.find(key);
    if (it == shard.buckets.end()) {
        if (shard.buckets.size() >= m_keysPerShard && nowMs - shard.lastSweepMs >= kSweepIntervalMs)
            sweep(shard, nowMs, ratePerMs, burst);
        if (shard.buckets.size() >= m_keysPerShard) {
            if (shard.overflowFresh) {
                shard.overflow = {burst, nowMs};
                shard.overflowFresh = false;
            }
            m_overflowed.fetch_add(1, std::memory_order_relaxed);
            return take(shard.overflow, nowMs, ratePerMs, burst);
        }
        it = shard.buckets.insert(key, {burst, nowMs}); // a new key starts with a full bucket
    }
    return take(*it, nowMs, ratePerMs, burst);
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

} // namespace lab
