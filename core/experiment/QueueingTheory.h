#pragma once

#include <QList>

namespace lab {

// The M/M/c queue: Poisson arrivals at `arrivalsPerMs`, `servers` workers, exponential service with mean
// `meanServiceMs`, first come first served, no limit on the line. What a fake backend with workers = c,
// serviceDist exp (or X-Lab-Cost-Ms drawn exponential) and a long queue is, so the lab's measurements can
// be put beside the textbook's. Erlang C is computed through the Erlang B recursion, which stays finite
// for any c (the factorial form overflows past c ~ 170). Cost: O(c) at construction, O(1) per query
// except percentiles (a bisection of ~100 steps).
class MmcQueue final {
public:
    MmcQueue(double arrivalsPerMs, double meanServiceMs, int servers);

    int servers() const { return m_servers; }
    double utilisation() const { return m_rho; } // rho = lambda / (c mu)
    bool stable() const { return m_rho < 1.0; }
    // Preconditions for what follows: stable().
    double probabilityOfWaiting() const { return m_erlangC; } // Erlang C: an arrival finds every worker busy
    double meanWaitMs() const; // in the line, before service
    double meanResponseMs() const; // wait + service
    // P(response time > t): with probability 1 - C no wait, else an exponential wait with rate
    // c mu - lambda, plus the service time; the two exponentials' sum has a closed form.
    double responseExceedsProbability(double tMs) const;
    // The p-th percentile (0 < p < 100) of the response time.
    double responsePercentileMs(double p) const;

private:
    double m_lambda;
    double m_mu;
    int m_servers;
    double m_rho;
    double m_erlangC = 1;
};

// A mixture of queues, as a balancer that sends share_i of the arrivals to backend i makes when each
// backend's arrivals stay Poisson (random splitting; round robin makes them more regular, so there the
// mixture over-states the wait). Shares need not sum to 1 (they are normalised).
struct WeightedQueue {
    double share = 0;
    MmcQueue queue;
};
double mixtureMeanResponseMs(const QList<WeightedQueue>& queues);
double mixtureResponsePercentileMs(const QList<WeightedQueue>& queues, double p);

} // namespace lab
