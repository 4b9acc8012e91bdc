#pragma once

#include "Metrics.h"

#include <deque>
#include <optional>

namespace lab {

// Turns a stream of cumulative snapshots into what a person reads: requests per second and latency
// percentiles over a recent window. Pure (no clock, no threads): the caller pushes snapshots in time order,
// ~10 a second, and the history keeps those of the last `keepMs`. Backend id -1 means the listener.
// A baseline (the window's Reset) makes every figure count from that moment: totals are deltas against
// it and no window reaches back past it, so a Reset with no traffic since reads 0 everywhere, not the
// last seconds before it. The proxy's own counters are never rewound; only what is read from them.
class MetricsHistory final {
public:
    explicit MetricsHistory(qint64 keepMs = 10'500);

    void push(MetricsSnapshot snapshot);
    // Forgets the snapshots and the baseline (a new lab: its counters start at 0).
    void clear();
    bool isEmpty() const { return m_snapshots.empty(); }
    // Counts from the latest snapshot on; nothing to do while the history is empty.
    void setBaseline();
    bool hasBaseline() const { return m_baseline.has_value(); }
    const MetricsSnapshot& latest() const { return m_snapshots.back(); }
    // What the history holds, oldest first, and the baseline (nullptr without one): for the exports.
    const std::deque<MetricsSnapshot>& snapshots() const { return m_snapshots; }
    const MetricsSnapshot* baseline() const { return m_baseline ? &*m_baseline : nullptr; }

    // Requests per second over the last windowMs (or over what the history holds, if less); 0 with fewer
    // than two snapshots.
    double requestRate(int backendId, qint64 windowMs) const;
    // Latency of the requests completed within the last windowMs.
    LatencySummary recentLatency(int backendId, qint64 windowMs) const;
    // Requests and errors (5xx or no response) completed within the last windowMs.
    std::uint64_t recentRequests(int backendId, qint64 windowMs) const;
    std::uint64_t recentErrors(int backendId, qint64 windowMs) const;

    // The counters of a backend (or the listener) since the baseline, or since its start without one; a
    // backend added after the baseline counts from 0. activeConnections is the latest value (a gauge).
    TrafficStats sinceBaseline(int backendId) const;

    static const TrafficStats* find(const MetricsSnapshot& snapshot, int backendId);

private:
    // The newest kept snapshot taken at least windowMs before the latest (or the oldest kept), and never
    // one from before the baseline: a window reaching past it starts at the baseline.
    const MetricsSnapshot& base(qint64 windowMs) const;
    std::uint64_t recentDelta(int backendId, qint64 windowMs, std::uint64_t (*value)(const TrafficStats&)) const;

    qint64 m_keepMs;
    std::deque<MetricsSnapshot> m_snapshots;
    std::optional<MetricsSnapshot> m_baseline; // a copy: the history may drop the snapshot itself
};

} // namespace lab
