// GET /metrics against the proxy's own counters: after a known burst through an HTTP and a TCP listener
// the exposition passes `promtool check metrics` and says what the lab's snapshot says; and a drain sent
// through the admin API while a bounded load runs loses no request.
#include "AdminClient.h"
#include "TestLab.h"

#include "admin/AdminServer.h"
#include "admin/PrometheusExposition.h"
#include "backend/Backend.h"
#include "loadgen/LoadGenerator.h"
#include "metrics/EventLog.h"
#include "proxy/Proxy.h"

#include <QElapsedTimer>
#include <QMap>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTest>

using namespace lab;
using namespace lab::test;

namespace {

// "name{a=\"x\",b=\"y\"} value" lines, keyed by everything before the value.
QMap<QString, double> parseSamples(const QByteArray& text)
{
    QMap<QString, double> samples;
    for (const QByteArray& line : text.split('\n')) {
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const qsizetype space = line.lastIndexOf(' ');
        samples.insert(QString::fromUtf8(line.left(space)), line.mid(space + 1).toDouble());
    }
    return samples;
}

// promtool's verdict on an exposition: its exit code 0 and no output means the format and the naming
// conventions (lint) both pass.
QString promtoolProblems(const QByteArray& exposition)
{
    const QString promtool = QStandardPaths::findExecutable(QStringLiteral("promtool"));
    if (promtool.isEmpty())
        return QStringLiteral("promtool is not installed (scripts/bootstrap installs the Debian package prometheus)");
    QProcess p;
    p.start(promtool, {QStringLiteral("check"), QStringLiteral("metrics")});
    if (!p.waitForStarted(10000))
        return QStringLiteral("promtool did not start");
    p.write(exposition);
    p.closeWriteChannel();
    if (!p.waitForFinished(30000))
        return QStringLiteral("promtool did not finish");
    const QString out = QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError()).trimmed();
    if (p.exitCode() != 0 || !out.isEmpty())
        return QStringLiteral("exit %1: %2").arg(p.exitCode()).arg(out);
    return {};
}

LabConfig httpAndTcpLab()
{
    LabConfig c = freePortLab();
    c.listeners << ListenerConfig{QStringLiteral("relay"), ListenerKind::Tcp, QStringLiteral("127.0.0.1"), 0};
    return c;
}

QByteArray scrape(quint16 port)
{
    const std::optional<TestResponse> r = adminCall(port, "GET", "/metrics");
    if (!r || r->status() != 200)
        return {};
    return r->body;
}

} // namespace

class TestAdminMetrics : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void metricsMatchTheProxyCountersAfterABurst();
    void histogramBucketsAreCumulativeAtExactEdges();
    void labelValuesAreEscaped_data();
    void labelValuesAreEscaped();
    void drainThroughTheApiUnderLoadLosesNoRequest();
};

