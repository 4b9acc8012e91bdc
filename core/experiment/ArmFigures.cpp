#include "ArmFigures.h"

#include <array>

namespace lab {

namespace {

constexpr std::array<ArmFigureInfo, size_t(ArmFigure::Count)> kFigures = {{
    {"arm", "arm", "name", "The arm: an algorithm, or proxy settings such as retries on or off"},
    {"requests", "requests", "requests",
     "Requests the workload planned (the same in every arm); ok and the error columns add up to it"},
    {"ok", "ok", "ok", "Responses with a 2xx or 3xx status"},
    {"4xx", "4xx", "status4xx", "Responses with a 4xx status"},
    {"5xx", "5xx", "backend5xx", "5xx responses a backend wrote (they name it in X-Served-By)"},
    {"proxy 5xx", "proxy_5xx", "proxy5xx",
     "The proxy's own 502 (upstream failed), 503 (no backend eligible) and 504 (upstream timeout): no "
     "backend answered"},
    {"timeout", "timeout", "timeout", "Requests without a whole response within requestTimeoutMs of their arrival"},
    {"failed", "failed", "failed", "Requests whose connection was reset or could not be made (no response)"},
    {"req/s", "req_per_s", "reqPerS", "Responses (any status) per second of the run"},
    {"mean", "mean_ms", "meanMs",
     "Mean client latency in ms: from each request's planned arrival to the last byte of its response"},
    {"M/M/c mean", "mmc_mean_ms", "mmcMeanMs",
     "The M/M/c (Erlang C) prediction of the mean left of it, and in brackets how far the measurement is "
     "from it: (measured - predicted) / predicted. Assumes Poisson arrivals, exponential service and c "
     "workers per backend, each backend fed at random at the share the arm gave it"},
    {"p50", "p50_ms", "p50Ms", "Median client latency (ms)"},
    {"p95", "p95_ms", "p95Ms", "95th percentile of the client latency (ms)"},
    {"p99", "p99_ms", "p99Ms", "99th percentile of the client latency (ms): 1 request in 100 waits longer"},
    {"M/M/c p99", "mmc_p99_ms", "mmcP99Ms",
     "The M/M/c (Erlang C) prediction of the p99 left of it, and in brackets how far the measurement is "
     "from it: (measured - predicted) / predicted. Same assumptions as M/M/c mean"},
    {"p99.9", "p999_ms", "p999Ms", "99.9th percentile of the client latency (ms)"},
    {"retries", "retries", "retries", "Attempts the proxy made after a request's first"},
    {"attempts", "attempts", "attempts",
     "Requests the backends received, by their own counts, retries included: more than requests when "
     "retries amplify the load"},
    {"load", "load", "load", "attempts / requests: 1.00x = every request reached a backend once"},
    {"max queue", "max_queue", "maxQueue",
     "The longest line of requests waiting for a worker at any backend (sampled every 10 ms)"},
    {"busiest", "busiest", "busiest",
     "The busiest backend's utilisation: its workers' busy time / (workers x run time). Near 100 % its line "
     "grows without bound; this is the load that equal shares hide"},
    {"jain", "jain", "jain",
     "Jain's fairness index over the backends' shares of the responses: 1.00 = equal shares, 1/n = one "
     "backend took all. It measures how evenly requests were split, not load or latency: it is not a "
     "score (round robin is 1.00 and slowest when one backend is slow)"},
    {"keys moved", "keys_moved", "keysMoved",
     "Of the keys (users, or paths) answered before and after the timeline's first add or stop, the share "
     "whose backend changed, as the backends saw them; ideal: 1/(n+1) when a backend joins n"},
}};

QString fixed(double v, int decimals = 1)
{
    return QString::number(v, 'f', decimals);
}

QString percent(double share)
{
    return fixed(share * 100) + QLatin1Char('%');
}

QString withPrediction(double predicted, double measured)
{
    return QStringLiteral("%1 (%2)").arg(fixed(predicted), percentFrom(measured, predicted));
}

} // namespace

const ArmFigureInfo& armFigureInfo(ArmFigure f)
{
    return kFigures[size_t(f)];
}

QList<ArmFigure> allArmFigures()
{
    QList<ArmFigure> out;
    for (int i = 0; i < int(ArmFigure::Count); ++i)
        out << ArmFigure(i);
    return out;
}

bool armFigureShown(ArmFigure f, const QList<ArmResult>& arms)
{
    for (const ArmResult& a : arms) {
        const bool has = f == ArmFigure::KeysMoved              ? a.keysMoved.has_value()
            : f == ArmFigure::MmcMean || f == ArmFigure::MmcP99 ? a.theory.has_value()
            : f == ArmFigure::Busiest                           ? a.busiest() >= 0
                                                                : true;
        if (has)
            return true;
    }
    return false;
}

QString percentFrom(double measured, double predicted)
{
    if (predicted <= 0)
        return QStringLiteral("n/a");
    const double p = (measured - predicted) / predicted * 100;
    return (p >= 0 ? QStringLiteral("+") : QString()) + fixed(p, 0) + QLatin1Char('%');
}

QString armFigureText(ArmFigure f, const ArmResult& a)
{
    const QString none = QStringLiteral("n/a");
    switch (f) {
    case ArmFigure::Arm: return a.name;
    case ArmFigure::MmcMean: return a.theory ? withPrediction(a.theory->meanResponseMs, a.meanMs) : none;
    case ArmFigure::MmcP99: return a.theory ? withPrediction(a.theory->p99Ms, a.percentileMs(99)) : none;
    case ArmFigure::Load: return fixed(a.load(), 2) + QLatin1Char('x');
    case ArmFigure::Busiest: return a.busiest() < 0 ? none : fixed(a.busiest() * 100, 0) + QLatin1Char('%');
    case ArmFigure::Jain: return fixed(a.jainIndex, 2);
    case ArmFigure::KeysMoved:
        return a.keysMoved ? QStringLiteral("%1 (ideal %2)").arg(percent(*a.keysMoved), percent(a.keysMovedIdeal))
                           : none;
    default: break;
    }
    const QJsonValue v = armFigureValue(f, a);
    switch (f) {
    case ArmFigure::Throughput:
    case ArmFigure::Mean:
    case ArmFigure::P50:
    case ArmFigure::P95:
    case ArmFigure::P99:
    case ArmFigure::P999: return fixed(v.toDouble());
    default: return QString::number(qint64(v.toDouble()));
    }
}

QJsonValue armFigureValue(ArmFigure f, const ArmResult& a)
{
    switch (f) {
    case ArmFigure::Arm: return a.name;
    case ArmFigure::Requests: return double(a.requests);
    case ArmFigure::Ok: return double(a.ok());
    case ArmFigure::Status4xx: return double(a.status4xx());
    case ArmFigure::Backend5xx: return double(a.backend5xx());
    case ArmFigure::Proxy5xx: return double(a.proxy5xx);
    case ArmFigure::Timeouts: return double(a.timeouts);
    case ArmFigure::Failed: return double(a.failed());
    case ArmFigure::Throughput: return a.throughputPerSecond;
    case ArmFigure::Mean: return a.meanMs;
    case ArmFigure::MmcMean: return a.theory ? QJsonValue(a.theory->meanResponseMs) : QJsonValue();
    case ArmFigure::P50: return a.percentileMs(50);
    case ArmFigure::P95: return a.percentileMs(95);
    case ArmFigure::P99: return a.percentileMs(99);
    case ArmFigure::MmcP99: return a.theory ? QJsonValue(a.theory->p99Ms) : QJsonValue();
    case ArmFigure::P999: return a.percentileMs(99.9);
    case ArmFigure::Retries: return double(a.retries);
    case ArmFigure::Attempts: return double(a.attempts());
    case ArmFigure::Load: return a.load();
    case ArmFigure::MaxQueue: return a.maxQueue;
    case ArmFigure::Busiest: return a.busiest() < 0 ? QJsonValue() : QJsonValue(a.busiest());
    case ArmFigure::Jain: return a.jainIndex;
    case ArmFigure::KeysMoved: return a.keysMoved ? QJsonValue(*a.keysMoved) : QJsonValue();
    case ArmFigure::Count: break;
    }
    return {};
}

QString theoryAssumptions()
{
    // A learner read "(-38%)" as "the theory is 38 % wrong": the text says first what the prediction is a
    // prediction of (a blind random split into per-backend lines, not the best possible), then which way
    // the sign goes, in the numbers' own terms.
    return QStringLiteral(
        "M/M/c = the queueing model's prediction (Erlang C) of the figure left of it: Poisson arrivals, "
        "exponential service, c workers per backend, first come first served. It is a yardstick, not the "
        "truth: each backend is taken as its own line fed at random at the share the arm actually gave it, "
        "as a balancer that picks blindly would. (The best any dispatcher could do without knowing the "
        "future is one shared line feeding every worker; a balancer that sends to per-backend lines cannot "
        "reach that.) (-38%) = measured 38 % below the prediction, faster than a random split; (+8%) = "
        "measured 8 % above it, slower: (measured - predicted) / predicted. Round robin spreads arrivals "
        "more evenly than random and adaptive balancers pick the shorter line, so both are expected below "
        "it: the further below, the more the algorithm gained over picking at random. The measurement is "
        "the client's, so it includes the proxy and the network (about a millisecond).");
}

QString fairnessNote()
{
    return QStringLiteral("jain = how evenly the requests were split (1.00 = equal shares), not a score: equal "
                          "shares to unequal backends overload the small one (see busiest).");
}

} // namespace lab
