#pragma once

#include "config/LabConfig.h"

#include <QByteArray>
#include <QHash>
#include <QMutex>
#include <atomic>
#include <memory>
#include <vector>

namespace lab {

class Clock;
namespace http {
struct HttpHead;
}

// Which bucket a request draws from: `bucket` is the limiter's key (tagged by kind, so a header value
// can never name a client address's bucket), `shown` what the 429 body and the trace call it.
struct RateLimitKey {
    QByteArray bucket;
    QByteArray shown;
};
// By config.key: the client address ("client"), or the named header's value ("header:NAME"), where a
// request without that header is keyed by its address.
RateLimitKey rateLimitKeyOf(const RateLimitConfig& config, const http::HttpHead& request,
                            const QByteArray& clientAddress);

// Per-key token buckets shared by every worker of one proxy (a client's connections may land on any
// worker, and the limit must hold for the client, not per connection). Each key holds up to `burst`
// tokens, refilled continuously at `requestsPerSecond`; a request takes one token or is refused with the
// time until the next one. Time comes from the injected Clock, so a test drives it by hand.
//
// Cost: one short lock on one of up to 16 shards (by the key's hash) per request; no allocation for a
// known key. Memory is bounded: at most `maxKeys` buckets. A bucket that has refilled to `burst` is the
// same as no bucket, so when a shard is full its full buckets are evicted (a sweep, at most every
// kSweepIntervalMs per shard). When the shard is still full, every new key beyond the cap shares that
// shard's one overflow bucket: the limit then holds for those keys together (stricter, never looser), and
// overflowed() counts the requests so judged. Thread-safe.
class RateLimiter final {
public:
    static constexpr int kDefaultMaxKeys = 100'000;
    static constexpr qint64 kSweepIntervalMs = 100;

    struct Decision {
        bool allowed = true;
        qint64 retryAfterMs = 0; // refused: until the key has a token again
        // Retry-After in whole seconds, rounded up (at least 1 when refused).
        qint64 retryAfterSeconds() const { return allowed ? 0 : qMax<qint64>(1, (retryAfterMs + 999) / 1000); }
    };

    explicit RateLimiter(std::shared_ptr<const Clock> clock, int maxKeys = kDefaultMaxKeys);
    Q_DISABLE_COPY_MOVE(RateLimiter)

    // New rate and burst for every key (buckets keep their tokens, cut to the new burst). Off when the
    // rate is 0: admit() then allows everything and touches no bucket.
    void configure(const RateLimitConfig& config);
    bool enabled() const { return m_microPerMs.load(std::memory_order_relaxed) > 0; }
    Decision admit(const QByteArray& key);

    int keyCount() const; // buckets held now
    quint64 overflowed() const { return m_overflowed.load(std::memory_order_relaxed); }
    int maxKeys() const { return m_maxKeys; }

    // What the limiter refused since the last takeRefusals(), for one summary line in the event log
    // instead of one line per 429. The top client is exact while at most kMaxSummaryKeys keys were
    // refused in the period; later keys count in `refused` only.
    static constexpr int kMaxSummaryKeys = 256;
    struct RefusalSummary {
        quint64 refused = 0;
        QByteArray topKey; // as the 429 body shows it
        quint64 topRefused = 0;
        int keys = 0; // distinct keys refused (up to kMaxSummaryKeys)
    };
    void noteRefused(const QByteArray& shownKey);
    RefusalSummary takeRefusals();

private:
    // Tokens are counted in millionths, so refill and waits are exact integers (a rate is kept to
    // 0.001 requests a second).
    static constexpr qint64 kMicro = 1'000'000;
    struct Bucket {
        qint64 microTokens = 0;
        qint64 atMs = 0; // when `tokens` was last brought up to date
    };
    struct Shard {
        mutable QMutex mutex;
        QHash<QByteArray, Bucket> buckets;
        Bucket overflow;
        bool overflowFresh = true;
        qint64 lastSweepMs = 0;
    };
    // Brings `b` up to `nowMs` and takes a token if it has one.
    static Decision take(Bucket& b, qint64 nowMs, qint64 microPerMs, qint64 microBurst);
    void sweep(Shard& shard, qint64 nowMs, qint64 microPerMs, qint64 microBurst);

    const std::shared_ptr<const Clock> m_clock;
    const int m_maxKeys;
    const int m_keysPerShard;
    std::vector<std::unique_ptr<Shard>> m_shards;
    std::atomic<qint64> m_microPerMs{0}; // refill: millionths of a token per ms (= requests/s x 1000)
    std::atomic<qint64> m_microBurst{kMicro};
    std::atomic<quint64> m_overflowed{0};
    QMutex m_refusalMutex; // only refused requests take it, never an admitted one
    QHash<QByteArray, quint64> m_refusedByKey;
    quint64 m_refused = 0;
};

} // namespace lab