void TestAdminMetrics::metricsMatchTheProxyCountersAfterABurst()
{
    RunningLab running(httpAndTcpLab());
    AdminServer admin(running.lab);
    QString error;
    QVERIFY2(admin.listen(QStringLiteral("127.0.0.1"), 0, &error), qPrintable(error));
    const quint16 httpPort = running.lab.proxies()[0]->port();
    const quint16 tcpPort = running.lab.proxies()[1]->port();

    // The burst: 30 GETs on one keep-alive connection and 3 POSTs with a body, then 6 relayed connections.
    constexpr int kGets = 30;
    constexpr int kPosts = 3;
    constexpr int kRelayed = 6;
    TestHttpConnection http;
    QVERIFY(http.connectTo(httpPort));
    for (int i = 0; i < kGets; ++i) {
        const std::optional<TestResponse> r = http.request(getRequest("/burst"));
        QVERIFY(r && r->status() == 200);
    }
    for (int i = 0; i < kPosts; ++i) {
        const std::optional<TestResponse> r = http.request(postRequest("/echo", QByteArray(1000, 'x')));
        QVERIFY(r && r->status() == 200);
    }
    for (int i = 0; i < kRelayed; ++i) {
        TestHttpConnection relayed;
        QVERIFY(relayed.connectTo(tcpPort));
        const std::optional<TestResponse> r = relayed.request(getRequest("/relayed", "Connection: close\r\n"));
        QVERIFY(r && r->status() == 200);
        QVERIFY(relayed.waitForClose());
    }
    http.socket().disconnectFromHost();
    // The counters settle when the proxy has finished with the last exchange and connection.
    QTRY_COMPARE(running.lab.proxies()[0]->snapshot().listener.responsesByClass[2], quint64(kGets + kPosts));
    QTRY_COMPARE(running.lab.proxies()[0]->snapshot().listener.activeConnections, 0);
    QTRY_COMPARE(running.lab.proxies()[1]->snapshot().listener.activeConnections, 0);

    const QByteArray text = scrape(admin.port());
    QVERIFY(!text.isEmpty());
    const QString problems = promtoolProblems(text);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));

    const QMap<QString, double> m = parseSamples(text);
    const MetricsSnapshot httpStats = running.lab.proxies()[0]->snapshot();
    const MetricsSnapshot tcpStats = running.lab.proxies()[1]->snapshot();
    auto value = [&](const QString& series) {
        if (!m.contains(series))
            qWarning("no series %s", qPrintable(series));
        return m.value(series, -1);
    };

    QCOMPARE(value(QStringLiteral(R"(balancer_lab_listener_requests_total{listener="http"})")), double(kGets + kPosts));
    QCOMPARE(value(QStringLiteral(R"(balancer_lab_listener_responses_total{listener="http",code_class="2xx"})")),
             double(kGets + kPosts));
    QCOMPARE(value(QStringLiteral(R"(balancer_lab_listener_responses_total{listener="http",code_class="5xx"})")), 0.0);
    QCOMPARE(value(QStringLiteral(R"(balancer_lab_received_bytes_total{listener="http"})")),
             double(httpStats.listener.bytesIn));
    QCOMPARE(value(QStringLiteral(R"(balancer_lab_sent_bytes_total{listener="http"})")),
             double(httpStats.listener.bytesOut));
    QVERIFY(httpStats.listener.bytesIn > quint64(kPosts * 1000));
    QCOMPARE(value(QStringLiteral(R"(balancer_lab_connections_total{listener="http"})")), 1.0);
    QCOMPARE(value(QStringLiteral(R"(balancer_lab_listener_request_duration_seconds_count{listener="http"})")),
             double(kGets + kPosts));

    double httpAttempts = 0;
    double relayedTotal = 0;
    for (const BackendStats& b : httpStats.backends) {
        const QString labels = QStringLiteral(R"(listener="http",backend="%1")").arg(b.name);
        const double ok = value(QStringLiteral("balancer_lab_requests_total{%1,code_class=\"2xx\"}").arg(labels));
        // round robin over three: 11 each
        QCOMPARE(ok, double((kGets + kPosts) / 3));
        QCOMPARE(ok, double(b.traffic.responsesByClass[2]));
        httpAttempts += ok;
        QCOMPARE(value(QStringLiteral("balancer_lab_request_duration_seconds_count{%1}").arg(labels)), ok);
        QCOMPARE(value(QStringLiteral("balancer_lab_request_duration_seconds_bucket{%1,le=\"+Inf\"}").arg(labels)), ok);
        const double sum = value(QStringLiteral("balancer_lab_request_duration_seconds_sum{%1}").arg(labels));
        QCOMPARE(sum, double(b.traffic.latency.sumMicros) / 1e6);
        QVERIFY(sum > 0);
        QCOMPARE(value(QStringLiteral("balancer_lab_upstream_sent_bytes_total{%1}").arg(labels)),
                 double(b.traffic.bytesOut));
        QCOMPARE(value(QStringLiteral("balancer_lab_upstream_received_bytes_total{%1}").arg(labels)),
                 double(b.traffic.bytesIn));
        QCOMPARE(value(QStringLiteral("balancer_lab_upstream_connect_failures_total{%1}").arg(labels)), 0.0);
        const QString relay = QStringLiteral(R"(listener="relay",backend="%1")").arg(b.name);
        relayedTotal += value(QStringLiteral("balancer_lab_upstream_connections_total{%1}").arg(relay));

        QCOMPARE(value(QStringLiteral(R"(balancer_lab_backend_up{backend="%1"})").arg(b.name)), 1.0);
        QCOMPARE(value(QStringLiteral(R"(balancer_lab_backend_enabled{backend="%1"})").arg(b.name)), 1.0);
        QCOMPARE(value(QStringLiteral(R"(balancer_lab_backend_ejected{backend="%1"})").arg(b.name)), 0.0);
        QCOMPARE(value(QStringLiteral(R"(balancer_lab_backend_weight{backend="%1"})").arg(b.name)), 1.0);
        QCOMPARE(value(QStringLiteral(R"(balancer_lab_active_requests{backend="%1"})").arg(b.name)), 0.0);
        QCOMPARE(
            value(QStringLiteral(R"(balancer_lab_backend_circuit_state{backend="%1",state="closed"})").arg(b.name)),
            1.0);
        QCOMPARE(value(QStringLiteral(R"(balancer_lab_backend_circuit_state{backend="%1",state="open"})").arg(b.name)),
                 0.0);
    }
    QCOMPARE(httpAttempts, double(kGets + kPosts));
    QCOMPARE(value(QStringLiteral(R"(balancer_lab_retries_total{listener="http"})")), 0.0);

    // The TCP relay: one "request" per relayed connection, each with its own backend connection.
    QCOMPARE(value(QStringLiteral(R"(balancer_lab_connections_total{listener="relay"})")), double(kRelayed));
    QCOMPARE(value(QStringLiteral(R"(balancer_lab_listener_requests_total{listener="relay"})")), double(kRelayed));
    QCOMPARE(value(QStringLiteral(R"(balancer_lab_active_connections{listener="relay"})")), 0.0);
    QCOMPARE(relayedTotal, double(kRelayed));
    QCOMPARE(value(QStringLiteral(R"(balancer_lab_received_bytes_total{listener="relay"})")),
             double(tcpStats.listener.bytesIn));
    QVERIFY(tcpStats.listener.bytesIn > 0);
    QCOMPARE(value(QStringLiteral(R"(balancer_lab_tcp_relay_buffered_bytes{listener="relay"})")), 0.0);
    QCOMPARE(value(QStringLiteral(R"(balancer_lab_listener_up{listener="relay",kind="tcp"})")), 1.0);
    QCOMPARE(value(QStringLiteral(R"(balancer_lab_algorithm_info{algorithm="round-robin"})")), 1.0);

    // A drain shows at the next scrape.
    QVERIFY(adminCall(admin.port(), "POST", "/api/backends/backend-8002/drain", "application/json"));
    const QMap<QString, double> after = parseSamples(scrape(admin.port()));
    QCOMPARE(after.value(QStringLiteral(R"(balancer_lab_backend_enabled{backend="backend-8002"})"), -1), 0.0);
    QCOMPARE(after.value(QStringLiteral(R"(balancer_lab_backend_eligible{backend="backend-8002"})"), -1), 0.0);
    QCOMPARE(after.value(QStringLiteral(R"(balancer_lab_backend_eligible{backend="backend-8001"})"), -1), 1.0);
}

