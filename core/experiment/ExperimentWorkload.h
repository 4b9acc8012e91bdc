#pragma once

#include "Experiment.h"

#include <QByteArray>
#include <vector>

namespace lab {

// One request of a workload: when it arrives (ms from the start), from which user, for which path, and
// the service cost the backend that serves it must spend (sent as X-Lab-Cost-Ms; -1: no header).
struct PlannedRequest {
    double atMs = 0;
    int user = 0; // 0 when the workload has no simulated users
    QByteArray path;
    int costMs = -1;
};

// The whole seeded request sequence of a workload, drawn up front: the same spec gives the same vector on
// every run, arm and machine (one mt19937 stream, inverse-transform draws, no std:: distributions whose
// algorithms differ between standard libraries). Pure: no clock, no sockets. Bounded by
// WorkloadSpec::kMaxRequests. Per request, in this order: the gap to its arrival, its user, its path,
// its cost.
std::vector<PlannedRequest> planWorkload(const WorkloadSpec& spec);

// One cost draw for `spec` from a uniform in (0, 1] (and a second one for the lognormal), rounded to whole
// ms because the backends take X-Lab-Cost-Ms in ms. Exposed for the tests of the distributions.
int drawCostMs(const WorkloadSpec& spec, double u1, double u2);

} // namespace lab
