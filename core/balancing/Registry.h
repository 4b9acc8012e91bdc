#pragma once

#include "AlgorithmNames.h"
#include "Balancer.h"

#include <QLatin1String>
#include <QString>
#include <QStringList>
#include <memory>
#include <span>

namespace lab {

// The one table of balancing algorithms: its name (what a config, the CLI and the window say), one
// sentence for a learner, whether it hashes a request key (HashKeySpec) and how to make one. The config
// validator, the CLI's --algorithm, the window's selector and its hash-key field read this table, so an
// algorithm added here is everywhere at once and nowhere else needs a list. Order is the selector's.
struct AlgorithmInfo {
    QLatin1String name;
    QLatin1String summary;
    bool usesHashKey = false; // ring-hash, maglev: the key decides the backend
    std::unique_ptr<Balancer> (*make)(const HashKeySpec& key) = nullptr;
};

std::span<const AlgorithmInfo> algorithmRegistry();
// Null for an unknown name.
const AlgorithmInfo* findAlgorithm(QStringView name);
// algorithmNames(): the names in registry order (declared in AlgorithmNames.h for config/).
// The algorithms that use a hash key, for sentences such as "used by ring-hash and maglev".
QStringList hashKeyAlgorithmNames();
// Null for an unknown name.
std::unique_ptr<Balancer> makeBalancer(const QString& name, const HashKeySpec& key = {});
// Empty for an unknown name.
QString algorithmSummary(const QString& name);
bool algorithmUsesHashKey(const QString& name);

} // namespace lab
