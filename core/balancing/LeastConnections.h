#pragma once

#include "Balancer.h"

#include <vector>

namespace lab {

// Weighted least connections: the backend with the fewest requests in flight per unit of weight
// (active / weight, compared exactly by cross-multiplying). Among the backends tied for the lowest, the
// one picked longest ago goes first (a backend never picked before any other), as in HAProxy's leastconn,
// whose tree puts a server that was just given a connection behind the others of its load. A cursor
// taken modulo the number tied is not that: the tied set changes size and members between picks, so with
// short requests (one backend busy at a time) the cursor alternates between the two outer backends and
// the middle one starves (measured by prove: 40/18/42 % against HAProxy's 34/33/33 %).
// A retry's avoided backend is left out whatever the rule (retry.avoid): HAProxy's leastconn skips the
// server to avoid and takes the next in its tree, changing nothing for it, and nginx's skips tried peers.
// Cost: O(n).
class LeastConnections final : public Balancer {
public:
    QString name() const override { return QStringLiteral("least-connections"); }

protected:
    Backend* choose(std::span<Backend* const> eligible, const PickContext& context) override;

private:
    quint64 m_turn = 0; // picks made so far
    std::vector<quint64> m_pickedAtTurn; // by backend id (ids are small and never reused); 0 = never
};

} // namespace lab
