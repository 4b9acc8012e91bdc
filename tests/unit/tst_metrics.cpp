// Pure metrics logic: the history behind the board and charts, the event log, the trace ring.
#include "metrics/EventLog.h"
#include "metrics/MetricsHistory.h"
#include "metrics/RequestTrace.h"

#include <QTest>

using namespace lab;

namespace {
// A snapshot at `atMs` where backend 0 has answered `requests` requests, each taking `micros`.
MetricsSnapshot snap(qint64 atMs, std::uint64_t requests, std::uint64_t micros = 1000, std::uint64_t errors = 0)
{
    MetricsSnapshot s;
    s.takenAtMs = atMs;
    BackendStats b;
    b.id = 0;
    b.name = QStringLiteral("a");
    b.traffic.requests = requests;
    b.traffic.responsesByClass[5] = errors;
    b.traffic.latency.buckets[size_t(LatencyHistogram::bucketOf(micros))] = requests;
    b.traffic.latency.total = requests;
    s.backends.append(b);
    s.listener = b.traffic;
    return s;
}
} // namespace

class TestMetrics : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void rateOverTheWindow();
    void rateWithTooLittleHistoryIsZero();
    void recentLatencyIsOnlyTheWindow();
    void historyIsBounded();
    void backendAddedLaterCountsFromZero();
    void proxyAnswersAreCountedApartSinceReset();
    void eventLogKeepsOrderAndBound();
    void eventLogSuppressesFloods();
    void eventLogSummarisesAFloodWhenItsSecondEnds();
    void eventLogNeverCutsAStateChange();
    void traceFindsTokens();
    void histogramBucketsTileTheRange();
    void percentilesOfKnownValues_data();
    void percentilesOfKnownValues();
    void percentileOfAWindowStaysInTheWindowsBuckets();
};

void TestMetrics::rateOverTheWindow()
{
    MetricsHistory h;
    for (int i = 0; i <= 20; ++i)
        h.push(snap(1000 + i * 100, std::uint64_t(i) * 50)); // 500 requests per second
    QCOMPARE(h.requestRate(0, 1000), 500.0);
    QCOMPARE(h.requestRate(-1, 1000), 500.0);
    QCOMPARE(h.recentRequests(0, 1000), 500ULL);
    QCOMPARE(h.requestRate(42, 1000), 0.0); // unknown backend
}

void TestMetrics::rateWithTooLittleHistoryIsZero()
{
    MetricsHistory h;
    QCOMPARE(h.requestRate(0, 1000), 0.0);
    h.push(snap(1000, 100));
    QCOMPARE(h.requestRate(0, 1000), 0.0);
    h.push(snap(1500, 150)); // half a second of history: rate over what there is
    QCOMPARE(h.requestRate(0, 1000), 100.0);
}