// Each le counts the values shorter than it; +Inf and _count count them all; _sum is in seconds.
void TestAdminMetrics::histogramBucketsAreCumulativeAtExactEdges()
{
    LatencyHistogram h;
    for (const std::uint64_t micros : {100u, 255u, 256u, 1000u, 1024u, 40'000'000u})
        h.record(micros);
    LatencySummary s;
    s.add(h);
    PrometheusWriter w;
    w.family("t_seconds", "histogram", "test");
    w.histogram("t_seconds", {{"backend", QStringLiteral("a")}}, s);
    const QMap<QString, double> m = parseSamples(w.take());
    QCOMPARE(m.value(QStringLiteral(R"(t_seconds_bucket{backend="a",le="0.000256"})")), 2.0); // 100, 255
    QCOMPARE(m.value(QStringLiteral(R"(t_seconds_bucket{backend="a",le="0.000512"})")), 3.0); // + 256
    QCOMPARE(m.value(QStringLiteral(R"(t_seconds_bucket{backend="a",le="0.001024"})")), 4.0); // + 1000
    QCOMPARE(m.value(QStringLiteral(R"(t_seconds_bucket{backend="a",le="0.002048"})")), 5.0); // + 1024
    QCOMPARE(m.value(QStringLiteral(R"(t_seconds_bucket{backend="a",le="33.554432"})")), 5.0);
    QCOMPARE(m.value(QStringLiteral(R"(t_seconds_bucket{backend="a",le="+Inf"})")), 6.0); // + 40 s
    QCOMPARE(m.value(QStringLiteral(R"(t_seconds_count{backend="a"})")), 6.0);
    QCOMPARE(m.value(QStringLiteral(R"(t_seconds_sum{backend="a"})")), 40.002635);
    QCOMPARE(PrometheusWriter::latencyEdgesMicros().size(), 18);
}

