// The results of an experiment as the terminal's text, arms.csv, backends.csv and results.json, all
// from the one figure schema (ArmFigures.h), so a figure has the same name and meaning everywhere.
#include "ResultsReport.h"

#include "ArmFigures.h"

#include <QJsonArray>

namespace lab {

namespace {

constexpr int kArmWidth = 22;
constexpr int kLineWidth = 100;

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

// `text` broken into lines of at most kLineWidth, each starting with `indent`.
QString wrapped(const QString& text, const QString& indent = QStringLiteral("  "))
{
    QString out;
    QString line = indent;
    for (const QString& word : text.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        if (line.size() > indent.size() && line.size() + 1 + word.size() > kLineWidth) {
            out += line + QLatin1Char('\n');
            line = indent;
        }
        line += (line.size() > indent.size() ? QStringLiteral(" ") : QString()) + word;
    }
    return out + line + QLatin1Char('\n');
}

// One table of figures, a row per arm: each column as wide as its widest cell.
QString figureTable(const QString& title, const QList<ArmFigure>& figures, const QList<ArmResult>& arms)
{
    QList<ArmFigure> shown;
    for (ArmFigure f : figures) {
        if (armFigureShown(f, arms))
            shown << f;
    }
    QList<QStringList> rows;
    QStringList header{QString::fromLatin1(armFigureInfo(ArmFigure::Arm).header)};
    for (ArmFigure f : std::as_const(shown))
        header << QString::fromLatin1(armFigureInfo(f).header);
    rows << header;
    for (const ArmResult& a : arms) {
        QStringList cells{a.name};
        for (ArmFigure f : std::as_const(shown))
            cells << armFigureText(f, a);
        rows << cells;
    }
    QList<int> widths(header.size(), 0);
    widths[0] = kArmWidth;
    for (const QStringList& r : std::as_const(rows)) {
        for (qsizetype i = 0; i < r.size(); ++i)
            widths[i] = qMax(widths[i], int(r[i].size()));
    }
    QString out = title + QLatin1Char('\n');
    for (const QStringList& r : std::as_const(rows)) {
        QString line;
        for (qsizetype i = 0; i < r.size(); ++i)
            line += i == 0 ? r[i].leftJustified(widths[i]) : QStringLiteral("  ") + r[i].rightJustified(widths[i]);
        out += line + QLatin1Char('\n');
    }
    return out;
}

QString backendTable(const QList<ArmResult>& arms)
{
    QString out = QStringLiteral("backends (share = of the responses; attempts = requests it received, retries "
                                 "included; busy = its workers' busy time / (workers x run time))\n");
    out += QStringLiteral("%1  %2  %3  %4  %5  %6  %7  %8\n")
               .arg(QStringLiteral("arm").leftJustified(kArmWidth), QStringLiteral("backend").leftJustified(14),
                    QStringLiteral("workers"), QStringLiteral(" share"), QStringLiteral("attempts"),
                    QStringLiteral("busy"), QStringLiteral("max queue"), QStringLiteral("    p99"));
    for (const ArmResult& a : arms) {
        for (const BackendResult& b : a.backends) {
            out += QStringLiteral("%1  %2  %3  %4  %5  %6  %7  %8\n")
                       .arg(a.name.leftJustified(kArmWidth), b.name.leftJustified(14))
                       .arg(b.workers > 0 ? QString::number(b.workers) : QStringLiteral("any"), 7)
                       .arg(fixed(b.share * 100) + QLatin1Char('%'), 6)
                       .arg(b.attempts, 8)
                       .arg(b.busy < 0 ? QStringLiteral("n/a") : fixed(b.busy * 100, 0) + QLatin1Char('%'), 4)
                       .arg(b.maxQueue, 9)
                       .arg(fixed(b.latency.percentileMs(99)), 7);
        }
    }
    return out;
}

const BackendResult* busiestBackend(const ArmResult& a)
{
    const BackendResult* best = nullptr;
    for (const BackendResult& b : a.backends) {
        if (b.busy >= 0 && (!best || b.busy > best->busy))
            best = &b;
    }
    return best;
}

// The arms that share the lowest value of `key` (within 0.5 % of it), by name: "ring-hash and maglev".
template <typename Key> QString lowest(const QList<ArmResult>& arms, Key key, double* best)
{
    *best = key(arms.first());
    for (const ArmResult& a : arms)
        *best = qMin(*best, key(a));
    QStringList names;
    for (const ArmResult& a : arms) {
        if (key(a) <= *best + qAbs(*best) * 0.005 + 1e-9)
            names << a.name;
    }
    if (names.size() == arms.size())
        return {};
    return names.size() == 1
        ? names.first()
        : names.mid(0, names.size() - 1).join(QStringLiteral(", ")) + QStringLiteral(" and ") + names.last();
}

// "a, b and c".
QString names(const QStringList& list)
{
    return list.size() < 2
        ? list.join(QString())
        : list.mid(0, list.size() - 1).join(QStringLiteral(", ")) + QStringLiteral(" and ") + list.last();
}

// A hash on scale-up is judged by how close it moves to the ideal (the new backend's fair share of the
// keys), not by moving the fewest: moving fewer than the ideal only means the new backend gets less than
// its share, and ring-hash and Maglev land a few points either side of the ideal from run to run (14.3 %
// one run, 18.5 % the next), so ranking them by the raw figure named a different winner each time. Every
// arm within the tolerance of the ideal is called about the ideal: a third of the ideal, at least 5 points
// (6.7 points at the built-in 20 %: a consistent hash's run-to-run spread over a few hundred keys, while
// ip-hash moves about four times the ideal); the others are named with the factor by which they miss it.
double keysMovedTolerance(double ideal)
{
    return qMax(0.05, ideal / 3);
}

QString keysMovedVerdict(const QList<ArmResult>& arms)
{
    const double ideal = arms.first().keysMovedIdeal;
    const double tolerance = keysMovedTolerance(ideal);
    QStringList near, more, fewer, unknown;
    for (const ArmResult& a : arms) {
        if (!a.keysMoved) {
            unknown << a.name;
            continue;
        }
        const double moved = *a.keysMoved;
        const QString figure = QStringLiteral("%1 (%2%)").arg(a.name, fixed(moved * 100));
        const QString factor = ideal > 0 ? QStringLiteral(", %1x the ideal").arg(fixed(moved / ideal)) : QString();
        if (qAbs(moved - ideal) <= tolerance + 1e-9)
            near << figure;
        else if (moved > ideal)
            more << QStringLiteral("%1 moves %2%%3").arg(a.name, fixed(moved * 100), factor);
        else
            fewer << QStringLiteral("%1 moves %2%%3").arg(a.name, fixed(moved * 100), factor);
    }
    QString out = QStringLiteral("Keys moved against an ideal of %1% (the keys that must change backend; within "
                                 "\u00b1%2 points of it counts as about the ideal):")
                      .arg(fixed(ideal * 100), fixed(tolerance * 100));
    if (!near.isEmpty())
        out += QStringLiteral(" %1 %2 consistent \u2014 about the ideal.")
                   .arg(near.size() == arms.size() ? QStringLiteral("all arms,") + QLatin1Char(' ') + names(near)
                                                   : names(near),
                        near.size() == 1 ? QStringLiteral("is") : QStringLiteral("are"));
    if (!more.isEmpty())
        out += QStringLiteral(" Far more: %1.").arg(names(more));
    if (!fewer.isEmpty())
        out += QStringLiteral(" Far fewer: %1.").arg(names(fewer));
    if (!unknown.isEmpty())
        out += QStringLiteral(" Not measured: %1.").arg(names(unknown));
    return out;
}

QString theoryDetails(const QList<ArmResult>& arms)
{
    QString out = QStringLiteral("queueing theory (Erlang C) in detail: predicted | measured (measured vs "
                                 "predicted)\n");
    const QString pad(kArmWidth + 2, QLatin1Char(' '));
    const auto pair = [](double predicted, double measured) {
        return QStringLiteral("%1 | %2 (%3)").arg(fixed(predicted), fixed(measured), percentFrom(measured, predicted));
    };
    for (const ArmResult& a : arms) {
        if (!a.theory) {
            out += QStringLiteral("  %1no M/M/c prediction: %2\n").arg(a.name.leftJustified(kArmWidth), a.theoryNote);
            continue;
        }
        const TheoryResult& t = *a.theory;
        out += QStringLiteral("  %1%2, busiest backend's rho %3, mean wait in line %4 ms\n")
                   .arg(a.name.leftJustified(kArmWidth), t.model, fixed(t.utilisation, 2), fixed(t.meanWaitMs));
        out += QStringLiteral("  %1at the backends (wait + service): mean %2, p95 %3, p99 %4\n")
                   .arg(pad, pair(t.meanResponseMs, a.queueMeanMs), pair(t.p95Ms, a.queueLatency.percentileMs(95)),
                        pair(t.p99Ms, a.queueLatency.percentileMs(99)));
        out += QStringLiteral("  %1this very sample through ideal queues (no lab overhead): mean %2 ms\n")
                   .arg(pad, fixed(a.idealMeanMs));
    }
    return out;
}

} // namespace

QString experimentVerdict(const QList<ArmResult>& arms)
{
    if (arms.size() < 2)
        return {};
    QStringList out;
    double best = 0;
    const bool hashing = armFigureShown(ArmFigure::KeysMoved, arms);
    if (hashing)
        out << keysMovedVerdict(arms);
    const QString fewestErrors = lowest(
        arms, [](const ArmResult& a) { return double(a.errors()); }, &best);
    if (!fewestErrors.isEmpty()) {
        const auto most = std::max_element(
            arms.cbegin(), arms.cend(), [](const ArmResult& x, const ArmResult& y) { return x.errors() < y.errors(); });
        out << QStringLiteral("Fewest errors: %1, %2 of %3 requests (%4: %5).")
                   .arg(fewestErrors)
                   .arg(qint64(best))
                   .arg(most->requests)
                   .arg(most->name)
                   .arg(most->errors());
    }
    const auto heaviest = std::max_element(arms.cbegin(), arms.cend(),
                                           [](const ArmResult& x, const ArmResult& y) { return x.load() < y.load(); });
    if (heaviest->load() > 1.02)
        out << QStringLiteral("Retries amplify the load: under %1 the backends received %2 attempts for %3 "
                              "requests (%4x).")
                   .arg(heaviest->name)
                   .arg(heaviest->attempts())
                   .arg(heaviest->requests)
                   .arg(fixed(heaviest->load(), 2));
    if (hashing) // what a hash is for is keeping keys in place; its p99 is the workload's, not a result
        return out.join(QLatin1Char(' '));
    const auto byP99 = [](const ArmResult& x, const ArmResult& y) {
        return x.percentileMs(99) < y.percentileMs(99);
    };
    const ArmResult& fast = *std::min_element(arms.cbegin(), arms.cend(), byP99);
    const ArmResult& slow = *std::max_element(arms.cbegin(), arms.cend(), byP99);
    const QString fastest = lowest(
        arms, [](const ArmResult& a) { return a.percentileMs(99); }, &best);
    QString p99 = QStringLiteral("Lowest p99: %1, %2 ms; highest: %3, %4 ms.")
                      .arg(fastest.isEmpty() ? QStringLiteral("all alike") : fastest, fixed(best), slow.name,
                           fixed(slow.percentileMs(99)));
    const BackendResult* hot = busiestBackend(slow);
    const BackendResult* hotOfFast = busiestBackend(fast);
    if (hot && hotOfFast && (hot->maxQueue > hotOfFast->maxQueue + 2 || hot->busy > hotOfFast->busy + 0.1))
        p99 += QStringLiteral(" Why: under %1, %2 got %3 of the requests and was %4 busy, with up to %5 "
                              "waiting; under %6 the busiest backend (%7) was %8 busy, with up to %9 waiting.")
                   .arg(slow.name, hot->name, fixed(hot->share * 100) + QLatin1Char('%'),
                        fixed(hot->busy * 100, 0) + QLatin1Char('%'), QString::number(hot->maxQueue), fast.name,
                        hotOfFast->name, fixed(hotOfFast->busy * 100, 0) + QLatin1Char('%'),
                        QString::number(hotOfFast->maxQueue));
    out << p99;
    return out.join(QLatin1Char(' '));
}

QString resultsTable(const Experiment& e, const QList<ArmResult>& arms)
{
    Q_UNUSED(e);
    QString out;
    out += figureTable(QStringLiteral("latency, ms (client side: from each request's planned arrival to its last "
                                      "byte), with the M/M/c prediction beside it"),
                       {ArmFigure::Throughput, ArmFigure::Mean, ArmFigure::MmcMean, ArmFigure::P50, ArmFigure::P95,
                        ArmFigure::P99, ArmFigure::MmcP99, ArmFigure::P999},
                       arms);
    out += QLatin1Char('\n');
    out += figureTable(QStringLiteral("requests by outcome (ok = 2xx/3xx; ok + 4xx + 5xx + proxy 5xx + timeout + "
                                      "failed = requests)"),
                       {ArmFigure::Requests, ArmFigure::Ok, ArmFigure::Status4xx, ArmFigure::Backend5xx,
                        ArmFigure::Proxy5xx, ArmFigure::Timeouts, ArmFigure::Failed},
                       arms);
    out += QLatin1Char('\n');
    out += figureTable(QStringLiteral("load and balance"),
                       {ArmFigure::Retries, ArmFigure::Attempts, ArmFigure::Load, ArmFigure::MaxQueue,
                        ArmFigure::Busiest, ArmFigure::Jain, ArmFigure::KeysMoved},
                       arms);
    out += QLatin1Char('\n') + backendTable(arms) + QLatin1Char('\n');
    if (const QString v = experimentVerdict(arms); !v.isEmpty())
        out += wrapped(v, QString());
    out += QStringLiteral("\nnotes\n");
    const bool theory = armFigureShown(ArmFigure::MmcMean, arms);
    if (theory) {
        out += wrapped(theoryAssumptions());
    } else {
        QStringList why;
        for (const ArmResult& a : arms) {
            if (!why.contains(a.theoryNote))
                why << a.theoryNote;
        }
        out += wrapped(QStringLiteral("No M/M/c columns: the queueing model needs Poisson arrivals, exponential "
                                      "costs and plain M/M/c backends, and here %1.")
                           .arg(why.join(QStringLiteral("; "))));
    }
    out += wrapped(fairnessNote());
    out += wrapped(QStringLiteral("load = attempts / requests; failed = reset or no connection; proxy 5xx = "
                                  "the proxy's own 502/503/504 (no backend answered)."));
    if (armFigureShown(ArmFigure::KeysMoved, arms))
        out += wrapped(QStringLiteral("keys moved: ") + QString::fromLatin1(armFigureInfo(ArmFigure::KeysMoved).tip) +
                       QLatin1Char('.'));
    if (theory)
        out += QLatin1Char('\n') + theoryDetails(arms);
    return out;
}

QByteArray armsCsv(const QList<ArmResult>& arms)
{
    QStringList header;
    for (ArmFigure f : allArmFigures()) {
        header << QString::fromLatin1(armFigureInfo(f).csv);
        if (f == ArmFigure::Arm)
            header << QStringLiteral("algorithm");
    }
    header << QStringLiteral("keys_moved_ideal") << QStringLiteral("mmc_p95_ms") << QStringLiteral("mmc_wait_ms")
           << QStringLiteral("mmc_rho") << QStringLiteral("backend_mean_ms") << QStringLiteral("backend_p95_ms")
           << QStringLiteral("backend_p99_ms") << QStringLiteral("ideal_queue_mean_ms")
           << QStringLiteral("max_send_lag_ms");
    QByteArray out = header.join(QLatin1Char(',')).toUtf8() + '\n';
    const auto number = [](const QJsonValue& v) {
        return v.isNull() ? QString() : v.isString() ? v.toString() : QString::number(v.toDouble(), 'g', 10);
    };
    for (const ArmResult& a : arms) {
        QStringList cells;
        for (ArmFigure f : allArmFigures()) {
            cells << number(armFigureValue(f, a));
            if (f == ArmFigure::Arm)
                cells << a.algorithm;
        }
        const auto theory = [&a](double TheoryResult::*field) {
            return a.theory ? fixed((*a.theory).*field, 3) : QString();
        };
        cells << (a.keysMoved ? fixed(a.keysMovedIdeal, 4) : QString()) << theory(&TheoryResult::p95Ms)
              << theory(&TheoryResult::meanWaitMs) << theory(&TheoryResult::utilisation) << fixed(a.queueMeanMs, 3)
              << fixed(a.queueLatency.percentileMs(95), 3) << fixed(a.queueLatency.percentileMs(99), 3)
              << fixed(a.idealMeanMs, 3) << fixed(a.maxSendLagMs, 3);
        out += cells.join(QLatin1Char(',')).toUtf8() + '\n';
    }
    return out;
}

QByteArray backendsCsv(const QList<ArmResult>& arms)
{
    QByteArray out =
        "arm,backend,workers,served,share,attempts,attempt_share,busy,max_queue,mean_ms,p50_ms,p95_ms,p99_ms\n";
    for (const ArmResult& a : arms) {
        for (const BackendResult& b : a.backends) {
            QStringList cells{a.name,
                              b.name,
                              QString::number(b.workers),
                              QString::number(b.served),
                              fixed(b.share, 4),
                              QString::number(b.attempts),
                              fixed(b.attemptShare, 4),
                              b.busy < 0 ? QString() : fixed(b.busy, 4),
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
        QJsonObject o;
        for (ArmFigure f : allArmFigures())
            o.insert(QString::fromLatin1(armFigureInfo(f).json), armFigureValue(f, a));
        o.insert(QStringLiteral("algorithm"), a.algorithm);
        o.insert(QStringLiteral("completed"), double(a.completed));
        o.insert(QStringLiteral("elapsedMs"), a.elapsedMs);
        o.insert(QStringLiteral("maxSendLagMs"), a.maxSendLagMs);
        o.insert(QStringLiteral("idealQueueMeanMs"), a.idealMeanMs);
        o.insert(QStringLiteral("backendSide"),
                 QJsonObject{{QStringLiteral("timed"), double(a.queueTimed)},
                             {QStringLiteral("meanMs"), a.queueMeanMs},
                             {QStringLiteral("p95Ms"), a.queueLatency.percentileMs(95)},
                             {QStringLiteral("p99Ms"), a.queueLatency.percentileMs(99)}});
        o.insert(QStringLiteral("status"),
                 QJsonObject{{QStringLiteral("2xx"), double(a.byClass[2])},
                             {QStringLiteral("3xx"), double(a.byClass[3])},
                             {QStringLiteral("4xx"), double(a.byClass[4])},
                             {QStringLiteral("5xx"), double(a.byClass[5])},
                             {QStringLiteral("reset"), double(a.resets)},
                             {QStringLiteral("connectFailure"), double(a.connectFailures)}});
        o.insert(QStringLiteral("histogram"), histogramJson(a.latency));
        if (a.keysMoved) {
            o.insert(QStringLiteral("keysMovedIdeal"), a.keysMovedIdeal);
            o.insert(QStringLiteral("keysCompared"), a.keysCompared);
        }
        if (a.theory) {
            o.insert(QStringLiteral("mmc"),
                     QJsonObject{{QStringLiteral("model"), a.theory->model},
                                 {QStringLiteral("rho"), a.theory->utilisation},
                                 {QStringLiteral("waitMs"), a.theory->meanWaitMs},
                                 {QStringLiteral("meanMs"), a.theory->meanResponseMs},
                                 {QStringLiteral("p95Ms"), a.theory->p95Ms},
                                 {QStringLiteral("p99Ms"), a.theory->p99Ms}});
        } else {
            o.insert(QStringLiteral("mmc"), QJsonObject{{QStringLiteral("none"), a.theoryNote}});
        }
        QJsonArray backends;
        for (const BackendResult& b : a.backends) {
            backends.append(QJsonObject{{QStringLiteral("name"), b.name},
                                        {QStringLiteral("workers"), b.workers},
                                        {QStringLiteral("served"), double(b.served)},
                                        {QStringLiteral("share"), b.share},
                                        {QStringLiteral("attempts"), double(b.attempts)},
                                        {QStringLiteral("attemptShare"), b.attemptShare},
                                        {QStringLiteral("busy"), b.busy < 0 ? QJsonValue() : QJsonValue(b.busy)},
                                        {QStringLiteral("maxQueue"), b.maxQueue},
                                        {QStringLiteral("meanMs"), b.meanMs},
                                        {QStringLiteral("p50Ms"), b.latency.percentileMs(50)},
                                        {QStringLiteral("p95Ms"), b.latency.percentileMs(95)},
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
