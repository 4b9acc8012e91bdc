#pragma once

#include "Balancer.h"

namespace lab {

// Weighted least connections: the backend with the fewest requests in flight per unit of weight
// (active / weight, compared exactly by cross-multiplying). The backends tied for the lowest take turns
// (round robin among the tied), so equal backends share the work instead of the first one taking it
// all. Cost: O(n).
class LeastConnections final : public Balancer {
public:
    QString name() const override { return QStringLiteral("least-connections"); }

protected:
    Backend* choose(std::span<Backend* const> eligible, const PickContext& context) override;

private:
    quint64 m_next = 0;
};

} // namespace lab
