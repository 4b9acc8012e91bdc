#include "ExperimentResults.h"

#include "QueueingTheory.h"

#include <QJsonArray>
#include <algorithm>
#include <cmath>
#include <functional>

namespace lab {

namespace {

QString fixed(double v, int decimals = 1)
{
    return QString::number(v, 'f', decimals);
}

// A fake backend is a plain M/M/c when the cost header (exponential) is its whole service and nothing
// but the line adds to it.
bool plainQueue(const FaultProfile& f)
{
    return f.workers > 0 && f.latencyMs == 0 && f.jitterMs == 0 && f.capacity == 0 && !f.hang && !f.refuse &&
        f.errorRatePercent == 0;
}

} // namespace

quint64 ArmResult::attempts() const
{
    quint64 sum = 0;
    for (const BackendResult& b : backends)
        sum += b.attempts;
    return sum;
}

double ArmResult::busiest() const
{
    double max = -1;
    for (const BackendResult& b : backends)
        max = qMax(max, b.busy);
    return max;
}

double jainIndex(const QList<double>& shares)
{
    double sum = 0;
    double squares = 0;
    for (double x : shares) {
        sum += x;
        squares += x * x;
    }
    return squares > 0 ? sum * sum / (double(shares.size()) * squares) : 0;
}

void summariseOutcomes(const std::vector<RequestOutcome>& outcomes, const QStringList& outcomeBackends,
                       const QStringList& backendOrder, ArmResult* arm)
{
    arm->requests = outcomes.size();
    QStringList names = backendOrder;
    for (const QString& n : outcomeBackends) {
        if (!names.contains(n))
            names << n;
    }
    QList<BackendResult> backends;
    for (const QString& n : names) {
        BackendResult b;
        b.name = n;
        for (const BackendResult& old : std::as_const(arm->backends)) {
            if (old.name == n)
                b = old; // keeps what the runner measured on the backend's side
        }
        backends << b;
    }
    std::vector<LatencyHistogram> perBackend(size_t(names.size()));
    std::vector<double> sums(size_t(names.size()), 0);
    LatencyHistogram all;
    LatencyHistogram queue;
    double total = 0;
    double queueTotal = 0;
    for (const RequestOutcome& o : outcomes) {
        arm->maxSendLagMs = qMax(arm->maxSendLagMs, o.sendLagMs);
        switch (o.failure) {
        case RequestOutcome::Failure::Reset: ++arm->resets; continue;
        case RequestOutcome::Failure::Timeout: ++arm->timeouts; continue;
        case RequestOutcome::Failure::Connect: ++arm->connectFailures; continue;
        case RequestOutcome::Failure::None: break;
        }
        ++arm->completed;
        ++arm->byClass[size_t(qBound(0, o.status / 100, 5))];
        if (o.status >= 500 && o.backend < 0)
            ++arm->proxy5xx; // the proxy's own answer: a forwarded one names its backend
        const auto micros = std::uint64_t(std::llround(qMax(0.0, o.latencyMs) * 1000));
        all.record(micros);
        total += o.latencyMs;
        if (o.waitMs >= 0 && o.serviceMs >= 0) {
            ++arm->queueTimed;
            queueTotal += o.waitMs + o.serviceMs;
            queue.record(std::uint64_t(std::llround((o.waitMs + o.serviceMs) * 1000)));
        }
        if (o.backend >= 0 && o.backend < outcomeBackends.size()) {
            const qsizetype i = names.indexOf(outcomeBackends[o.backend]);
            perBackend[size_t(i)].record(micros);
            sums[size_t(i)] += o.latencyMs;
            ++backends[i].served;
        }
    }
    arm->latency = LatencySummary{};
    arm->latency.add(all);
    arm->meanMs = arm->completed ? total / double(arm->completed) : 0;
    arm->queueLatency = LatencySummary{};
    arm->queueLatency.add(queue);
    arm->queueMeanMs = arm->queueTimed ? queueTotal / double(arm->queueTimed) : 0;
    arm->throughputPerSecond = arm->elapsedMs > 0 ? double(arm->completed) * 1000.0 / arm->elapsedMs : 0;
    quint64 named = 0;
    quint64 attempts = 0;
    for (const BackendResult& b : std::as_const(backends)) {
        named += b.served;
        attempts += b.attempts;
    }
    QList<double> shares;
    for (qsizetype i = 0; i < backends.size(); ++i) {
        BackendResult& b = backends[i];
        b.share = named ? double(b.served) / double(named) : 0;
        b.attemptShare = attempts ? double(b.attempts) / double(attempts) : 0;
        b.meanMs = b.served ? sums[size_t(i)] / double(b.served) : 0;
        b.latency = LatencySummary{};
        b.latency.add(perBackend[size_t(i)]);
        shares << b.share;
        arm->maxQueue = qMax(arm->maxQueue, b.maxQueue);
    }
    arm->jainIndex = jainIndex(shares);
    arm->backends = backends;
}

void replayIdealQueues(const std::vector<PlannedRequest>& plan, const std::vector<RequestOutcome>& outcomes,
                       const QStringList& outcomeBackends, const QMap<QString, int>& workers, ArmResult* arm)
{
    // Per backend, the moments its workers come free (a min-heap); plan order is arrival order.
    std::vector<std::vector<double>> freeAt(size_t(outcomeBackends.size()));
    double total = 0;
    quint64 count = 0;
    for (size_t i = 0; i < plan.size() && i < outcomes.size(); ++i) {
        const RequestOutcome& o = outcomes[i];
        if (o.failure != RequestOutcome::Failure::None || o.backend < 0 || o.backend >= outcomeBackends.size())
            continue;
        const double cost = qMax(0, plan[i].costMs);
        const int c = workers.value(outcomeBackends[o.backend]);
        std::vector<double>& heap = freeAt[size_t(o.backend)];
        double start = plan[i].atMs;
        if (c > 0) {
            if (int(heap.size()) < c) {
                heap.push_back(0);
                std::push_heap(heap.begin(), heap.end(), std::greater<>());
            }
            std::pop_heap(heap.begin(), heap.end(), std::greater<>());
            start = qMax(start, heap.back());
            heap.back() = start + cost;
            std::push_heap(heap.begin(), heap.end(), std::greater<>());
        }
        total += start + cost - plan[i].atMs;
        ++count;
    }
    arm->idealMeanMs = count ? total / double(count) : 0;
}

std::optional<TheoryResult> predictArm(const Experiment& e, const ArmResult& arm, QString* why)
{
    const WorkloadSpec& w = e.workload;
    const auto fail = [why](const QString& text) {
        *why = text;
        return std::optional<TheoryResult>{};
    };
    if (w.arrival != ArrivalProcess::Poisson)
        return fail(QStringLiteral("arrivals are not Poisson"));
    if (w.cost != CostDistribution::Exponential || w.costMeanMs <= 0)
        return fail(QStringLiteral("request costs are not exponential"));
    if (!e.timeline.isEmpty())
        return fail(QStringLiteral("the timeline changes the system during the run"));
    for (const BackendConfig& b : e.lab.backends) {
        if (!plainQueue(b.faults))
            return fail(QStringLiteral("%1 is not a plain M/M/c queue: that needs workers > 0 and no latency, "
                                       "jitter, capacity cap or injected errors")
                            .arg(b.name));
    }
    QList<WeightedQueue> queues;
    TheoryResult t;
    const double lambda = double(w.ratePerSecond) / 1000.0;
    for (const BackendConfig& b : e.lab.backends) {
        double share = 0;
        for (const BackendResult& r : arm.backends) {
            if (r.name == b.name)
                share = r.share;
        }
        if (share <= 0)
            continue;
        MmcQueue q(lambda * share, w.costMeanMs, b.faults.workers);
        t.utilisation = qMax(t.utilisation, q.utilisation());
        if (!q.stable())
            return fail(QStringLiteral("%1 is overloaded at its share, rho = %2 >= 1: no steady state")
                            .arg(b.name, fixed(q.utilisation(), 2)));
        queues << WeightedQueue{share, q};
    }
    if (queues.isEmpty())
        return fail(QStringLiteral("no backend served a request"));
    t.model = e.lab.backends.size() == 1 ? QStringLiteral("M/M/%1").arg(e.lab.backends.first().faults.workers)
                                         : QStringLiteral("M/M/c per backend at its measured share (exact for a random "
                                                          "split; round robin and adaptive balancers do better)");
    double wait = 0;
    double total = 0;
    for (const WeightedQueue& q : std::as_const(queues)) {
        wait += q.share * q.queue.meanWaitMs();
        total += q.share;
    }
    t.meanWaitMs = wait / total;
    t.meanResponseMs = mixtureMeanResponseMs(queues);
    t.p95Ms = mixtureResponsePercentileMs(queues, 95);
    t.p99Ms = mixtureResponsePercentileMs(queues, 99);
    return t;
}

void measureKeysMoved(const Experiment& e, const QString& hashKey, double atMs, const std::vector<PlannedRequest>& plan,
                      const std::vector<RequestOutcome>& outcomes, ArmResult* arm)
{
    const bool byPath = hashKey == QLatin1String("path");
    if (!byPath && e.workload.users < 2)
        return; // one client: a single key, nothing to compare
    QMap<QByteArray, QByteArray> before; // key -> the backend of its last answer before the event
    QMap<QByteArray, QByteArray> after; // key -> the backend of its last answer (the new layout, once it settled)
    for (size_t i = 0; i < plan.size() && i < outcomes.size(); ++i) {
        const RequestOutcome& o = outcomes[i];
        if (o.failure != RequestOutcome::Failure::None || o.status >= 500 || o.echoServer.isEmpty())
            continue;
        const QByteArray key = byPath ? o.echoPath : o.echoUser;
        if (key.isEmpty())
            continue;
        (plan[i].atMs < atMs ? before : after).insert(key, o.echoServer);
    }
    int compared = 0;
    int moved = 0;
    for (auto it = before.cbegin(); it != before.cend(); ++it) {
        if (!after.contains(it.key()))
            continue;
        ++compared;
        moved += after.value(it.key()) != it.value() ? 1 : 0;
    }
    arm->keysCompared = compared;
    if (compared > 0)
        arm->keysMoved = double(moved) / double(compared);
}

double idealKeysMoved(TimelineEvent::Action action, int backends)
{
    if (action == TimelineEvent::Action::Add)
        return 1.0 / double(backends + 1);
    return backends > 0 ? 1.0 / double(backends) : 0;
}

} // namespace lab
