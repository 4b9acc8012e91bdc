#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QString>
#include <memory>
#include <span>

namespace lab {

struct Backend;

// What an algorithm may look at besides the backends: who is asking and for what.
struct PickContext {
    QHostAddress clientAddress;
    QByteArray path;
};

// A balancing algorithm. Pure: no sockets, no timers. It receives the eligible backends (already
// filtered for health, operator state and earlier attempts of this request) and returns one of them.
// Called under the pool's lock, so implementations may keep unsynchronised state.
class Balancer {
public:
    virtual ~Balancer() = default;
    virtual QString name() const = 0;
    // eligible is never empty.
    virtual Backend* pick(std::span<Backend* const> eligible, const PickContext& context) = 0;
};

// Returns null for an unknown name; names are LabConfig's knownAlgorithms().
std::unique_ptr<Balancer> makeBalancer(const QString& name);
// One sentence for a learner: what the algorithm does (the window's selector shows it).
QString algorithmSummary(const QString& name);

} // namespace lab
