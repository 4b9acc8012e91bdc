#pragma once

#include "ExperimentResults.h"

#include <QList>
#include <QString>

namespace lab {

// Who won, in a few sentences, on what the experiment is about first: with a timeline that adds or stops a
// backend, how close each arm's keys moved come to the ideal (every arm within a stated tolerance is
// "about the ideal", the others are named with their factor; nothing about p99, which hashing does not
// aim at); else
// the errors, the load retries added, then the p99 and why (the slowest arm's busiest backend against the
// fastest arm's). One paragraph, unwrapped: the terminal's table prints it wrapped below the backends, the
// window shows it above its results, so both say the same words. Empty with fewer than two arms.
QString experimentVerdict(const QList<ArmResult>& arms);

} // namespace lab
