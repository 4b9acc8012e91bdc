#pragma once

#include <QHashFunctions>
#include <QMetaType>

namespace lab {

// The lab's name for one backend: handed out when the backend joins the lab and never given to another
// one, not after a removal and not after File > Open. Lab's API and signals take it instead of a row
// number, so removing a backend in the middle of the board can never make a later call (or a queued
// signal) address its neighbour. It is not the pool's Backend::id: an embedded backend configured on
// port 0 has no pool entry until it starts, but it has a BackendId from the start.
struct BackendId {
    int value = -1;
    constexpr bool isValid() const { return value >= 0; }
    friend constexpr bool operator==(BackendId, BackendId) = default;
};

inline size_t qHash(BackendId id, size_t seed = 0) noexcept
{
    return ::qHash(id.value, seed);
}

} // namespace lab

Q_DECLARE_METATYPE(lab::BackendId)
