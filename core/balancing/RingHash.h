#pragma once

#include "Balancer.h"
#include "PublishedTable.h"

#include <vector>

namespace lab {

// Consistent hashing on a ring (Karger et al.; nginx's "hash ... consistent", Envoy's RING_HASH). Each
// backend owns 160 × weight points on a 64-bit ring, placed by hashing its name; a request's key (client
// address, path, a header or a cookie) is hashed onto the ring and the first point clockwise owns it.
// A backend that is not eligible is skipped clockwise, so removing 1 of N moves only its own ~1/N of
// the keys, and bringing it back returns exactly those. Cost: O(log points) per pick; the ring is built
// by rebuild() (outside the pool's lock) for every member when membership or a weight changes, and
// pick() only reads the published ring. Before the first build, or when no backend of the ring is
// eligible, a key goes to hash mod (eligible count).
class RingHash final : public Balancer {
public:
    static constexpr int kPointsPerWeight = 160;
    explicit RingHash(HashKeySpec key)
        : m_key(std::move(key))
    {
    }
    QString name() const override { return QStringLiteral("ring-hash"); }
    void rebuild(std::span<Backend* const> members) override;
    quint64 tableBuilds() const override { return m_table.builds(); }
    bool tableStale(std::span<Backend* const> members) const override;

protected:
    Backend* choose(std::span<Backend* const> eligible, const PickContext& context) override;

private:
    struct Ring {
        std::vector<std::pair<quint64, int>> points; // (point, backend id), sorted
        TableWeights weights;
    };

    HashKeySpec m_key;
    PublishedTable<Ring> m_table;
};

} // namespace lab
