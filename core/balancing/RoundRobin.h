#pragma once

#include "Balancer.h"

#include <cstdint>

namespace lab {

// Round robin: each pick takes the next backend in order. One cursor for the whole proxy (not one per
// worker thread as nginx has), so consecutive requests from any connection see a, b, c, a, b, c.
// When backends leave the eligible set the cursor keeps counting over the ones that remain; so does a
// retry under nginx's rule (retry.avoid "tried": the tried ones are out of this pick). A retry under
// HAProxy's rule ("previous", PickContext::avoidedKeepTheirTurn) counts over the whole rotation instead:
// a turn that falls on the avoided backend is used up and the next one is taken, as HAProxy's roundrobin
// does with the server to avoid (its position advances as if picked). So a, b, c with b avoided at the
// second pick gives a, c, a, b, c (the counting over those left gave a, c, c, a, b).
// Cost: O(1); O(n) for a retry that avoids a backend (its position is looked up).
class RoundRobin final : public Balancer {
public:
    QString name() const override { return QStringLiteral("round-robin"); }

protected:
    Backend* choose(std::span<Backend* const> eligible, const PickContext& context) override;

private:
    std::uint64_t m_next = 0;
};

} // namespace lab
