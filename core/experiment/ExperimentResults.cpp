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

QJsonArray histogramJson(const LatencySummary& s)
{
    QJsonArray out;
    for (int b = 0; b < LatencyHistogram::kBuckets; ++b) {
        if (s.buckets[size_t(b)] == 0)
            continue;
        out.append(QJsonArray{double(LatencyHistogram::bucketLowerMicros(b)),
                              double(LatencyHistogram::bucketUpperMicros(b)), double(s.buckets[size_t(b)])});
    }
    return out;
}

// A fake backend is a plain M/M/c when the cost header (exponential) is its whole service and nothing
// but the line adds to it.
bool plainQueue(const FaultProfile& f)
{
    return f.workers > 0 && f.latencyMs == 0 && f.jitterMs == 0 && f.capacity == 0 && !f.hang && !f.refuse &&
        f.errorRatePercent == 0;
}

} // namespace

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
    for (const BackendResult& b : std::as_const(backends))
        named += b.served;
    QList<double> shares;
    for (qsizetype i = 0; i < backends.size(); ++i) {
        BackendResult& b = backends[i];
        b.share = named ? double(b.served) / double(named) : 0;
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
            return fail(QStringLiteral("%1 is not a plain M/M/c (it needs workers > 0 and no latency, jitter, "
                                       "capacity or injected errors)")
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
            return fail(QStringLiteral("%1 is overloaded at its share (rho = %2 >= 1): no steady state")
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
                      const std::vector<RequestOutcome>& outcomes, const QStringList& outcomeBackends, ArmResult* arm)
{
    const bool byPath = hashKey == QLatin1String("path");
    if (!byPath && e.workload.users < 2)
        return; // one client: a single key, nothing to compare
    QMap<QByteArray, int> before; // key -> backend of its last answer before the event
    QMap<QByteArray, int> after; // key -> backend of its last answer (the new layout, once it settled)
    for (size_t i = 0; i < plan.size() && i < outcomes.size(); ++i) {
        const RequestOutcome& o = outcomes[i];
        if (o.failure != RequestOutcome::Failure::None || o.backend < 0 || o.status >= 500)
            continue;
        const QByteArray key = byPath ? plan[i].path : QByteArray::number(plan[i].user);
        if (plan[i].atMs < atMs)
            before.insert(key, o.backend);
        else
            after.insert(key, o.backend);
    }
    int compared = 0;
    int moved = 0;
    for (auto it = before.cbegin(); it != before.cend(); ++it) {
        if (!after.contains(it.key()))
            continue;
        ++compared;
        moved += outcomeBackends.value(after.value(it.key())) != outcomeBackends.value(it.value()) ? 1 : 0;
    }
    arm->keysCompared = compared;
    if (compared > 0)
        arm->keysMoved = double(moved) / double(compared);
}

QString resultsTable(const Experiment& e, const QList<ArmResult>& arms)
{
    QString out;
    const auto row = [&out](const QStringList& cells, const QList<int>& widths) {
        QString line;
        for (qsizetype i = 0; i < cells.size(); ++i)
            line +=
                i == 0 ? cells[i].leftJustified(widths[i]) : QStringLiteral("  ") + cells[i].rightJustified(widths[i]);
        out += line + QLatin1Char('\n');
    };
    const QList<int> widths{22, 6, 7, 7, 7, 7, 7, 8, 5, 5, 7, 5, 5};
    row({QStringLiteral("arm"), QStringLiteral("ok"), QStringLiteral("req/s"), QStringLiteral("mean"),
         QStringLiteral("p50"), QStringLiteral("p95"), QStringLiteral("p99"), QStringLiteral("p99.9"),
         QStringLiteral("5xx"), QStringLiteral("fail"), QStringLiteral("retries"), QStringLiteral("maxQ"),
         QStringLiteral("jain")},
        widths);
    for (const ArmResult& a : arms) {
        row({a.name, QString::number(a.completed), fixed(a.throughputPerSecond), fixed(a.meanMs),
             fixed(a.percentileMs(50)), fixed(a.percentileMs(95)), fixed(a.percentileMs(99)),
             fixed(a.percentileMs(99.9)), QString::number(a.byClass[5]),
             QString::number(a.resets + a.timeouts + a.connectFailures), QString::number(a.retries),
             QString::number(a.maxQueue), fixed(a.jainIndex, 2)},
            widths);
    }
    out += QStringLiteral("(latency in ms, from each request's planned arrival to its last byte; fail = reset, "
                          "timeout or no connection)\n\nshare of responses per backend (attempts it received):\n");
    for (const ArmResult& a : arms) {
        QStringList parts;
        for (const BackendResult& b : a.backends)
            parts << QStringLiteral("%1 %2% (%3)").arg(b.name, fixed(b.share * 100)).arg(b.attempts);
        out += QStringLiteral("  %1: %2\n").arg(a.name.leftJustified(20), parts.join(QStringLiteral(", ")));
    }
    bool anyKeys = false;
    for (const ArmResult& a : arms)
        anyKeys = anyKeys || a.keysMoved.has_value();
    if (anyKeys) {
        out += QStringLiteral("\nkeys that changed backend across the timeline's first add/stop:\n");
        for (const ArmResult& a : arms) {
            out += QStringLiteral("  %1: %2\n")
                       .arg(a.name.leftJustified(20),
                            a.keysMoved
                                ? QStringLiteral("%1% of %2 keys").arg(fixed(*a.keysMoved * 100)).arg(a.keysCompared)
                                : QStringLiteral("n/a"));
        }
    }
    out += QStringLiteral("\nqueueing theory (Erlang C) beside the measurement:\n");
    for (const ArmResult& a : arms) {
        if (!a.theory) {
            out += QStringLiteral("  %1: n/a (%2)\n").arg(a.name.leftJustified(20), a.theoryNote);
            continue;
        }
        const TheoryResult& t = *a.theory;
        const auto pair = [](double theory, double measured) {
            return QStringLiteral("%1 / %2 (%3%4%)")
                .arg(fixed(theory), fixed(measured), measured >= theory ? QStringLiteral("+") : QString(),
                     fixed(theory > 0 ? (measured - theory) / theory * 100 : 0, 0));
        };
        out += QStringLiteral("  %1: %2, rho %3, mean wait %4 ms\n")
                   .arg(a.name.leftJustified(20), t.model, fixed(t.utilisation, 2), fixed(t.meanWaitMs));
        out += QStringLiteral("  %1  theory / at the backends (wait + service): mean %2, p95 %3, p99 %4\n")
                   .arg(QString(20, QLatin1Char(' ')), pair(t.meanResponseMs, a.queueMeanMs),
                        pair(t.p95Ms, a.queueLatency.percentileMs(95)), pair(t.p99Ms, a.queueLatency.percentileMs(99)));
        out += QStringLiteral("  %1  this sample through ideal queues (no lab overhead): mean %2\n")
                   .arg(QString(20, QLatin1Char(' ')), fixed(a.idealMeanMs));
        out += QStringLiteral("  %1  theory / at the client (+ proxy, network): mean %2, p95 %3, p99 %4\n")
                   .arg(QString(20, QLatin1Char(' ')), pair(t.meanResponseMs, a.meanMs),
                        pair(t.p95Ms, a.percentileMs(95)), pair(t.p99Ms, a.percentileMs(99)));
    }
    Q_UNUSED(e);
    return out;
}

QByteArray armsCsv(const QList<ArmResult>& arms)
{
    QByteArray out = "arm,algorithm,requests,completed,throughput_per_s,mean_ms,p50_ms,p95_ms,p99_ms,p999_ms,"
                     "2xx,4xx,5xx,resets,timeouts,connect_failures,retries,max_queue,jain,keys_moved,"
                     "queue_mean_ms,queue_p95_ms,queue_p99_ms,theory_mean_ms,theory_p95_ms,theory_p99_ms\n";
    for (const ArmResult& a : arms) {
        QStringList cells{a.name,
                          a.algorithm,
                          QString::number(a.requests),
                          QString::number(a.completed),
                          fixed(a.throughputPerSecond, 2),
                          fixed(a.meanMs, 3),
                          fixed(a.percentileMs(50), 3),
                          fixed(a.percentileMs(95), 3),
                          fixed(a.percentileMs(99), 3),
                          fixed(a.percentileMs(99.9), 3),
                          QString::number(a.byClass[2]),
                          QString::number(a.byClass[4]),
                          QString::number(a.byClass[5]),
                          QString::number(a.resets),
                          QString::number(a.timeouts),
                          QString::number(a.connectFailures),
                          QString::number(a.retries),
                          QString::number(a.maxQueue),
                          fixed(a.jainIndex, 4),
                          a.keysMoved ? fixed(*a.keysMoved, 4) : QString(),
                          fixed(a.queueMeanMs, 3),
                          fixed(a.queueLatency.percentileMs(95), 3),
                          fixed(a.queueLatency.percentileMs(99), 3),
                          a.theory ? fixed(a.theory->meanResponseMs, 3) : QString(),
                          a.theory ? fixed(a.theory->p95Ms, 3) : QString(),
                          a.theory ? fixed(a.theory->p99Ms, 3) : QString()};
        out += cells.join(QLatin1Char(',')).toUtf8() + '\n';
    }
    return out;
}

QByteArray backendsCsv(const QList<ArmResult>& arms)
{
    QByteArray out = "arm,backend,workers,served,share,attempts,max_queue,mean_ms,p50_ms,p95_ms,p99_ms\n";
    for (const ArmResult& a : arms) {
        for (const BackendResult& b : a.backends) {
            QStringList cells{a.name,
                              b.name,
                              QString::number(b.workers),
                              QString::number(b.served),
                              fixed(b.share, 4),
                              QString::number(b.attempts),
                              QString::number(b.maxQueue),
                              fixed(b.meanMs, 3),
                              fixed(b.latency.percentileMs(50), 3),
                              fixed(b.latency.percentileMs(95), 3),
                              fixed(b.latency.percentileMs(99), 3)};
            out += cells.join(QLatin1Char(',')).toUtf8() + '\n';
        }
    }
    return out;
}

QJsonObject resultsJson(const Experiment& e, const QList<ArmResult>& arms)
{
    QJsonArray armList;
    for (const ArmResult& a : arms) {
        QJsonObject o{{QStringLiteral("name"), a.name},
                      {QStringLiteral("algorithm"), a.algorithm},
                      {QStringLiteral("requests"), double(a.requests)},
                      {QStringLiteral("completed"), double(a.completed)},
                      {QStringLiteral("throughputPerSecond"), a.throughputPerSecond},
                      {QStringLiteral("elapsedMs"), a.elapsedMs},
                      {QStringLiteral("meanMs"), a.meanMs},
                      {QStringLiteral("p50Ms"), a.percentileMs(50)},
                      {QStringLiteral("p95Ms"), a.percentileMs(95)},
                      {QStringLiteral("p99Ms"), a.percentileMs(99)},
                      {QStringLiteral("p999Ms"), a.percentileMs(99.9)},
                      {QStringLiteral("maxSendLagMs"), a.maxSendLagMs},
                      {QStringLiteral("idealMeanMs"), a.idealMeanMs},
                      {QStringLiteral("queue"),
                       QJsonObject{{QStringLiteral("timed"), double(a.queueTimed)},
                                   {QStringLiteral("meanMs"), a.queueMeanMs},
                                   {QStringLiteral("p95Ms"), a.queueLatency.percentileMs(95)},
                                   {QStringLiteral("p99Ms"), a.queueLatency.percentileMs(99)}}},
                      {QStringLiteral("status"),
                       QJsonObject{{QStringLiteral("2xx"), double(a.byClass[2])},
                                   {QStringLiteral("3xx"), double(a.byClass[3])},
                                   {QStringLiteral("4xx"), double(a.byClass[4])},
                                   {QStringLiteral("5xx"), double(a.byClass[5])},
                                   {QStringLiteral("reset"), double(a.resets)},
                                   {QStringLiteral("timeout"), double(a.timeouts)},
                                   {QStringLiteral("connectFailure"), double(a.connectFailures)}}},
                      {QStringLiteral("retries"), double(a.retries)},
                      {QStringLiteral("maxQueue"), a.maxQueue},
                      {QStringLiteral("jainIndex"), a.jainIndex},
                      {QStringLiteral("histogram"), histogramJson(a.latency)}};
        if (a.keysMoved) {
            o.insert(QStringLiteral("keysMoved"), *a.keysMoved);
            o.insert(QStringLiteral("keysCompared"), a.keysCompared);
        }
        if (a.theory) {
            o.insert(QStringLiteral("theory"),
                     QJsonObject{{QStringLiteral("model"), a.theory->model},
                                 {QStringLiteral("utilisation"), a.theory->utilisation},
                                 {QStringLiteral("meanWaitMs"), a.theory->meanWaitMs},
                                 {QStringLiteral("meanResponseMs"), a.theory->meanResponseMs},
                                 {QStringLiteral("p95Ms"), a.theory->p95Ms},
                                 {QStringLiteral("p99Ms"), a.theory->p99Ms}});
        } else {
            o.insert(QStringLiteral("theory"), QJsonObject{{QStringLiteral("none"), a.theoryNote}});
        }
        QJsonArray backends;
        for (const BackendResult& b : a.backends) {
            backends.append(QJsonObject{{QStringLiteral("name"), b.name},
                                        {QStringLiteral("workers"), b.workers},
                                        {QStringLiteral("served"), double(b.served)},
                                        {QStringLiteral("share"), b.share},
                                        {QStringLiteral("attempts"), double(b.attempts)},
                                        {QStringLiteral("maxQueue"), b.maxQueue},
                                        {QStringLiteral("meanMs"), b.meanMs},
                                        {QStringLiteral("p50Ms"), b.latency.percentileMs(50)},
                                        {QStringLiteral("p99Ms"), b.latency.percentileMs(99)},
                                        {QStringLiteral("histogram"), histogramJson(b.latency)}});
        }
        o.insert(QStringLiteral("backends"), backends);
        armList.append(o);
    }
    const WorkloadSpec& w = e.workload;
    return QJsonObject{{QStringLiteral("title"), e.title},
                       {QStringLiteral("workload"),
                        QJsonObject{{QStringLiteral("seed"), double(w.seed)},
                                    {QStringLiteral("arrival"), arrivalName(w.arrival)},
                                    {QStringLiteral("ratePerSecond"), w.ratePerSecond},
                                    {QStringLiteral("durationMs"), w.durationMs},
                                    {QStringLiteral("requests"), w.requests},
                                    {QStringLiteral("users"), w.users},
                                    {QStringLiteral("path"), QString::fromUtf8(w.path)},
                                    {QStringLiteral("cost"), costName(w.cost)},
                                    {QStringLiteral("costMeanMs"), w.costMeanMs}}},
                       {QStringLiteral("arms"), armList}};
}

} // namespace lab
