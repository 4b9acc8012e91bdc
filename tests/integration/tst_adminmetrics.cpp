// GET /metrics against the proxy's own counters: after a known burst through an HTTP and a TCP listener
// the exposition passes `promtool check metrics` and says what the lab's snapshot says; the same for a TLS
// listener's handshakes after a burst with one failed handshake of each class; and a drain sent through the
// admin API while a bounded load runs loses no request.
#include "AdminClient.h"
#include "TestLab.h"

#include "admin/AdminServer.h"
#include "admin/PrometheusExposition.h"
#include "backend/Backend.h"
#include "loadgen/LoadGenerator.h"
#include "metrics/EventLog.h"
#include "proxy/Proxy.h"
#include "proxy/SelfSignedCertificate.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QRegularExpression>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTemporaryDir>
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

// One GET with Connection: close over a new TLS connection that trusts `caFile`; the status, or 0.
int tlsGet(quint16 port, const QString& caFile, QSsl::SslProtocol protocol)
{
    QSslSocket s;
    QSslConfiguration c = s.sslConfiguration();
    c.setCaCertificates(QSslCertificate::fromPath(caFile));
    c.setProtocol(protocol);
    s.setSslConfiguration(c);
    s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port, QStringLiteral("localhost"));
    if (!s.waitForEncrypted(10000))
        return 0;
    s.write(getRequest("/tls", "Connection: close\r\n"));
    QByteArray response;
    QElapsedTimer t;
    t.start();
    while (s.state() == QAbstractSocket::ConnectedState && t.elapsed() < 10000) {
        s.waitForReadyRead(200);
        response += s.readAll();
    }
    response += s.readAll();
    return response.startsWith("HTTP/1.1 ") ? response.mid(9, 3).toInt() : 0;
}

} // namespace

class TestAdminMetrics : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void metricsMatchTheProxyCountersAfterABurst();
    void histogramBucketsAreCumulativeAtExactEdges();
    void labelValuesAreEscaped_data();
    void labelValuesAreEscaped();
    void tlsFiguresAfterABurstWithFailedHandshakes();
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

