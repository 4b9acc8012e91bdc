#pragma once

#include "Balancer.h"

#include <vector>

namespace lab {

// Maglev hashing (Google, NSDI 2016; Envoy's MAGLEV): a lookup table of 65537 slots (a prime) filled by
// letting each backend, in turn, claim the next free slot of its own pseudo-random permutation
// (offset and skip from its name). Weights give proportionally more turns. A key is hashed to a slot.
// Even spread (every backend within a slot or so of its share) and little movement when the set
// changes; a slot whose backend is not eligible falls through to the next slot. Cost: O(1) per pick,
// O(M log M) to rebuild when a new backend or weight shows up.
class Maglev final : public Balancer {
public:
    static constexpr int kTableSize = 65537;
    explicit Maglev(HashKeySpec key)
        : m_key(std::move(key))
    {
    }
    QString name() const override { return QStringLiteral("maglev"); }
    Backend* pick(std::span<Backend* const> eligible, const PickContext& context) override;
    // How many slots each backend id owns (tests check the spread).
    std::vector<int> slotCounts() const;

private:
    void rebuildIfNeeded(std::span<Backend* const> eligible);

    HashKeySpec m_key;
    std::vector<int> m_table; // slot -> backend id
    TableWeights m_built;
};

} // namespace lab
