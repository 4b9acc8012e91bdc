#include "ExperimentWorkload.h"

#include "fakebackend/FaultProfile.h"

#include <cmath>
#include <numbers>
#include <random>

namespace lab {

namespace {

// A uniform in (0, 1]: never 0, so its logarithm is finite.
double uniform(std::mt19937& random)
{
    return (double(random()) + 1.0) / 4294967296.0;
}

} // namespace

int drawCostMs(const WorkloadSpec& spec, double u1, double u2)
{
    const double mean = spec.costMeanMs;
    double ms = mean;
    switch (spec.cost) {
    case CostDistribution::Fixed: break;
    case CostDistribution::Exponential: ms = -std::log(u1) * mean; break;
    case CostDistribution::Lognormal: {
        // Box-Muller for a standard normal; the log-mean is chosen so that the mean is `mean` (as the fake
        // backends' own lognormal service times do, FaultProfile::kLognormalSigma).
        const double sigma = FaultProfile::kLognormalSigma;
        const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
        ms = mean * std::exp(sigma * z - sigma * sigma / 2.0);
        break;
    }
    }
    return int(qBound(0.0, std::round(ms), double(FaultProfile::kMaxCostMs)));
}

std::vector<PlannedRequest> planWorkload(const WorkloadSpec& spec)
{
    std::vector<PlannedRequest> out;
    std::mt19937 random(spec.seed);
    PathTemplate paths;
    PathTemplate::parse(spec.path, &paths);
    const double meanGapMs = 1000.0 / double(qMax(1, spec.ratePerSecond));
    const quint64 maxCount = spec.requests > 0 ? quint64(spec.requests) : quint64(WorkloadSpec::kMaxRequests);
    const int users = qMax(1, spec.users);
    double atMs = 0;
    while (out.size() < maxCount) {
        PlannedRequest r;
        // Poisson arrivals start after one gap like all the others (the process has no arrival at 0);
        // constant ones at 0, then one every gap.
        if (spec.arrival == ArrivalProcess::Poisson)
            atMs += -std::log(uniform(random)) * meanGapMs;
        else if (!out.empty())
            atMs += meanGapMs;
        if (spec.durationMs > 0 && atMs >= spec.durationMs)
            break;
        r.atMs = atMs;
        r.user = int(quint64(random()) % quint64(users));
        r.path = paths.draw(random);
        if (spec.costMeanMs > 0) {
            const double u1 = uniform(random);
            const double u2 = uniform(random);
            r.costMs = drawCostMs(spec, u1, u2);
        }
        out.push_back(std::move(r));
    }
    return out;
}

} // namespace lab