// A TLS listener's figures in /metrics and /api/state after a known burst: four handshakes (TLS 1.2 and 1.3)
// and failed handshakes of each class, with the gauges seen while a connection handshakes and while one
// is established.
void TestAdminMetrics::tlsFiguresAfterABurstWithFailedHandshakes()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    SelfSignedCertificate cert;
    QString error;
    QVERIFY2(SelfSignedCertificate::write(dir.path(), &cert, &error), qPrintable(error));
    LabConfig config = freePortLab();
    config.listeners.first().tls = {cert.certFile, cert.keyFile};
    config.timeouts.headerReadMs = 1500; // the silent client's handshake deadline
    RunningLab running(config);
    AdminServer admin(running.lab);
    QVERIFY2(admin.listen(QStringLiteral("127.0.0.1"), 0, &error), qPrintable(error));
    const Proxy& proxy = *running.lab.proxies()[0];
    const quint16 port = proxy.port();

    constexpr int kHandshakes = 4;
    for (int i = 0; i < kHandshakes; ++i)
        QCOMPARE(tlsGet(port, cert.certFile, i % 2 ? QSsl::TlsV1_3 : QSsl::TlsV1_2), 200);

    // plain_http: a request line where a ClientHello belongs.
    TestHttpConnection plain;
    QVERIFY(plain.connectTo(port));
    QVERIFY(plain.send(getRequest("/")));
    QVERIFY(plain.waitForClose(10000));
    QTRY_COMPARE(proxy.tlsStats().failures[size_t(TlsFailure::PlainHttp)], quint64(1));
    // protocol: bytes that are not TLS (an SSH client on the wrong port), and curl rejecting the certificate
    // (OpenSSL clients end the handshake with an alert).
    TestHttpConnection ssh;
    QVERIFY(ssh.connectTo(port));
    QVERIFY(ssh.send("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"));
    QVERIFY(ssh.waitForClose(10000));
    QTRY_COMPARE(proxy.tlsStats().failures[size_t(TlsFailure::Protocol)], quint64(1));
    QProcess curl;
    curl.start(QStringLiteral("curl"),
               {QStringLiteral("-sS"), QStringLiteral("--resolve"), QStringLiteral("localhost:%1:127.0.0.1").arg(port),
                QStringLiteral("https://localhost:%1/").arg(port)});
    QVERIFY(curl.waitForFinished(30000));
    QCOMPARE(curl.exitCode(), 60); // "SSL certificate problem: self-signed certificate"
    QTRY_COMPARE(proxy.tlsStats().failures[size_t(TlsFailure::Protocol)], quint64(2));
    // client_closed: Qt's client, which does not trust the certificate either, just closes; another
    // connects and goes before a byte of the handshake.
    {
        QSslSocket distrustful;
        distrustful.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port, QStringLiteral("localhost"));
        QVERIFY(!distrustful.waitForEncrypted(10000));
    }
    QTRY_COMPARE(proxy.tlsStats().failures[size_t(TlsFailure::ClientClosed)], quint64(1));
    {
        QTcpSocket gone;
        gone.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(gone.waitForConnected(5000));
        QTRY_COMPARE(proxy.tlsStats().handshaking, qint64(1));
        gone.abort();
    }
    QTRY_COMPARE(proxy.tlsStats().failures[size_t(TlsFailure::ClientClosed)], quint64(2));
    // timeout: connected and silent past headerReadMs.
    QTcpSocket silent;
    silent.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(silent.waitForConnected(5000));
    QTRY_COMPARE(proxy.tlsStats().handshaking, qint64(1));
    QTRY_COMPARE_WITH_TIMEOUT(silent.state(), QAbstractSocket::UnconnectedState, 15000);
    QTRY_COMPARE(proxy.tlsStats().failures[size_t(TlsFailure::Timeout)], quint64(1));

    // One connection held open after its handshake: established counts it, and only it.
    QSslSocket held;
    QSslConfiguration heldConfig = held.sslConfiguration();
    heldConfig.setCaCertificates(QSslCertificate::fromPath(cert.certFile));
    held.setSslConfiguration(heldConfig);
    held.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port, QStringLiteral("localhost"));
    QVERIFY2(held.waitForEncrypted(10000), qPrintable(held.errorString()));
    QTRY_COMPARE(proxy.tlsStats().established, qint64(1));
    const QMap<QString, double> open = parseSamples(scrape(admin.port()));
    QCOMPARE(open.value(QStringLiteral(R"(balancer_lab_tls_active_connections{listener="http"})"), -1), 1.0);
    QCOMPARE(open.value(QStringLiteral(R"(balancer_lab_tls_handshakes_in_progress{listener="http"})"), -1), 0.0);
    held.disconnectFromHost();
    QTRY_COMPARE(proxy.tlsStats().established, qint64(0));
    QTRY_COMPARE(proxy.snapshot().listener.activeConnections, 0);

    const TlsStats stats = proxy.tlsStats();
    const MetricsSnapshot snapshot = proxy.snapshot();
    QCOMPARE(stats.handshakes, quint64(kHandshakes + 1));
    QCOMPARE(stats.failedHandshakes, quint64(6));
    QCOMPARE(stats.handshaking, qint64(0));
    // The terminators relay exactly what the HTTP sessions read and wrote.
    QCOMPARE(stats.decryptedBytes, snapshot.listener.bytesIn);
    QCOMPARE(stats.encryptedBytes, snapshot.listener.bytesOut);
    QVERIFY(stats.encryptedBytes > quint64(kHandshakes * 100));

    const QByteArray text = scrape(admin.port());
    const QString problems = promtoolProblems(text);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    const QMap<QString, double> m = parseSamples(text);
    const auto series = [&](const char* name, const QString& more = {}) {
        const QString key = QStringLiteral("%1{listener=\"http\"%2}").arg(QLatin1String(name), more);
        if (!m.contains(key))
            qWarning("no series %s", qPrintable(key));
        return m.value(key, -1);
    };
    QCOMPARE(series("balancer_lab_tls_handshakes_total"), double(kHandshakes + 1));
    const double expected[kTlsFailureClasses] = {1, 2, 1, 2}; // plain_http, protocol, timeout, client_closed
    for (size_t i = 0; i < kTlsFailureClasses; ++i)
        QCOMPARE(series("balancer_lab_tls_handshake_failures_total",
                        QStringLiteral(",reason=\"%1\"").arg(QLatin1String(tlsFailureName(TlsFailure(i))))),
                 expected[i]);
    QCOMPARE(series("balancer_lab_tls_active_connections"), 0.0);
    QCOMPARE(series("balancer_lab_tls_handshakes_in_progress"), 0.0);
    QCOMPARE(series("balancer_lab_tls_decrypted_bytes_total"), double(stats.decryptedBytes));
    QCOMPARE(series("balancer_lab_tls_encrypted_bytes_total"), double(stats.encryptedBytes));
    QCOMPARE(series("balancer_lab_received_bytes_total"), double(stats.decryptedBytes));

    const std::optional<TestResponse> state = adminCall(admin.port(), "GET", "/api/state");
    QVERIFY(state && state->status() == 200);
    const QJsonObject tls = state->json()
                                .value(QStringLiteral("listeners"))
                                .toArray()
                                .at(0)
                                .toObject()
                                .value(QStringLiteral("tls"))
                                .toObject();
    QCOMPARE(tls.value(QStringLiteral("handshakes")).toDouble(), double(kHandshakes + 1));
    QCOMPARE(tls.value(QStringLiteral("failedHandshakes")).toDouble(), 6.0);
    const QJsonObject failures = tls.value(QStringLiteral("handshakeFailures")).toObject();
    QCOMPARE(failures.value(QStringLiteral("plain_http")).toDouble(), 1.0);
    QCOMPARE(failures.value(QStringLiteral("protocol")).toDouble(), 2.0);
    QCOMPARE(failures.value(QStringLiteral("timeout")).toDouble(), 1.0);
    QCOMPARE(failures.value(QStringLiteral("client_closed")).toDouble(), 2.0);
    QCOMPARE(tls.value(QStringLiteral("established")).toDouble(), 0.0);
    QCOMPARE(tls.value(QStringLiteral("decryptedBytes")).toDouble(), double(stats.decryptedBytes));
    QCOMPARE(tls.value(QStringLiteral("encryptedBytes")).toDouble(), double(stats.encryptedBytes));

    // A lab without TLS has no TLS families.
    RunningLab plainLab;
    AdminServer plainAdmin(plainLab.lab);
    QVERIFY2(plainAdmin.listen(QStringLiteral("127.0.0.1"), 0, &error), qPrintable(error));
    QVERIFY(!scrape(plainAdmin.port()).contains("balancer_lab_tls_"));
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
