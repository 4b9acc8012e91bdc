#pragma once

#include "Balancer.h"

#include <vector>

namespace lab {

// Consistent hashing on a ring (Karger et al.; nginx's "hash ... consistent", Envoy's RING_HASH). Each
// backend owns 160 × weight points on a 64-bit ring, placed by hashing its name; a request's key (client
// address, path, a header or a cookie) is hashed onto the ring and the first point clockwise owns it.
// A backend that is not eligible is skipped clockwise, so removing 1 of N moves only its own ~1/N of
// the keys, and bringing it back returns exactly those. Cost: O(log points); the ring is rebuilt only
// when a new backend or a new weight shows up.
class RingHash final : public Balancer {
public:
    static constexpr int kPointsPerWeight = 160;
    explicit RingHash(HashKeySpec key)
        : m_key(std::move(key))
    {
    }
    QString name() const override { return QStringLiteral("ring-hash"); }
    Backend* pick(std::span<Backend* const> eligible, const PickContext& context) override;

private:
    void rebuildIfNeeded(std::span<Backend* const> eligible);

    HashKeySpec m_key;
    std::vector<std::pair<quint64, int>> m_ring; // (point, backend id), sorted
    TableWeights m_built;
};

} // namespace lab
