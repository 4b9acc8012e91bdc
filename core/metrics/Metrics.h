#pragma once

#include "backend/BackendIds.h"

#include <QList>
#include <QString>
#include <array>
#include <atomic>
#include <cstdint>

namespace lab {

// Latency histogram with logarithmic buckets: 4 buckets per power of two of microseconds, so any
// percentile read from it is within ~19% of the true value, from 1 µs to ~19 hours. Written by one thread
// (relaxed atomics), summed by readers.
class LatencyHistogram final {
public:
    static constexpr int kBuckets = 37 * 4;
    void record(std::uint64_t micros);
    void reset()
    {
        for (auto& b : m_buckets)
            b.store(0, std::memory_order_relaxed);
    }
    std::uint64_t count(int bucket) const { return m_buckets[size_t(bucket)].load(std::memory_order_relaxed); }
    static int bucketOf(std::uint64_t micros);
    static std::uint64_t bucketUpperMicros(int bucket);

private:
    std::array<std::atomic<std::uint64_t>, kBuckets> m_buckets{};
};

// A plain copy of a histogram, for arithmetic and percentiles.
struct LatencySummary {
    std::array<std::uint64_t, LatencyHistogram::kBuckets> buckets{};
    std::uint64_t total = 0;
    void add(const LatencyHistogram& h);
    void add(const LatencySummary& s);
    // Removes an earlier summary of the same histogram (what happened in between remains).
    void subtract(const LatencySummary& earlier);
    // p in 0..100; 0 when empty. The upper edge of the bucket holding the p-th percentile, in ms.
    double percentileMs(double p) const;
};

// Counters for one backend or one listener within one worker. Only the owning worker writes.
struct TrafficCounters {
    std::atomic<std::uint64_t> requests{0};
    std::array<std::atomic<std::uint64_t>, 6> responsesByClass{}; // [0] = failed without a response, [1..5] = 1xx..5xx
    std::atomic<std::uint64_t> retries{0}; // attempts after the first
    std::atomic<std::uint64_t> connectFailures{0};
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
    std::uint64_t bytesIn = 0;
    std::uint64_t bytesOut = 0;
    std::int64_t activeConnections = 0;
    std::uint64_t connections = 0;
    std::uint64_t refusedConnections = 0; // closed at accept by a connection cap (listener only)
    LatencySummary latency;

    void add(const TrafficCounters& c);
    void add(const TrafficStats& s);
    std::uint64_t errors() const { return responsesByClass[0] + responsesByClass[5]; }
};

struct BackendStats {
    int id = 0;
    QString name;
    TrafficStats traffic;
};

struct MetricsSnapshot {
    qint64 takenAtMs = 0;
    TrafficStats listener;
    QList<BackendStats> backends;
};

} // namespace lab
