#pragma once

#include "Balancer.h"

namespace lab {

// Power of two choices (Envoy's LEAST_REQUEST, HAProxy's random(2)): draw two different backends at
// random and take the one with fewer requests in flight per unit of weight (the first drawn on a tie).
// It avoids herding onto one "least" backend and needs no global scan. Cost: O(1).
class PowerOfTwoChoices final : public Balancer {
public:
    QString name() const override { return QStringLiteral("power-of-two-choices"); }

protected:
    Backend* choose(std::span<Backend* const> eligible, const PickContext& context) override;
};

} // namespace lab
