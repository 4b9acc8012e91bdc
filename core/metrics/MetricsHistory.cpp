#include "MetricsHistory.h"

namespace lab {

MetricsHistory::MetricsHistory(qint64 keepMs)
    : m_keepMs(keepMs)
{
}

void MetricsHistory::push(MetricsSnapshot snapshot)
{
    const qint64 now = snapshot.takenAtMs;
    m_snapshots.push_back(std::move(snapshot));
    // Keep one snapshot older than the horizon so a full window always has a base.
    while (m_snapshots.size() > 2 && now - m_snapshots[1].takenAtMs >= m_keepMs)
        m_snapshots.pop_front();
}

void MetricsHistory::clear()
{
    m_snapshots.clear();
    m_baseline.reset();
}

void MetricsHistory::setBaseline()
{
    if (!m_snapshots.empty())
        m_baseline = latest();
}

namespace {
std::uint64_t minus(std::uint64_t now, std::uint64_t then)
{
    return now >= then ? now - then : 0; // a counter that went back (a backend id reused) reads 0, not 2^64
}
} // namespace

TrafficStats MetricsHistory::sinceBaseline(int backendId) const
{
    TrafficStats out;
    if (m_snapshots.empty())
        return out;
    const TrafficStats* now = find(latest(), backendId);
    if (!now)
        return out;
    out = *now;
    const TrafficStats* then = m_baseline ? find(*m_baseline, backendId) : nullptr;
    if (!then)
        return out;
    out.requests = minus(now->requests, then->requests);
    for (size_t i = 0; i < out.responsesByClass.size(); ++i)
        out.responsesByClass[i] = minus(now->responsesByClass[i], then->responsesByClass[i]);
    out.retries = minus(now->retries, then->retries);
    out.connectFailures = minus(now->connectFailures, then->connectFailures);
    out.rateLimited = minus(now->rateLimited, then->rateLimited);
    out.answeredByProxy = minus(now->answeredByProxy, then->answeredByProxy);
    out.answeredByProxy5xx = minus(now->answeredByProxy5xx, then->answeredByProxy5xx);
    out.bytesIn = minus(now->bytesIn, then->bytesIn);
    out.bytesOut = minus(now->bytesOut, then->bytesOut);
    out.connections = minus(now->connections, then->connections);
    out.refusedConnections = minus(now->refusedConnections, then->refusedConnections);
    out.latency.subtract(then->latency);
    return out;
}

const TrafficStats* MetricsHistory::find(const MetricsSnapshot& snapshot, int backendId)
{
    if (backendId < 0)
        return &snapshot.listener;
    for (const BackendStats& b : snapshot.backends) {
        if (b.id == backendId)
            return &b.traffic;
    }
    return nullptr;
}

const MetricsSnapshot& MetricsHistory::base(qint64 windowMs) const
{
    const qint64 from = m_snapshots.back().takenAtMs - windowMs;
    if (m_baseline && from <= m_baseline->takenAtMs)
        return *m_baseline;
    for (auto it = m_snapshots.rbegin(); it != m_snapshots.rend(); ++it) {
        if (it->takenAtMs <= from)
            return *it;
    }
    return m_snapshots.front();
}

double MetricsHistory::requestRate(int backendId, qint64 windowMs) const
{
    if (m_snapshots.size() < 2)
        return 0;
    const MetricsSnapshot& b = base(windowMs);
    const MetricsSnapshot& l = latest();
    const qint64 span = l.takenAtMs - b.takenAtMs;
    if (span <= 0)
        return 0;
    const std::uint64_t n = recentRequests(backendId, windowMs);
    return double(n) * 1000.0 / double(span);
}

std::uint64_t MetricsHistory::recentDelta(int backendId, qint64 windowMs,
                                          std::uint64_t (*value)(const TrafficStats&)) const
{
    if (m_snapshots.empty())
        return 0;
    const TrafficStats* now = find(latest(), backendId);
    if (!now)
        return 0;
    const TrafficStats* then = find(base(windowMs), backendId);
    const std::uint64_t before = then ? value(*then) : 0; // a backend added within the window started at 0
    const std::uint64_t after = value(*now);
    return after >= before ? after - before : 0;
}

std::uint64_t MetricsHistory::recentRequests(int backendId, qint64 windowMs) const
{
    return recentDelta(backendId, windowMs, [](const TrafficStats& t) { return t.requests; });
}

std::uint64_t MetricsHistory::recentErrors(int backendId, qint64 windowMs) const
{
    return recentDelta(backendId, windowMs, [](const TrafficStats& t) { return t.errors(); });
}

LatencySummary MetricsHistory::recentLatency(int backendId, qint64 windowMs) const
{
    LatencySummary out;
    if (m_snapshots.empty())
        return out;
    const TrafficStats* now = find(latest(), backendId);
    if (!now)
        return out;
    out = now->latency;
    const MetricsSnapshot& from = base(windowMs);
    // With one snapshot and no baseline, the window is everything the counters hold.
    if (const TrafficStats* then = find(from, backendId); then && &from != &latest())
        out.subtract(then->latency);
    return out;
}

} // namespace lab