void TestMetrics::recentLatencyIsOnlyTheWindow()
{
    MetricsHistory h;
    // 1000 slow requests long ago, then 100 fast ones in the last second.
    MetricsSnapshot old = snap(0, 1000, 200'000);
    h.push(old);
    MetricsSnapshot now = old;
    now.takenAtMs = 20'000;
    now.backends[0].traffic.requests += 100;
    now.backends[0].traffic.latency.buckets[size_t(LatencyHistogram::bucketOf(500))] += 100;
    now.backends[0].traffic.latency.total += 100;
    h.push(now);
    const LatencySummary recent = h.recentLatency(0, 1000);
    QCOMPARE(recent.total, 100ULL);
    QVERIFY(recent.percentileMs(99) < 1.0);
    QVERIFY(now.backends[0].traffic.latency.percentileMs(50) > 100); // the cumulative view would mislead
}

void TestMetrics::historyIsBounded()
{
    MetricsHistory h(10'000);
    for (int i = 0; i < 1000; ++i)
        h.push(snap(i * 100, std::uint64_t(i)));
    // 10 s of 100 ms snapshots are kept, plus one base: a longer window is capped at what is kept.
    QCOMPARE(h.recentRequests(0, 60'000), 100ULL);
    QCOMPARE(h.requestRate(0, 60'000), 10.0);
}

void TestMetrics::backendAddedLaterCountsFromZero()
{
    MetricsHistory h;
    MetricsSnapshot a = snap(0, 10);
    h.push(a);
    MetricsSnapshot b = snap(1000, 20);
    BackendStats added;
    added.id = 7;
    added.traffic.requests = 30;
    b.backends.append(added);
    h.push(b);
    QCOMPARE(h.recentRequests(7, 1000), 30ULL);
    QCOMPARE(h.recentRequests(0, 1000), 10ULL);
}

void TestMetrics::proxyAnswersAreCountedApartSinceReset()
{
    // The listener's counters as a worker bumps them: two 5xx from backends passed on, one 503 and three
    // 429 the proxy wrote itself, one request that ended without a response.
    TrafficCounters c;
    c.countResponse(502);
    c.countResponse(500);
    c.countProxyAnswer(503);
    for (int i = 0; i < 3; ++i) {
        c.add(c.rateLimited);
        c.countProxyAnswer(429);
    }
    c.countResponse(0);
    TrafficStats t;
    t.add(c);
    QCOMPARE(t.responsesByClass[5], quint64(3));
    QCOMPARE(t.backend5xx(), quint64(2));
    QCOMPARE(t.answeredByProxy, quint64(4));
    QCOMPARE(t.answeredByProxy5xx, quint64(1));
    QCOMPARE(t.responsesByClass[4], quint64(3));
    QCOMPARE(t.responsesByClass[0], quint64(1));

    // After Reset (the baseline) each of them counts from zero, the rate limiter's 429s too.
    MetricsHistory h;
    MetricsSnapshot a = snap(0, 10);
    a.listener.add(t);
    h.push(a);
    h.setBaseline();
    MetricsSnapshot b = snap(1000, 10);
    b.listener.add(t);
    b.listener.rateLimited += 2;
    b.listener.answeredByProxy += 2;
    b.listener.responsesByClass[4] += 2;
    h.push(b);
    const TrafficStats since = h.sinceBaseline(-1);
    QCOMPARE(since.rateLimited, quint64(2));
    QCOMPARE(since.answeredByProxy, quint64(2));
    QCOMPARE(since.answeredByProxy5xx, quint64(0));
    QCOMPARE(since.backend5xx(), quint64(0));
}

void TestMetrics::eventLogKeepsOrderAndBound()
{
    EventLog log(5, 1000);
    for (int i = 0; i < 8; ++i)
        log.append(LabEvent::Kind::Config, QStringLiteral("e%1").arg(i));
    const QList<LabEvent> all = log.since(0);
    QCOMPARE(all.size(), 5);
    QCOMPARE(all.first().text, QStringLiteral("e3"));
    QCOMPARE(all.last().text, QStringLiteral("e7"));
    QCOMPARE(log.since(all[3].sequence).size(), 1);
    QCOMPARE(log.since(log.lastSequence()).size(), 0);
    QCOMPARE(EventLog::kindName(LabEvent::Kind::Failover), QStringLiteral("failover"));
}

void TestMetrics::eventLogSuppressesFloods()
{
    EventLog log(1000, 20);
    for (int i = 0; i < 500; ++i)
        log.append(LabEvent::Kind::Failover, QStringLiteral("failover %1").arg(i));
    // Within one second (the test runs in far less, or straddles one boundary) at most 2 x 20 get through.
    const int kept = int(log.since(0).size());
    QVERIFY2(kept >= 20 && kept <= 41, qPrintable(QString::number(kept)));
    QVERIFY(log.suppressed() >= 500 - 41);
    // Another kind has its own budget: a flood of failovers does not hide a health transition.
    log.append(LabEvent::Kind::Health, QStringLiteral("backend-8002 DOWN"));
    QCOMPARE(log.since(log.lastSequence() - 1).last().text, QStringLiteral("backend-8002 DOWN"));
}

// A learner's trial: a flood of health notes used up the second's budget and the "circuit OPEN" that
// followed was cut, so the log's first breaker line read "half-open".
void TestMetrics::eventLogNeverCutsAStateChange()
{
    const QDateTime wall(QDate(2026, 1, 2), QTime(12, 0, 0));
    EventLog log(100, 3);
    for (int i = 0; i < 10; ++i)
        log.append(LabEvent::Kind::Health, QStringLiteral("note %1").arg(i), wall.addMSecs(i), 5'000 + i);
    log.append(LabEvent::Kind::Health, QStringLiteral("backend-8002 circuit OPEN"), wall.addMSecs(20), 5'020,
               EventLog::Priority::StateChange);
    log.append(LabEvent::Kind::Health, QStringLiteral("note 10"), wall.addMSecs(21), 5'021);
    const QList<LabEvent> all = log.since(0);
    QCOMPARE(all.size(), 4); // three notes, then the state change; the other notes were cut
    QCOMPARE(all.last().text, QStringLiteral("backend-8002 circuit OPEN"));
    QCOMPARE(log.suppressed(), 8ULL);
}

void TestMetrics::eventLogSummarisesAFloodWhenItsSecondEnds()
{
    // Explicit clocks: steady second 10 starts at 10'000 ms, when the wall clock reads 12:00:00.000.
    const QDateTime wallAt10s(QDate(2026, 1, 2), QTime(12, 0, 0));
    auto wall = [&](qint64 steadyMs) {
        return wallAt10s.addMSecs(steadyMs - 10'000);
    };
    EventLog log(100, 2);
    for (int i = 0; i < 5; ++i)
        log.append(LabEvent::Kind::Failover, QStringLiteral("failover %1").arg(i), wall(10'100 + i), 10'100 + i);
    QCOMPARE(log.since(0).size(), 2);
    QCOMPARE(log.suppressed(), 3ULL);
    // Still inside the second: nothing to summarise yet.
    log.closeSuppressionWindow(wall(10'900), 10'900);
    QCOMPARE(log.since(0).size(), 2);
    // The reader's poll 300 ms after the second ended writes the summary, stamped when the second ended.
    log.closeSuppressionWindow(wall(11'300), 11'300);
    QList<LabEvent> all = log.since(0);
    QCOMPARE(all.size(), 3);
    QCOMPARE(all.last().kind, LabEvent::Kind::Failover);
    QCOMPARE(all.last().text,
             QStringLiteral("3 more failover events in the previous second were not logged (limit 2 per second)"));
    QCOMPARE(all.last().time, wall(11'000));
    // Written once: a later poll or event adds no second summary.
    log.closeSuppressionWindow(wall(12'500), 12'500);
    log.append(LabEvent::Kind::Health, QStringLiteral("backend-8002 UP"), wall(190'000), 190'000);
    all = log.since(0);
    QCOMPARE(all.size(), 4);
    QCOMPARE(all.last().text, QStringLiteral("backend-8002 UP"));
    QCOMPARE(all.last().time, wall(190'000));

    // No poll at all: the next event, minutes later, still stamps the summary with the end of its second.
    EventLog quiet(100, 1);
    quiet.append(LabEvent::Kind::Proxy, QStringLiteral("a"), wall(20'000), 20'000);
    quiet.append(LabEvent::Kind::Proxy, QStringLiteral("b"), wall(20'500), 20'500);
    quiet.append(LabEvent::Kind::Proxy, QStringLiteral("c"), wall(200'000), 200'000);
    all = quiet.since(0);
    QCOMPARE(all.size(), 3);
    QVERIFY(all[1].text.startsWith(QStringLiteral("1 more proxy events")));
    QCOMPARE(all[1].time, wall(21'000));
    QCOMPARE(all[2].text, QStringLiteral("c"));

    // A lab about to be replaced: its flood's summary is written at once, before what comes next, and once.
    EventLog replaced(100, 1);
    for (int i = 0; i < 4; ++i)
        replaced.append(LabEvent::Kind::Failover, QStringLiteral("f%1").arg(i));
    replaced.flushSuppressed();
    replaced.append(LabEvent::Kind::Config, QStringLiteral("lab loaded"));
    replaced.closeSuppressionWindow();
    all = replaced.since(0);
    QCOMPARE(all.size(), 3);
    QCOMPARE(all[1].text,
             QStringLiteral("3 more failover events in the last second were not logged (limit 1 per second)"));
    QCOMPARE(all[2].text, QStringLiteral("lab loaded"));
}

void TestMetrics::traceFindsTokens()
{
    RequestTrace trace(3, 100);
    for (int i = 0; i < 3; ++i) {
        TraceEntry e;
        e.path = QStringLiteral("/%1").arg(i);
        e.token = i == 1 ? QStringLiteral("t1") : QString();
        trace.record(e);
    }
    QCOMPARE(trace.findToken(QStringLiteral("t1"))->path, QStringLiteral("/1"));
    QVERIFY(!trace.findToken(QStringLiteral("nope")));
    for (int i = 0; i < 3; ++i)
        trace.record({});
    QVERIFY(!trace.findToken(QStringLiteral("t1"))); // the ring moved on
    QCOMPARE(trace.lastSequence(), 6ULL);
}

void TestMetrics::histogramBucketsTileTheRange()
{
    // Every bucket starts where the previous one ends, holds its own edges, and spans at most 1/32 of
    // its lower edge: the 3.1% worst case the header promises.
    for (int b = 0; b < LatencyHistogram::kBuckets; ++b) {
        const std::uint64_t lower = LatencyHistogram::bucketLowerMicros(b);
        const std::uint64_t upper = LatencyHistogram::bucketUpperMicros(b);
        QCOMPARE(LatencyHistogram::bucketOf(lower), b);
        QCOMPARE(LatencyHistogram::bucketOf(upper - 1), b);
        if (b + 1 < LatencyHistogram::kBuckets)
            QCOMPARE(LatencyHistogram::bucketLowerMicros(b + 1), upper);
        if (lower >= 32)
            QVERIFY2((upper - lower) * 32 <= lower, qPrintable(QString::number(b)));
    }
    QCOMPARE(LatencyHistogram::bucketOf(0), 0);
    QCOMPARE(LatencyHistogram::bucketOf(UINT64_MAX), LatencyHistogram::kBuckets - 1);
}

void TestMetrics::percentilesOfKnownValues_data()
{
    QTest::addColumn<QList<std::uint64_t>>("micros"); // recorded in this order
    QTest::addColumn<double>("p");
    QTest::addColumn<double>("expectedMs");
    QTest::addColumn<double>("toleranceMs");
    QList<std::uint64_t> fixed200(1000, 200'000);
    QTest::newRow("fixed 200 ms p50") << fixed200 << 50.0 << 200.0 << 0.0;
    QTest::newRow("fixed 200 ms p99") << fixed200 << 99.0 << 200.0 << 0.0;
    QList<std::uint64_t> fixed100(1000, 100'000);
    QTest::newRow("fixed 100 ms p99") << fixed100 << 99.0 << 100.0 << 0.0;
    QList<std::uint64_t> spread; // 200.0 .. 201.0 ms in 1 us steps, as a real fixed backend answers
    for (std::uint64_t us = 200'000; us <= 201'000; ++us)
        spread << us;
    QTest::newRow("200-201 ms p50") << spread << 50.0 << 200.5 << 0.2;
    QTest::newRow("200-201 ms p99") << spread << 99.0 << 200.99 << 0.2;
    QList<std::uint64_t> uniform; // 1 .. 1000 ms: every percentile within 2%
    for (std::uint64_t ms = 1; ms <= 1000; ++ms)
        uniform << ms * 1000;
    QTest::newRow("uniform p50") << uniform << 50.0 << 500.0 << 10.0;
    QTest::newRow("uniform p90") << uniform << 90.0 << 900.0 << 18.0;
    QTest::newRow("uniform p99") << uniform << 99.0 << 990.0 << 19.8;
    QList<std::uint64_t> twoModes(900, 10'000); // 90% at 10 ms, 10% at 300 ms
    twoModes << QList<std::uint64_t>(100, 300'000);
    QTest::newRow("two modes p50") << twoModes << 50.0 << 10.0 << 0.2;
    QTest::newRow("two modes p95") << twoModes << 95.0 << 300.0 << 6.0;
    QTest::newRow("sub-millisecond") << QList<std::uint64_t>{5, 5, 5, 5} << 50.0 << 0.005 << 0.001;
}

void TestMetrics::percentilesOfKnownValues()
{
    QFETCH(QList<std::uint64_t>, micros);
    QFETCH(double, p);
    QFETCH(double, expectedMs);
    QFETCH(double, toleranceMs);
    LatencyHistogram h;
    for (std::uint64_t us : micros)
        h.record(us);
    LatencySummary s;
    s.add(h);
    QCOMPARE(s.total, std::uint64_t(micros.size()));
    const double got = s.percentileMs(p);
    QVERIFY2(std::abs(got - expectedMs) <= toleranceMs,
             qPrintable(QStringLiteral("p%1 = %2 ms, expected %3").arg(p).arg(got).arg(expectedMs)));
}

void TestMetrics::percentileOfAWindowStaysInTheWindowsBuckets()
{
    // A backend at 10 ms for a while, then at 200 ms: the window after the change reads ~200 ms even
    // though the histogram's recorded minimum (10 ms) comes from before it.
    LatencyHistogram h;
    for (int i = 0; i < 100; ++i)
        h.record(10'000);
    LatencySummary before;
    before.add(h);
    for (int i = 0; i < 100; ++i)
        h.record(200'000 + std::uint64_t(i) * 10);
    LatencySummary now;
    now.add(h);
    now.subtract(before);
    QCOMPARE(now.total, 100ULL);
    QVERIFY2(std::abs(now.percentileMs(50) - 200.5) < 200.5 * 0.02, qPrintable(QString::number(now.percentileMs(50))));
    QVERIFY(now.percentileMs(99) <= 201.0);
}

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
