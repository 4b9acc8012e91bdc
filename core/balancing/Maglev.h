#pragma once

#include "Balancer.h"
#include "PublishedTable.h"

#include <vector>

namespace lab {

// Maglev hashing (Google, NSDI 2016; Envoy's MAGLEV): a lookup table of 65537 slots (a prime) filled by
// letting each backend, in turn, claim the next free slot of its own pseudo-random permutation
// (offset and skip from its name). Weights give proportionally more turns. A key is hashed to a slot.
// Even spread (every backend within a slot or so of its share) and little movement when the set
// changes; a slot whose backend is not eligible falls through to the next slot. Cost: O(1) per pick;
// O(M log M) to build, done by rebuild() (outside the pool's lock) for every member when membership or
// a weight changes; pick() only reads the published table. Before the first build, or when no backend
// of the table is eligible, a key goes to hash mod (eligible count).
class Maglev final : public Balancer {
public:
    static constexpr int kTableSize = 65537;
    explicit Maglev(HashKeySpec key)
        : m_key(std::move(key))
    {
    }
    QString name() const override { return QStringLiteral("maglev"); }
    void rebuild(std::span<Backend* const> members) override;
    quint64 tableBuilds() const override { return m_table.builds(); }
    bool tableStale(std::span<Backend* const> members) const override;
    // How many slots each backend id owns in the newest table (tests check the spread); empty before
    // the first build.
    std::vector<int> slotCounts() const;

protected:
    Backend* choose(std::span<Backend* const> eligible, const PickContext& context) override;

private:
    struct Slots {
        std::vector<int> slots; // slot -> backend id, -1 when the table has no members
        TableWeights weights;
        size_t members = 0;
    };

    HashKeySpec m_key;
    PublishedTable<Slots> m_table;
};

} // namespace lab
