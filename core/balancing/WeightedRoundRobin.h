#pragma once

#include "Balancer.h"

#include <vector>

namespace lab {

// nginx's smooth weighted round robin: every pick adds each backend's weight to its "current" score,
// takes the highest, and subtracts the total from the winner. Weights 5,1,1 give a a b a c a a — the
// heavy backend's turns are spread out instead of bunched (a a a a a b c). Weights are read live.
// Cost: O(n).
class WeightedRoundRobin final : public Balancer {
public:
    QString name() const override { return QStringLiteral("weighted-round-robin"); }

protected:
    Backend* choose(std::span<Backend* const> eligible, const PickContext& context) override;

private:
    std::vector<qint64> m_current; // by backend id (ids are small and never reused)
};

} // namespace lab