void TestAdminMetrics::labelValuesAreEscaped_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<QByteArray>("escaped");
    QTest::newRow("plain") << QStringLiteral("backend-1") << QByteArray("backend-1");
    QTest::newRow("quote") << QStringLiteral("a\"b") << QByteArray("a\\\"b");
    QTest::newRow("backslash") << QStringLiteral("a\\b") << QByteArray("a\\\\b");
    QTest::newRow("newline") << QStringLiteral("a\nb") << QByteArray("a\\nb");
    QTest::newRow("utf-8") << QStringLiteral("café") << QByteArray("caf\xc3\xa9");
}

void TestAdminMetrics::labelValuesAreEscaped()
{
    QFETCH(QString, value);
    QFETCH(QByteArray, escaped);
    QCOMPARE(PrometheusWriter::escapeLabelValue(value), escaped);
}

// A bounded closed-loop load (8 connections, at most 4 s or 3000 requests) runs while the API drains one
// backend: every request is answered 2xx, and the drained backend gets no new request after the drain
// beyond those whose pick raced it (at most one per connection).
void TestAdminMetrics::drainThroughTheApiUnderLoadLosesNoRequest()
{
    LabConfig config = freePortLab();
    for (BackendConfig& b : config.backends)
        b.faults.latencyMs = 5; // requests are in flight when the drain comes
    RunningLab running(config);
    AdminServer admin(running.lab);
    QString error;
    QVERIFY2(admin.listen(QStringLiteral("127.0.0.1"), 0, &error), qPrintable(error));

    LoadGenerator generator;
    LoadSpec spec;
    spec.port = running.port();
    spec.concurrency = 8;
    spec.durationMs = 4000;
    spec.maxRequests = 3000;
    QVERIFY2(generator.start(spec, &error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(generator.totals().completed >= 100, 20000);

    const std::optional<TestResponse> r =
        adminCall(admin.port(), "POST", "/api/backends/backend-8001/drain", "application/json");
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    const BackendId drained = running.id(0);
    const auto requestsOn = [&](BackendId id) {
        for (const BackendStats& b : running.lab.snapshot().backends) {
            if (b.name == running.lab.backendConfig(id).name)
                return b.traffic.requests;
        }
        return std::uint64_t(0);
    };
    const std::uint64_t atDrain = requestsOn(drained);
    QVERIFY(atDrain > 0);

    QVERIFY(waitFinished(generator, 30000));
    const LoadTotals t = generator.totals();
    QVERIFY(t.completed >= 200);
    QCOMPARE(t.socketErrors, quint64(0));
    QCOMPARE(t.failedConnects(), quint64(0));
    QCOMPARE(t.completed, t.sent);
    QCOMPARE(t.byClass[2], t.completed);
    QVERIFY2(
        requestsOn(drained) <= atDrain + std::uint64_t(spec.concurrency),
        qPrintable(
            QStringLiteral("%1 requests on the drained backend after the drain").arg(requestsOn(drained) - atDrain)));
    QVERIFY(t.byBackend.value(QStringLiteral("backend-8002")) > 0);
    QVERIFY(t.byBackend.value(QStringLiteral("backend-8003")) > 0);
    QVERIFY(running.eventContains(QStringLiteral("backend-8001 draining")));
    QTRY_COMPARE(running.lab.poolBackend(drained)->activeRequests.load(), 0);
}

QTEST_MAIN(TestAdminMetrics)
#include "tst_adminmetrics.moc"
