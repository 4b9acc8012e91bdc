#pragma once

#include "Balancer.h"

namespace lab {

// Least latency (Finagle's peak EWMA, as in Linkerd): each backend's cost is its peak-sensitive moving
// average of observed latency (a slower sample takes over at once; faster ones pull it down with a 10 s
// time constant, and it also decays while the backend is idle, so a once-slow backend is retried
// eventually) times (requests in flight + 1). Lowest cost wins; ties go round robin. Backends never
// measured cost 0 and so get tried. Cost: O(n).
//
// The whole rule lives here: observe() is the update every response feeds (from any worker, lock-free:
// two racing samples may lose one, which a moving average absorbs), cost() the decayed read pick() uses.
class LeastLatency final : public Balancer {
public:
    static constexpr double kDecayMs = 10'000;
    QString name() const override { return QStringLiteral("least-latency"); }
    // One response took `ms` on `b` at nowMs (the pool's steady clock).
    static void observe(Backend& b, double ms, qint64 nowMs);
    // The cost as the algorithm sees it at nowMs.
    static double cost(const Backend& b, qint64 nowMs);

protected:
    Backend* choose(std::span<Backend* const> eligible, const PickContext& context) override;

private:
    quint64 m_next = 0;
};

} // namespace lab
