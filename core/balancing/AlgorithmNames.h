#pragma once

#include <QString>
#include <QStringList>

namespace lab {

// What the layers below balancing (the config validator) read from the registry and the hash-key
// grammar, without including an algorithm: config/ is included by health/ and backend/, which the
// algorithms include, so config/ including Registry.h would close an include cycle. Declarations only;
// algorithmNames() is defined in Registry.cpp over the one table, hashKeyProblem() in Balancer.cpp as
// HashKeySpec::problem().
QStringList algorithmNames();
QString hashKeyProblem(const QString& key);

} // namespace lab
