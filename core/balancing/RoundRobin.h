#pragma once

#include "Balancer.h"

#include <cstdint>

namespace lab {

// Round robin: each pick takes the next backend in order. One cursor for the whole proxy (not one per
// worker thread as nginx has), so consecutive requests from any connection see a, b, c, a, b, c.
// When backends leave the eligible set the cursor keeps counting over the ones that remain.
// Cost: O(1).
class RoundRobin final : public Balancer {
public:
    QString name() const override { return QStringLiteral("round-robin"); }

protected:
    Backend* choose(std::span<Backend* const> eligible, const PickContext& context) override;

private:
    std::uint64_t m_next = 0;
};

} // namespace lab
