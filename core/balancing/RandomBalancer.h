#pragma once

#include "Balancer.h"

namespace lab {

// Weighted random: a backend with probability weight / total weight. Memoryless, so short runs look
// uneven; over many requests it converges to the weights. Cost: O(n).
class RandomBalancer final : public Balancer {
public:
    QString name() const override { return QStringLiteral("random"); }

protected:
    Backend* choose(std::span<Backend* const> eligible, const PickContext& context) override;
};

} // namespace lab
