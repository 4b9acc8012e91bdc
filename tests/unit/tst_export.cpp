#include "metrics/Export.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <map>

using namespace lab;
using namespace Qt::StringLiterals;

namespace {

// A fake proxy's counters: requests recorded per backend, snapshots taken on demand, as Lab::snapshot
// sums its workers' shards.
class FakeCounters {
public:
    void serve(int id, int status, std::uint64_t micros, int n = 1)
    {
        TrafficCounters& c = m_backends[id];
        for (int i = 0; i < n; ++i) {
            for (TrafficCounters* t : {&c, &m_listener}) {
                t->add(t->requests);
                t->countResponse(status);
                t->latency.record(micros);
            }
        }
    }
    MetricsSnapshot snapshot(qint64 ms) const
    {
        MetricsSnapshot s;
        s.takenAtMs = ms;
        s.listener.add(m_listener);
        for (const auto& [id, c] : m_backends) {
            BackendStats b;
            b.id = id;
            b.name = QStringLiteral("backend-%1").arg(8001 + id);
            b.traffic.add(c);
            s.backends << b;
        }
        return s;
    }

private:
    std::map<int, TrafficCounters> m_backends;
    TrafficCounters m_listener;
};

QJsonObject parseObject(const QByteArray& bytes)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
    if (error.error != QJsonParseError::NoError)
        qWarning() << error.errorString();
    return doc.object();
}

} // namespace

class TestExport final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void csvFieldQuotesOnlyWhenNeeded_data();
    void csvFieldQuotesOnlyWhenNeeded();
    void csvRoundTrips();
    void timeSeriesHasOneRowPerIntervalAndBackend();
    void timeSeriesStartsAtTheBaseline();
    void summaryCountsFromTheBaseline();
    void summaryCsvMatchesTheJson();
    void traceKeepsEveryField();
    void emptyHistoryWritesHeadersOnly();
};

void TestExport::csvFieldQuotesOnlyWhenNeeded_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<QByteArray>("field");
    QTest::newRow("plain") << "backend-8001" << QByteArray("backend-8001");
    QTest::newRow("empty") << "" << QByteArray("");
    QTest::newRow("comma") << "a,b" << QByteArray("\"a,b\"");
    QTest::newRow("quote") << "say \"hi\"" << QByteArray("\"say \"\"hi\"\"\"");
    QTest::newRow("newline") << "one\ntwo" << QByteArray("\"one\ntwo\"");
    QTest::newRow("carriage return") << "one\rtwo" << QByteArray("\"one\rtwo\"");
    QTest::newRow("arrow stays UTF-8") << "a: 502 → b: 200" << QStringLiteral("a: 502 → b: 200").toUtf8();
}

void TestExport::csvFieldQuotesOnlyWhenNeeded()
{
    QFETCH(QString, value);
    QFETCH(QByteArray, field);
    QCOMPARE(exports::csvField(value), field);
}

void TestExport::csvRoundTrips()
{
    const QList<QStringList> rows = {
        {u"h1"_s, u"h2"_s, u"h3"_s}, {u"a,b"_s, u"say \"hi\""_s, u"line\r\nbreak"_s}, {u""_s, u"→"_s, u"x"_s}};
    QByteArray text;
    for (const QStringList& r : rows)
        text += exports::csvRow(r);
    QVERIFY(text.endsWith("\r\n"));
    QCOMPARE(exports::parseCsv(text), rows);
}

