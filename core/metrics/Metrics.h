#pragma once

#include "backend/BackendIds.h"

#include <QList>
#include <QString>
#include <array>
#include <atomic>
#include <cstdint>

namespace lab {

// Latency histogram with logarithmic buckets: values below 32 µs exactly, then 32 buckets per power of two
// of microseconds up to 2^32 µs (~71 minutes; longer ones land in the last bucket). A bucket spans at most
// 1/32 (3.1%) of its lower edge; a percentile is interpolated linearly within its bucket, whose range is
// first narrowed to the smallest and largest value recorded, so it reads within half a bucket (~1.6%) of
// the true value for smooth distributions, within 3.1% at worst, and between the fastest and the slowest
// request for a fixed latency (p50 = 200.3 ms for a 200 ms backend, where the old upper edge said 229). Cost: 896
// buckets of 8 bytes (7 KB) per histogram; a proxy worker holds kMaxBackendIds + 1 of them (~1.8 MB per worker), a
// snapshot one per backend plus one.
// Written by one thread (relaxed atomics), summed by readers.
class LatencyHistogram final {
public:
    static constexpr int kSubBuckets = 32; // per power of two
    static constexpr int kSubBits = 5; // log2(kSubBuckets)
    static constexpr int kMaxPower = 32; // values from 2^kMaxPower µs up share the last bucket
    static constexpr int kBuckets = kSubBuckets + (kMaxPower - kSubBits) * kSubBuckets;
    void record(std::uint64_t micros);
    void reset();
    std::uint64_t count(int bucket) const { return m_buckets[size_t(bucket)].load(std::memory_order_relaxed); }
    std::uint64_t minMicros() const { return m_min.load(std::memory_order_relaxed); }
    std::uint64_t maxMicros() const { return m_max.load(std::memory_order_relaxed); }
    // The sum of every value recorded, in µs (the _sum of a Prometheus histogram).
    std::uint64_t sumMicros() const { return m_sum.load(std::memory_order_relaxed); }
    static int bucketOf(std::uint64_t micros);
    // The bucket holds values from its lower edge up to, not including, its upper edge.
    static std::uint64_t bucketLowerMicros(int bucket);
    static std::uint64_t bucketUpperMicros(int bucket);

private:
    std::array<std::atomic<std::uint64_t>, kBuckets> m_buckets{};
    std::atomic<std::uint64_t> m_min{UINT64_MAX};
    std::atomic<std::uint64_t> m_max{0};
    std::atomic<std::uint64_t> m_sum{0};
};

// A plain copy of a histogram, for arithmetic and percentiles.
struct LatencySummary {
    std::array<std::uint64_t, LatencyHistogram::kBuckets> buckets{};
    std::uint64_t total = 0;
    // The smallest and largest value recorded (over the histogram's life, so they also bound any window
    // cut from it); unknown while minMicros > maxMicros.
    std::uint64_t minMicros = UINT64_MAX;
    std::uint64_t maxMicros = 0;
    std::uint64_t sumMicros = 0; // of every value counted
    void add(const LatencyHistogram& h);
    void add(const LatencySummary& s);
    // Removes an earlier summary of the same histogram (what happened in between remains).
    void subtract(const LatencySummary& earlier);
    // p in 0..100; 0 when empty. Interpolated within the bucket holding the p-th percentile, in ms.
    double percentileMs(double p) const;
};

// Counters for one backend or one listener within one worker. Only the owning worker writes.
struct TrafficCounters {
    std::atomic<std::uint64_t> requests{0};
    std::array<std::atomic<std::uint64_t>, 6> responsesByClass{}; // [0] = failed without a response, [1..5] = 1xx..5xx
    std::atomic<std::uint64_t> retries{0}; // attempts after the first
    std::atomic<std::uint64_t> connectFailures{0};
    std::atomic<std::uint64_t> rateLimited{0}; // listener: answered 429 by the rate limiter, no backend asked
    // Listener: responses the proxy wrote itself (429, 503 no backend or step-hold timeout, 400, 408, 431,
    // 502/504 after failed attempts); also counted in responsesByClass. Their 5xx apart, so "5xx from
    // backends" = responsesByClass[5] - answeredByProxy5xx.
    std::atomic<std::uint64_t> answeredByProxy{0};
    std::atomic<std::uint64_t> answeredByProxy5xx{0};
    std::atomic<std::uint64_t> bytesIn{0}; // from clients / from this backend
    std::atomic<std::uint64_t> bytesOut{0}; // to clients / to this backend
    std::atomic<std::int64_t> activeConnections{0};
    std::atomic<std::uint64_t> connections{0};
    LatencyHistogram latency;

    void add(std::atomic<std::uint64_t>& c, std::uint64_t n = 1)
    {
        c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    void countResponse(int status);
    // A response the proxy wrote itself (listener only): counted by class and as the proxy's own.
    void countProxyAnswer(int status);
};

// One worker's metrics: a TrafficCounters per backend id, and one for the listener.
struct MetricsShard {
    static constexpr int kMaxBackends = kMaxBackendIds; // ids index this array
    std::array<TrafficCounters, kMaxBackends> backends;
    TrafficCounters listener;
};

// Sum of all shards at one moment, plain values.
struct TrafficStats {
    std::uint64_t requests = 0;
    std::array<std::uint64_t, 6> responsesByClass{};
    std::uint64_t retries = 0;
    std::uint64_t connectFailures = 0;
    std::uint64_t rateLimited = 0; // listener: refused by the rate limiter (also counted in 4xx)
    std::uint64_t answeredByProxy = 0; // listener: written by the proxy itself (also counted by class)
    std::uint64_t answeredByProxy5xx = 0;
    std::uint64_t bytesIn = 0;
    std::uint64_t bytesOut = 0;
    std::int64_t activeConnections = 0;
    std::uint64_t connections = 0;
    std::uint64_t refusedConnections = 0; // closed at accept by a connection cap (listener only)
    LatencySummary latency;

    void add(const TrafficCounters& c);
    void add(const TrafficStats& s);
    std::uint64_t errors() const { return responsesByClass[0] + responsesByClass[5]; }
    // Listener: 5xx a backend sent, passed on to the client (not the proxy's own 502/503/504).
    std::uint64_t backend5xx() const
    {
        return responsesByClass[5] >= answeredByProxy5xx ? responsesByClass[5] - answeredByProxy5xx : 0;
    }
    // Listener: 4xx a backend sent, passed on (a 404, say); the proxy writes only 4xx and 5xx, so its own
    // 4xx (400, 408, 429, 431...) are answeredByProxy - answeredByProxy5xx.
    std::uint64_t backend4xx() const
    {
        const std::uint64_t proxy4xx = answeredByProxy >= answeredByProxy5xx ? answeredByProxy - answeredByProxy5xx : 0;
        return responsesByClass[4] >= proxy4xx ? responsesByClass[4] - proxy4xx : 0;
    }
};

struct BackendStats {
    int id = 0;
    QString name;
    TrafficStats traffic;
    // An embedded backend's capacity model at the snapshot: requests waiting for a worker and requests
    // holding one (FakeBackendCounters); -1 for a backend the lab does not run.
    int queued = -1;
    int inService = -1;
    // Requests the proxy has in flight there (the pool's Backend::activeRequests) at the snapshot; a gauge.
    int inFlight = 0;
};

struct MetricsSnapshot {
    qint64 takenAtMs = 0;
    TrafficStats listener;
    QList<BackendStats> backends;
};

} // namespace lab
