#pragma once

#include "Metrics.h"

#include <deque>

namespace lab {

// Turns a stream of cumulative snapshots into what a person reads: requests per second and latency
// percentiles over a recent window. Pure (no clock, no threads): the caller pushes snapshots in time order,
// ~10 a second, and the history keeps those of the last `keepMs`. Backend id -1 means the listener.
class MetricsHistory final {
public:
    explicit MetricsHistory(qint64 keepMs = 10'500);

    void push(MetricsSnapshot snapshot);
    void clear() { m_snapshots.clear(); }
    bool isEmpty() const { return m_snapshots.empty(); }
    const MetricsSnapshot& latest() const { return m_snapshots.back(); }

    // Requests per second over the last windowMs (or over what the history holds, if less); 0 with fewer
    // than two snapshots.
    double requestRate(int backendId, qint64 windowMs) const;
    // Latency of the requests completed within the last windowMs.
    LatencySummary recentLatency(int backendId, qint64 windowMs) const;
    // Requests and errors (5xx or no response) completed within the last windowMs.
    std::uint64_t recentRequests(int backendId, qint64 windowMs) const;
    std::uint64_t recentErrors(int backendId, qint64 windowMs) const;

    static const TrafficStats* find(const MetricsSnapshot& snapshot, int backendId);

private:
    // The oldest kept snapshot taken at least windowMs before the latest (or the oldest kept).
    const MetricsSnapshot& base(qint64 windowMs) const;
    std::uint64_t recentDelta(int backendId, qint64 windowMs, std::uint64_t (*value)(const TrafficStats&)) const;

    qint64 m_keepMs;
    std::deque<MetricsSnapshot> m_snapshots;
};

} // namespace lab