void TestExport::timeSeriesHasOneRowPerIntervalAndBackend()
{
    FakeCounters c;
    MetricsHistory h;
    h.push(c.snapshot(0));
    c.serve(0, 200, 100'000, 10); // 10 at 100 ms on backend 0 in the first second
    c.serve(1, 500, 200'000, 2); // 2 errors at 200 ms on backend 1
    h.push(c.snapshot(1000));
    c.serve(0, 200, 100'000, 5);
    h.push(c.snapshot(1500));
    const QList<exports::TimeSeriesRow> rows = exports::timeSeries(h);
    QCOMPARE(rows.size(), 2 * 3); // two intervals × (listener + two backends)
    QCOMPARE(rows[0].backend, QStringLiteral("listener"));
    QCOMPARE(rows[0].requests, 12ULL);
    QCOMPARE(rows[0].errors, 2ULL);
    QCOMPARE(rows[0].seconds, -0.5);
    QCOMPARE(rows[1].backend, QStringLiteral("backend-8001"));
    QCOMPARE(rows[1].requestsPerSecond, 10.0);
    QVERIFY(qAbs(rows[1].p50Ms - 100.0) < 2.0);
    QVERIFY(qAbs(rows[2].p99Ms - 200.0) < 4.0);
    QCOMPARE(rows[2].errors, 2ULL);
    // The second interval: only what happened in it.
    QCOMPARE(rows[4].requests, 5ULL);
    QCOMPARE(rows[4].requestsPerSecond, 10.0); // 5 in 500 ms
    QCOMPARE(rows[4].intervalMs, 500);
    QCOMPARE(rows[5].requests, 0ULL);
    QCOMPARE(rows[5].p50Ms, 0.0); // no request, no latency
    QCOMPARE(rows[5].seconds, 0.0);

    const QList<QStringList> csv = exports::parseCsv(exports::timeSeriesCsv(h));
    QCOMPARE(csv.size(), 1 + rows.size());
    QCOMPARE(csv[0],
             (QStringList{u"seconds"_s, u"end_ms"_s, u"interval_ms"_s, u"backend_id"_s, u"backend"_s, u"requests"_s,
                          u"requests_per_s"_s, u"p50_ms"_s, u"p99_ms"_s, u"errors"_s}));
    QCOMPARE(csv[2][4], QStringLiteral("backend-8001"));
    QCOMPARE(csv[2][5], QStringLiteral("10"));
    const QJsonObject json = parseObject(exports::timeSeriesJson(h));
    QCOMPARE(json[QStringLiteral("format")].toString(), QStringLiteral("balancer-lab-timeseries"));
    QCOMPARE(json[QStringLiteral("rows")].toArray().size(), rows.size());
    QCOMPARE(json[QStringLiteral("rows")].toArray()[2].toObject()[QStringLiteral("errors")].toInt(), 2);
}

void TestExport::timeSeriesStartsAtTheBaseline()
{
    FakeCounters c;
    MetricsHistory h;
    h.push(c.snapshot(0));
    c.serve(0, 200, 1000, 100);
    h.push(c.snapshot(1000));
    h.setBaseline();
    QVERIFY(exports::timeSeries(h).isEmpty()); // nothing since the Reset
    c.serve(0, 200, 1000, 3);
    c.serve(1, 200, 1000, 1); // joins after the Reset: counts from 0
    h.push(c.snapshot(2000));
    const QList<exports::TimeSeriesRow> rows = exports::timeSeries(h);
    QCOMPARE(rows.size(), 3);
    QCOMPARE(rows[0].requests, 4ULL);
    QCOMPARE(rows[1].requests, 3ULL);
    QCOMPARE(rows[2].requests, 1ULL);
    QVERIFY(parseObject(exports::timeSeriesJson(h))[QStringLiteral("sinceReset")].toBool());
}

void TestExport::summaryCountsFromTheBaseline()
{
    FakeCounters c;
    MetricsHistory h;
    c.serve(0, 200, 1000, 50); // before the Reset: not in the summary
    h.push(c.snapshot(0));
    h.setBaseline();
    c.serve(0, 200, 100'000, 30);
    c.serve(1, 200, 200'000, 10);
    c.serve(1, 503, 200'000, 5);
    c.serve(1, 0, 200'000, 5); // no response
    h.push(c.snapshot(1000));
    const QJsonObject o = parseObject(exports::summaryJson(h));
    QCOMPARE(o[QStringLiteral("format")].toString(), QStringLiteral("balancer-lab-summary"));
    QCOMPARE(o[QStringLiteral("version")].toInt(), exports::kFormatVersion);
    QVERIFY(o[QStringLiteral("sinceReset")].toBool());
    const QJsonObject total = o[QStringLiteral("total")].toObject();
    QCOMPARE(total[QStringLiteral("requests")].toInt(), 50);
    QCOMPARE(total[QStringLiteral("errors")].toInt(), 10);
    const QJsonArray backends = o[QStringLiteral("backends")].toArray();
    QCOMPARE(backends.size(), 2);
    const QJsonObject a = backends[0].toObject();
    const QJsonObject b = backends[1].toObject();
    QCOMPARE(a[QStringLiteral("name")].toString(), QStringLiteral("backend-8001"));
    QCOMPARE(a[QStringLiteral("share")].toDouble(), 0.6);
    QCOMPARE(b[QStringLiteral("share")].toDouble(), 0.4);
    const QJsonObject classes = b[QStringLiteral("responsesByClass")].toObject();
    QCOMPARE(classes[QStringLiteral("2xx")].toInt(), 10);
    QCOMPARE(classes[QStringLiteral("5xx")].toInt(), 5);
    QCOMPARE(classes[QStringLiteral("noResponse")].toInt(), 5);
    const double p50 = a[QStringLiteral("latency")].toObject()[QStringLiteral("p50Ms")].toDouble();
    QVERIFY2(qAbs(p50 - 100.0) <= 2.0, qPrintable(QString::number(p50)));
    const double p99 = total[QStringLiteral("latency")].toObject()[QStringLiteral("p99Ms")].toDouble();
    QVERIFY2(qAbs(p99 - 200.0) <= 4.0, qPrintable(QString::number(p99)));
}

void TestExport::summaryCsvMatchesTheJson()
{
    FakeCounters c;
    MetricsHistory h;
    c.serve(0, 200, 5000, 3);
    c.serve(2, 404, 5000, 1);
    h.push(c.snapshot(0));
    const QList<QStringList> rows = exports::parseCsv(exports::summaryCsv(h));
    QCOMPARE(rows.size(), 1 + 3); // header, listener, two backends
    QCOMPARE(rows[0],
             (QStringList{u"backend_id"_s, u"backend"_s, u"requests"_s, u"share"_s, u"p50_ms"_s, u"p90_ms"_s,
                          u"p99_ms"_s, u"errors"_s, u"no_response"_s, u"1xx"_s, u"2xx"_s, u"3xx"_s, u"4xx"_s, u"5xx"_s,
                          u"retries"_s, u"connect_failures"_s}));
    QCOMPARE(rows[1][1], QStringLiteral("listener"));
    QCOMPARE(rows[1][2], QStringLiteral("4"));
    QCOMPARE(rows[2][3], QStringLiteral("0.7500"));
    QCOMPARE(rows[3][0], QStringLiteral("2"));
    QCOMPARE(rows[3][12], QStringLiteral("1")); // 4xx
    for (const QStringList& r : rows)
        QCOMPARE(r.size(), rows[0].size());
    QVERIFY(!parseObject(exports::summaryJson(h))[QStringLiteral("sinceReset")].toBool());
}

void TestExport::traceKeepsEveryField()
{
    TraceEntry e;
    e.sequence = 7;
    e.time = QDateTime(QDate(2026, 12, 1), QTime(21, 0, 0, 250), Qt::UTC);
    e.client = QStringLiteral("127.0.0.1:5555");
    e.method = QStringLiteral("GET");
    e.path = QStringLiteral("/a,b?q=\"x\"");
    e.attempts = QStringLiteral("backend-8001: connection refused → backend-8002: 200");
    e.servedBy = QStringLiteral("backend-8002");
    e.status = 200;
    e.latencyMs = 12.5;
    e.why = QStringLiteral("round robin:\nnext");
    e.token = QStringLiteral("t1");
    const QList<QStringList> rows = exports::parseCsv(exports::traceCsv({e, e}));
    QCOMPARE(rows.size(), 3);
    QCOMPARE(rows[0],
             (QStringList{u"sequence"_s, u"time"_s, u"client"_s, u"method"_s, u"path"_s, u"status"_s, u"latency_ms"_s,
                          u"served_by"_s, u"attempts"_s, u"why"_s, u"token"_s}));
    QCOMPARE(rows[1],
             (QStringList{u"7"_s, u"2026-12-01T21:00:00.250Z"_s, e.client, u"GET"_s, e.path, u"200"_s, u"12.500"_s,
                          e.servedBy, e.attempts, e.why, u"t1"_s}));
    const QJsonObject o = parseObject(exports::traceJson({e}));
    QCOMPARE(o[QStringLiteral("format")].toString(), QStringLiteral("balancer-lab-trace"));
    const QJsonObject j = o[QStringLiteral("entries")].toArray()[0].toObject();
    QCOMPARE(j[QStringLiteral("path")].toString(), e.path);
    QCOMPARE(j[QStringLiteral("latencyMs")].toDouble(), 12.5);
    QCOMPARE(j[QStringLiteral("why")].toString(), e.why);
}

void TestExport::emptyHistoryWritesHeadersOnly()
{
    MetricsHistory h;
    QCOMPARE(exports::parseCsv(exports::timeSeriesCsv(h)).size(), 1);
    QCOMPARE(exports::parseCsv(exports::summaryCsv(h)).size(), 1);
    QCOMPARE(exports::parseCsv(exports::traceCsv({})).size(), 1);
    const QJsonObject o = parseObject(exports::summaryJson(h));
    QCOMPARE(o[QStringLiteral("total")].toObject()[QStringLiteral("requests")].toInt(), 0);
    QVERIFY(o[QStringLiteral("backends")].toArray().isEmpty());
}

QTEST_GUILESS_MAIN(TestExport)
#include "tst_export.moc"
