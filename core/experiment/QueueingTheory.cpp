#include "QueueingTheory.h"

#include <cmath>

namespace lab {

namespace {

// The smallest t with tail(t) <= q, by bisection on [0, hi] after doubling hi until it brackets.
template <typename Tail> double solveTail(Tail tail, double q, double scale)
{
    double lo = 0;
    double hi = qMax(1e-6, scale);
    for (int i = 0; i < 200 && tail(hi) > q; ++i)
        hi *= 2;
    for (int i = 0; i < 100; ++i) {
        const double mid = (lo + hi) / 2;
        (tail(mid) > q ? lo : hi) = mid;
    }
    return (lo + hi) / 2;
}

} // namespace

MmcQueue::MmcQueue(double arrivalsPerMs, double meanServiceMs, int servers)
    : m_lambda(arrivalsPerMs)
    , m_mu(meanServiceMs > 0 ? 1.0 / meanServiceMs : 0)
    , m_servers(qMax(1, servers))
    , m_rho(m_mu > 0 ? arrivalsPerMs / (m_servers * m_mu) : 1.0)
{
    if (!stable())
        return;
    // Erlang B by recursion over the servers, then Erlang C from it.
    const double a = m_lambda / m_mu; // offered load in erlangs
    double b = 1;
    for (int k = 1; k <= m_servers; ++k)
        b = a * b / (k + a * b);
    m_erlangC = m_servers * b / (m_servers - a * (1 - b));
}

double MmcQueue::meanWaitMs() const
{
    return m_erlangC / (m_servers * m_mu - m_lambda);
}

double MmcQueue::meanResponseMs() const
{
    return meanWaitMs() + 1.0 / m_mu;
}

double MmcQueue::responseExceedsProbability(double tMs) const
{
    const double theta = m_servers * m_mu - m_lambda; // rate of the wait, for those who wait
    const double service = std::exp(-m_mu * tMs);
    // P(W + S > t) for W ~ Exp(theta), S ~ Exp(mu): the hypoexponential tail (equal rates: Erlang-2).
    const double waited = std::abs(theta - m_mu) < 1e-12 * m_mu
        ? (1 + m_mu * tMs) * service
        : (theta * service - m_mu * std::exp(-theta * tMs)) / (theta - m_mu);
    return (1 - m_erlangC) * service + m_erlangC * waited;
}

double MmcQueue::responsePercentileMs(double p) const
{
    return solveTail([this](double t) { return responseExceedsProbability(t); }, 1 - p / 100.0, meanResponseMs());
}

double mixtureMeanResponseMs(const QList<WeightedQueue>& queues)
{
    double total = 0;
    double sum = 0;
    for (const WeightedQueue& w : queues) {
        total += w.share;
        sum += w.share * w.queue.meanResponseMs();
    }
    return total > 0 ? sum / total : 0;
}

double mixtureResponsePercentileMs(const QList<WeightedQueue>& queues, double p)
{
    double total = 0;
    double scale = 0;
    for (const WeightedQueue& w : queues) {
        total += w.share;
        scale = qMax(scale, w.queue.meanResponseMs());
    }
    if (total <= 0)
        return 0;
    const auto tail = [&](double t) {
        double s = 0;
        for (const WeightedQueue& w : queues)
            s += w.share * w.queue.responseExceedsProbability(t);
        return s / total;
    };
    return solveTail(tail, 1 - p / 100.0, scale);
}

} // namespace lab
