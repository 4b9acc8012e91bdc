#include "Metrics.h"

#include <algorithm>
#include <bit>

namespace lab {

int LatencyHistogram::bucketOf(std::uint64_t micros)
{
    if (micros < std::uint64_t(kSubBuckets))
        return int(micros); // one bucket per microsecond below 32 µs
    const int msb = 63 - std::countl_zero(micros);
    if (msb >= kMaxPower)
        return kBuckets - 1;
    const int sub = int((micros >> (msb - kSubBits)) & (kSubBuckets - 1));
    return kSubBuckets + (msb - kSubBits) * kSubBuckets + sub;
}

std::uint64_t LatencyHistogram::bucketLowerMicros(int bucket)
{
    if (bucket < kSubBuckets)
        return std::uint64_t(bucket);
    const int msb = kSubBits + (bucket - kSubBuckets) / kSubBuckets;
    const std::uint64_t sub = std::uint64_t((bucket - kSubBuckets) % kSubBuckets);
    return (std::uint64_t(kSubBuckets) + sub) << (msb - kSubBits);
}

std::uint64_t LatencyHistogram::bucketUpperMicros(int bucket)
{
    if (bucket < kSubBuckets)
        return std::uint64_t(bucket) + 1;
    const int msb = kSubBits + (bucket - kSubBuckets) / kSubBuckets;
    const std::uint64_t sub = std::uint64_t((bucket - kSubBuckets) % kSubBuckets);
    return (std::uint64_t(kSubBuckets) + sub + 1) << (msb - kSubBits);
}

void LatencyHistogram::record(std::uint64_t micros)
{
    auto& b = m_buckets[size_t(bucketOf(micros))];
    b.store(b.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (micros < m_min.load(std::memory_order_relaxed))
        m_min.store(micros, std::memory_order_relaxed);
    if (micros > m_max.load(std::memory_order_relaxed))
        m_max.store(micros, std::memory_order_relaxed);
    m_sum.store(m_sum.load(std::memory_order_relaxed) + micros, std::memory_order_relaxed);
}

void LatencyHistogram::reset()
{
    for (auto& b : m_buckets)
        b.store(0, std::memory_order_relaxed);
    m_min.store(UINT64_MAX, std::memory_order_relaxed);
    m_max.store(0, std::memory_order_relaxed);
    m_sum.store(0, std::memory_order_relaxed);
}

void LatencySummary::add(const LatencyHistogram& h)
{
    for (int i = 0; i < LatencyHistogram::kBuckets; ++i) {
        const std::uint64_t n = h.count(i);
        buckets[size_t(i)] += n;
        total += n;
    }
    minMicros = std::min(minMicros, h.minMicros());
    maxMicros = std::max(maxMicros, h.maxMicros());
    sumMicros += h.sumMicros();
}

void LatencySummary::add(const LatencySummary& s)
{
    for (size_t i = 0; i < buckets.size(); ++i)
        buckets[i] += s.buckets[i];
    total += s.total;
    minMicros = std::min(minMicros, s.minMicros);
    maxMicros = std::max(maxMicros, s.maxMicros);
    sumMicros += s.sumMicros;
}

void TrafficStats::add(const TrafficStats& s)
{
    requests += s.requests;
    for (size_t i = 0; i < responsesByClass.size(); ++i)
        responsesByClass[i] += s.responsesByClass[i];
    retries += s.retries;
    connectFailures += s.connectFailures;
    rateLimited += s.rateLimited;
    answeredByProxy += s.answeredByProxy;
    answeredByProxy5xx += s.answeredByProxy5xx;
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
    sumMicros = sumMicros >= earlier.sumMicros ? sumMicros - earlier.sumMicros : 0;
}

double LatencySummary::percentileMs(double p) const
{
    if (total == 0)
        return 0;
    // The p-th percentile is the value below which p% of the requests fall: find its bucket, then assume
    // the bucket's requests are spread evenly over its width.
    const double rank = double(total) * std::clamp(p, 0.0, 100.0) / 100.0;
    std::uint64_t seen = 0;
    double micros = double(LatencyHistogram::bucketUpperMicros(LatencyHistogram::kBuckets - 1));
    for (int i = 0; i < LatencyHistogram::kBuckets; ++i) {
        const std::uint64_t n = buckets[size_t(i)];
        if (n == 0 || double(seen + n) < rank) {
            seen += n;
            continue;
        }
        const double within = std::clamp((rank - double(seen)) / double(n), 0.0, 1.0);
        double lower = double(LatencyHistogram::bucketLowerMicros(i));
        double upper = double(LatencyHistogram::bucketUpperMicros(i));
        // No request took less than the fastest or more than the slowest one recorded: in the first and
        // last buckets the values spread over that narrower range (a fixed latency reads as itself).
        if (minMicros <= maxMicros) {
            lower = std::clamp(lower, double(minMicros), double(maxMicros));
            upper = std::clamp(upper, double(minMicros), double(maxMicros));
        }
        micros = lower + within * (upper - lower);
        break;
    }
    if (minMicros <= maxMicros)
        micros = std::clamp(micros, double(minMicros), double(maxMicros));
    return micros / 1000.0;
}

void TrafficCounters::countResponse(int status)
{
    const int cls = status >= 100 && status < 600 ? status / 100 : 0;
    add(responsesByClass[size_t(cls)]);
}

void TrafficCounters::countProxyAnswer(int status)
{
    countResponse(status);
    add(answeredByProxy);
    if (status >= 500)
        add(answeredByProxy5xx);
}

void TrafficStats::add(const TrafficCounters& c)
{
    requests += c.requests.load(std::memory_order_relaxed);
    for (size_t i = 0; i < responsesByClass.size(); ++i)
        responsesByClass[i] += c.responsesByClass[i].load(std::memory_order_relaxed);
    retries += c.retries.load(std::memory_order_relaxed);
    connectFailures += c.connectFailures.load(std::memory_order_relaxed);
    rateLimited += c.rateLimited.load(std::memory_order_relaxed);
    answeredByProxy += c.answeredByProxy.load(std::memory_order_relaxed);
    answeredByProxy5xx += c.answeredByProxy5xx.load(std::memory_order_relaxed);
    bytesIn += c.bytesIn.load(std::memory_order_relaxed);
    bytesOut += c.bytesOut.load(std::memory_order_relaxed);
    activeConnections += c.activeConnections.load(std::memory_order_relaxed);
    connections += c.connections.load(std::memory_order_relaxed);
    latency.add(c.latency);
}

} // namespace lab
