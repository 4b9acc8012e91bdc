#pragma once

#include "Balancer.h"

namespace lab {

// IP hash: hash(client address) mod (number of eligible backends). A client keeps its backend while the
// eligible set stays the same; when it changes, most clients move (compare ring-hash and maglev).
// Cost: O(1).
class IpHash final : public Balancer {
public:
    QString name() const override { return QStringLiteral("ip-hash"); }

protected:
    Backend* choose(std::span<Backend* const> eligible, const PickContext& context) override;
};

} // namespace lab
