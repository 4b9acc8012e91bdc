#include "Metrics.h"

#include <bit>

namespace lab {

int LatencyHistogram::bucketOf(std::uint64_t micros)
{
    if (micros < 4)
        return int(micros); // buckets 0..3 hold 0..3 µs exactly
    const int msb = 63 - std::countl_zero(micros);
    const int sub = int((micros >> (msb - 2)) & 3);
    const int b = (msb - 1) * 4 + sub;
    return b < kBuckets ? b : kBuckets - 1;
}

std::uint64_t LatencyHistogram::bucketUpperMicros(int bucket)
{
    if (bucket < 4)
        return std::uint64_t(bucket) + 1;
    const int msb = bucket / 4 + 1;
    const std::uint64_t sub = std::uint64_t(bucket % 4);
    return ((4 + sub + 1) << (msb - 2));
}

void LatencyHistogram::record(std::uint64_t micros)
{
    auto& b = m_buckets[size_t(bucketOf(micros))];
    b.store(b.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

void LatencySummary::add(const LatencyHistogram& h)
{
    for (int i = 0; i < LatencyHistogram::kBuckets; ++i) {
        const std::uint64_t n = h.count(i);
        buckets[size_t(i)] += n;
        total += n;
    }
}

void LatencySummary::add(const LatencySummary& s)
{
    for (size_t i = 0; i < buckets.size(); ++i)
        buckets[i] += s.buckets[i];
    total += s.total;
}

void TrafficStats::add(const TrafficStats& s)
{
    requests += s.requests;
    for (size_t i = 0; i < responsesByClass.size(); ++i)
        responsesByClass[i] += s.responsesByClass[i];
    retries += s.retries;
    connectFailures += s.connectFailures;
    bytesIn += s.bytesIn;
    bytesOut += s.bytesOut;
    activeConnections += s.activeConnections;
    connections += s.connections;
    refusedConnections += s.refusedConnections;
    latency.add(s.latency);
}

void LatencySummary::subtract(const LatencySummary& earlier)
{
    total = 0;
    for (size_t i = 0; i < buckets.size(); ++i) {
        buckets[i] = buckets[i] >= earlier.buckets[i] ? buckets[i] - earlier.buckets[i] : 0;
        total += buckets[i];
    }
}

double LatencySummary::percentileMs(double p) const
{
    if (total == 0)
        return 0;
    const std::uint64_t rank = std::uint64_t(double(total) * p / 100.0 + 0.5);
    std::uint64_t seen = 0;
    for (int i = 0; i < LatencyHistogram::kBuckets; ++i) {
        seen += buckets[size_t(i)];
        if (seen >= rank && seen > 0)
            return double(LatencyHistogram::bucketUpperMicros(i)) / 1000.0;
    }
    return double(LatencyHistogram::bucketUpperMicros(LatencyHistogram::kBuckets - 1)) / 1000.0;
}

void TrafficCounters::countResponse(int status)
{
    const int cls = status >= 100 && status < 600 ? status / 100 : 0;
    add(responsesByClass[size_t(cls)]);
}

void TrafficStats::add(const TrafficCounters& c)
{
    requests += c.requests.load(std::memory_order_relaxed);
    for (size_t i = 0; i < responsesByClass.size(); ++i)
        responsesByClass[i] += c.responsesByClass[i].load(std::memory_order_relaxed);
    retries += c.retries.load(std::memory_order_relaxed);
    connectFailures += c.connectFailures.load(std::memory_order_relaxed);
    bytesIn += c.bytesIn.load(std::memory_order_relaxed);
    bytesOut += c.bytesOut.load(std::memory_order_relaxed);
    activeConnections += c.activeConnections.load(std::memory_order_relaxed);
    connections += c.connections.load(std::memory_order_relaxed);
    latency.add(c.latency);
}

} // namespace lab
