#pragma once

#include "Balancer.h"

#include <vector>

namespace lab {

// nginx's smooth weighted round robin: every pick adds each backend's weight to its "current" score,
// takes the highest, and subtracts the total from the winner. Weights 5,1,1 give a a b a c a a — the
// heavy backend's turns are spread out instead of bunched (a a a a a b c). Weights are read live.
// A retry under nginx's rule (retry.avoid "tried") runs the step over the backends left, as nginx's own
// does (a tried peer gains no weight in it). Under HAProxy's rule ("previous",
// PickContext::avoidedKeepTheirTurn) the step runs over the whole rotation: when the avoided backend wins
// it, its turn is used up and a second step goes to the best of the others, as HAProxy's roundrobin
// advances the avoided server's position and takes the next one. So 5,1,1 with a avoided at the first
// pick gives b a a c a a a (the step over those left gave b a a c a a b).
// Cost: O(n); two steps for a retry whose avoided backend wins the first.
class WeightedRoundRobin final : public Balancer {
public:
    QString name() const override { return QStringLiteral("weighted-round-robin"); }

protected:
    Backend* choose(std::span<Backend* const> eligible, const PickContext& context) override;

private:
    struct Step {
        Backend* best = nullptr;
        qint64 total = 0;
    };
    // One smooth-WRR step over `members`: each gains its weight, the best not in `passOver` wins and
    // loses the total; its entries go to `note` when set.
    Step step(std::span<Backend* const> members, std::span<Backend* const> passOver, PickNote* note);

    std::vector<qint64> m_current; // by backend id (ids are small and never reused)
};

} // namespace lab
