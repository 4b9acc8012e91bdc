// The command line as a user meets it: balancer-lab run as a process. Most cases here are refused or
// answered (--help) before anything listens, so no port is opened and each run takes a few milliseconds;
// serveFinishesARequestInFlightOnSigterm and backendFlagsShapeItsCapacity each run a server on a free
// loopback port.
#include "TestHttp.h"
#include "balancing/Registry.h"
#include "config/ConfigSchema.h"
#include "fakebackend/FakeBackend.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

class TestCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void refusedWithAPreciseError_data();
    void refusedWithAPreciseError();
    void helpNamesTheProgram_data();
    void helpNamesTheProgram();
    void numericFlagsTakeTheConfigSchemaRange_data();
    void numericFlagsTakeTheConfigSchemaRange();
    void serveFinishesARequestInFlightOnSigterm();
    void serveRunsTheAdminApiWhenAsked();
    void serveHelpListsTheRegistry();
    void backendFlagsShapeItsCapacity();

private:
    static QStringList args(std::initializer_list<QString> list) { return QStringList(list); }
    QString write(const QString& name, const QByteArray& json);
    QTemporaryDir m_dir;
};

QString TestCli::write(const QString& name, const QByteArray& json)
{
    const QString path = m_dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(json) != json.size())
        qFatal("cannot write %s", qPrintable(path));
    return path;
}

void TestCli::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(QFile::exists(QStringLiteral(LAB_BINARY)), LAB_BINARY);
}

void TestCli::refusedWithAPreciseError_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("expectedInError");
    const QString dup =
        write(QStringLiteral("dup.json"),
              "{\"listeners\": [{\"port\": 0}],\n \"backends\": [{\"port\": 22001,\n  \"port\": 22002}]}");
    const QString empty = write(QStringLiteral("empty.json"), R"({"listeners": [{"port": 0}], "backends": []})");
    const QString host = write(QStringLiteral("host.json"),
                               R"({"listeners": [{"port": 0}], "backends": [{"host": "not a host", "port": 22001}]})");
    for (const char* key : {"header:", "Header:X", "body", "cookie:a b"})
        QTest::newRow(qPrintable(QStringLiteral("hash key %1").arg(QLatin1String(key))))
            << args({QStringLiteral("serve"), QStringLiteral("--hash-key"), QLatin1String(key)})
            << QStringLiteral("balancer-lab serve: --hash-key ") + lab::HashKeySpec::problem(QLatin1String(key));
    for (const char* spec : {"localhost:9901", "127.0.0.1:70000", "-3", "127.0.0.1"})
        QTest::newRow(qPrintable(QStringLiteral("admin %1").arg(QLatin1String(spec))))
            << args({QStringLiteral("serve"), QStringLiteral("--admin"), QLatin1String(spec)})
            << QStringLiteral("balancer-lab serve: --admin expects IP:PORT such as 127.0.0.1:9901, or a PORT from 0 "
                              "to 65535 (got '%1')")
                   .arg(QLatin1String(spec));
    QTest::newRow("admin address in config")
        << args({QStringLiteral("serve"), QStringLiteral("--config"),
                 write(QStringLiteral("admin.json"), R"({"admin": {"enabled": true, "address": "admin.local"}})")})
        << QStringLiteral("admin.address: must be an IP address such as 127.0.0.1 or ::1 (got \"admin.local\")");
    for (const char* spec : {"-1", "fast", "5,x", "5,-2", "1,2,3", "2000000"})
        QTest::newRow(qPrintable(QStringLiteral("rate limit %1").arg(QLatin1String(spec))))
            << args({QStringLiteral("serve"), QStringLiteral("--rate-limit"), QLatin1String(spec)})
            << QStringLiteral("balancer-lab serve: --rate-limit expects RPS[,BURST]: requests per second from 0 to "
                              "1000000 (0 = off), burst from 0 to 1000000 (0 = one second's worth), e.g. 20,40 "
                              "(got '%1')")
                   .arg(QLatin1String(spec));
    QTest::newRow("unknown algorithm") << args({QStringLiteral("serve"), QStringLiteral("--algorithm"),
                                                QStringLiteral("fastest")})
                                       << QStringLiteral("--algorithm must be one of %1 (got 'fastest')")
                                              .arg(lab::algorithmNames().join(QStringLiteral(", ")));
    QTest::newRow("backend with a blank host")
        << args({QStringLiteral("serve"), QStringLiteral("--backend"), QStringLiteral(" :22001")})
        << "--backend ' :22001': the host must be an IP address or a host name";
    QTest::newRow("backend host with spaces")
        << args({QStringLiteral("serve"), QStringLiteral("--backend"), QStringLiteral("not a host:22001")})
        << "--backend 'not a host:22001': the host must be an IP address or a host name";
    QTest::newRow("config host with spaces")
        << args({QStringLiteral("serve"), QStringLiteral("--config"), host})
        << host + QStringLiteral(": backends[0].host: must be an IP address or a host name");
    QTest::newRow("duplicate key") << args({QStringLiteral("serve"), QStringLiteral("--config"), dup})
                                   << dup +
            QStringLiteral(": backends[0].port: appears twice in one object (lines 2 and 3)");
    QTest::newRow("empty backends") << args({QStringLiteral("serve"), QStringLiteral("--config"), empty})
                                    << empty + QStringLiteral(": backends: none; serving needs at least one backend");
    QTest::newRow("error rate nan") << args({QStringLiteral("backend"), QStringLiteral("--port"),
                                             QStringLiteral("22001"), QStringLiteral("--error-rate"),
                                             QStringLiteral("nan")})
                                    << "--error-rate must be a number from 0 to 100 (got 'nan')";
    QTest::newRow("error rate inf") << args({QStringLiteral("backend"), QStringLiteral("--port"),
                                             QStringLiteral("22001"), QStringLiteral("--error-rate"),
                                             QStringLiteral("inf")})
                                    << "--error-rate must be a number from 0 to 100 (got 'inf')";
    QTest::newRow("error rate -inf") << args({QStringLiteral("backend"), QStringLiteral("--port"),
                                              QStringLiteral("22001"), QStringLiteral("--error-rate"),
                                              QStringLiteral("-inf")})
                                     << "--error-rate must be a number from 0 to 100";
    // Every other number on the command line is an integer flag: nan and inf are refused like any word.
    QTest::newRow("port nan") << args({QStringLiteral("backend"), QStringLiteral("--port"), QStringLiteral("nan")})
                              << "--port must be an integer from 1 to 65535 (got 'nan')";
    QTest::newRow("latency inf") << args({QStringLiteral("backend"), QStringLiteral("--port"), QStringLiteral("22001"),
                                          QStringLiteral("--latency-ms"), QStringLiteral("inf")})
                                 << "--latency-ms must be an integer";
    QTest::newRow("jitter nan") << args({QStringLiteral("backend"), QStringLiteral("--port"), QStringLiteral("22001"),
                                         QStringLiteral("--jitter-ms"), QStringLiteral("nan")})
                                << "--jitter-ms must be an integer";
    QTest::newRow("workers nan") << args({QStringLiteral("serve"), QStringLiteral("--workers"), QStringLiteral("nan")})
                                 << "--workers must be an integer from 1 to 256 (got 'nan')";
    QTest::newRow("retries inf") << args({QStringLiteral("serve"), QStringLiteral("--retries"), QStringLiteral("inf")})
                                 << "--retries must be an integer";
    QTest::newRow("health interval nan") << args({QStringLiteral("serve"), QStringLiteral("--health-interval-ms"),
                                                  QStringLiteral("nan")})
                                         << "--health-interval-ms must be an integer";
    QTest::newRow("health timeout inf") << args({QStringLiteral("serve"), QStringLiteral("--health-timeout-ms"),
                                                 QStringLiteral("inf")})
                                        << "--health-timeout-ms must be an integer";
    QTest::newRow("health rise nan") << args({QStringLiteral("serve"), QStringLiteral("--health-rise"),
                                              QStringLiteral("nan")})
                                     << "--health-rise must be an integer";
    QTest::newRow("health fall inf") << args({QStringLiteral("serve"), QStringLiteral("--health-fall"),
                                              QStringLiteral("inf")})
                                     << "--health-fall must be an integer";
    QTest::newRow("slow start nan") << args({QStringLiteral("serve"), QStringLiteral("--slow-start-ms"),
                                             QStringLiteral("nan")})
                                    << "--slow-start-ms must be an integer";
    QTest::newRow("listen port nan") << args({QStringLiteral("serve"), QStringLiteral("--listen"),
                                              QStringLiteral("127.0.0.1:nan")})
                                     << "--listen expects IP:PORT";
    QTest::newRow("backend port inf") << args({QStringLiteral("serve"), QStringLiteral("--backend"),
                                               QStringLiteral("127.0.0.1:inf")})
                                      << "with a port from 1 to 65535";
    QTest::newRow("backend weight nan") << args({QStringLiteral("serve"), QStringLiteral("--backend"),
                                                 QStringLiteral("127.0.0.1:22001,weight=nan")})
                                        << "weight must be an integer from 1 to 1000";
}

void TestCli::refusedWithAPreciseError()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, expectedInError);
    QProcess p;
    p.start(QStringLiteral(LAB_BINARY), arguments);
    QVERIFY(p.waitForFinished(10'000));
    const QString err = QString::fromLocal8Bit(p.readAllStandardError());
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QVERIFY2(p.exitCode() == 2, qPrintable(QStringLiteral("exit %1: %2").arg(p.exitCode()).arg(err)));
    QVERIFY2(err.contains(expectedInError), qPrintable(err));
}

void TestCli::helpNamesTheProgram_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("usage");
    QTest::newRow("window") << args({QStringLiteral("--help")}) << QStringLiteral("Usage: balancer-lab [options]");
    QTest::newRow("serve") << args({QStringLiteral("serve"), QStringLiteral("--help")})
                           << QStringLiteral("Usage: balancer-lab serve [options]");
}

// A learner's trial: every --help began "Usage: <executable_name>".
void TestCli::helpNamesTheProgram()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, usage);
    QProcess p;
    p.start(QStringLiteral(LAB_BINARY), arguments);
    QVERIFY(p.waitForFinished(10'000));
    const QString out = QString::fromLocal8Bit(p.readAllStandardOutput());
    QCOMPARE(p.exitCode(), 0);
    QVERIFY2(out.startsWith(usage), qPrintable(out.left(200)));
}

// A flag that overrides a config setting allows what the config allows: just past the schema's end is
// refused, and the message names the schema's range.
void TestCli::numericFlagsTakeTheConfigSchemaRange_data()
{
    using namespace lab;
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("expectedInError");
    auto pastTheEnd = [](const schema::Range& r) {
        return QString::number(r.max + 1);
    };
    auto flag = [&](const char* command, const char* name, const schema::Range& r) {
        const QStringList prefix = QLatin1String(command) == QLatin1String("backend")
            ? QStringList{QStringLiteral("backend"), QStringLiteral("--port"), QStringLiteral("22001")}
            : QStringList{QStringLiteral("serve")};
        QTest::newRow(name) << prefix + QStringList{QStringLiteral("--%1").arg(QLatin1String(name)), pastTheEnd(r)}
                            << QStringLiteral("--%1 must be an integer from %2 to %3 (got '%4')")
                                   .arg(QLatin1String(name))
                                   .arg(r.min)
                                   .arg(r.max)
                                   .arg(pastTheEnd(r));
    };
    flag("serve", "workers", {1, schema::rangeOf(&ProxyConfig::workers).max}); // 0 ("one per core") is the default
    flag("serve", "retries", schema::rangeOf(&RetryConfig::retries));
    flag("serve", "health-interval-ms", schema::rangeOf(&HealthConfig::intervalMs));
    flag("serve", "health-timeout-ms", schema::rangeOf(&HealthConfig::timeoutMs));
    flag("serve", "health-rise", schema::rangeOf(&HealthConfig::rise));
    flag("serve", "health-fall", schema::rangeOf(&HealthConfig::fall));
    flag("serve", "slow-start-ms", schema::rangeOf(&HealthConfig::slowStartMs));
    flag("serve", "listen-backlog", schema::rangeOf(&ProxyConfig::listenBacklog));
    flag("serve", "max-connections", schema::rangeOf(&ProxyConfig::maxConnections));
    flag("serve", "max-connections-per-client", schema::rangeOf(&ProxyConfig::maxConnectionsPerClient));
    flag("serve", "max-head-buffer-bytes", schema::rangeOf(&ProxyConfig::maxHeadBufferBytes));
    flag("backend", "latency-ms", schema::rangeOf(&FaultProfile::latencyMs));
    flag("backend", "jitter-ms", schema::rangeOf(&FaultProfile::jitterMs));
    flag("backend", "queue", schema::rangeOf(&FaultProfile::queue));
    flag("backend", "service-ms", schema::rangeOf(&FaultProfile::serviceMs));
    const schema::Range workers = schema::rangeOf(&FaultProfile::workers);
    QTest::newRow("backend workers")
        << QStringList{QStringLiteral("backend"), QStringLiteral("--port"), QStringLiteral("22001"),
                       QStringLiteral("--workers"), pastTheEnd(workers)}
        << QStringLiteral("--workers must be an integer from %1 to %2").arg(workers.min).arg(workers.max);
    QTest::newRow("service dist") << QStringList{QStringLiteral("backend"), QStringLiteral("--port"),
                                                 QStringLiteral("22001"), QStringLiteral("--service-dist"),
                                                 QStringLiteral("normal")}
                                  << QStringLiteral(
                                         "--service-dist must be one of fixed, exp, lognormal (got 'normal')");
    const schema::Range ports = schema::rangeOf(&BackendConfig::port);
    QTest::newRow("port") << QStringList{QStringLiteral("backend"), QStringLiteral("--port"), pastTheEnd(ports)}
                          << QStringLiteral("--port must be an integer from %1 to %2").arg(ports.min).arg(ports.max);
    const schema::Range weights = schema::rangeOf(&BackendConfig::weight);
    QTest::newRow("backend weight")
        << QStringList{QStringLiteral("serve"), QStringLiteral("--backend"),
                       QStringLiteral("127.0.0.1:22001,weight=") + pastTheEnd(weights)}
        << QStringLiteral("weight must be an integer from %1 to %2").arg(weights.min).arg(weights.max);
    QTest::newRow("backend port") << QStringList{QStringLiteral("serve"), QStringLiteral("--backend"),
                                                 QStringLiteral("127.0.0.1:0")}
                                  << QStringLiteral("with a port from %1 to %2").arg(ports.min).arg(ports.max);
    const schema::Range rates = schema::rangeOf(&FaultProfile::errorRatePercent);
    QTest::newRow("error-rate")
        << QStringList{QStringLiteral("backend"), QStringLiteral("--port"), QStringLiteral("22001"),
                       QStringLiteral("--error-rate"), pastTheEnd(rates)}
        << QStringLiteral("--error-rate must be a number from %1 to %2").arg(rates.min).arg(rates.max);
}

void TestCli::numericFlagsTakeTheConfigSchemaRange()
{
    refusedWithAPreciseError();
}

// SIGTERM: serve stops accepting at once, the request in flight still gets its answer, and the process
// exits 0 when the proxy has stopped (the stop is asynchronous; the loop quits on proxiesStopped).
void TestCli::serveFinishesARequestInFlightOnSigterm()
{
    lab::FaultProfile slow;
    slow.latencyMs = 800;
    lab::FakeBackend backend(QStringLiteral("slow"), QHostAddress::LocalHost, 0, slow);
    QVERIFY(backend.start());
    // No probes: the only request the backend sees is the test's.
    const QString config = write(QStringLiteral("sigterm.json"),
                                 QStringLiteral(R"({"listeners": [{"port": 0}],
 "health": {"enabled": false},
 "backends": [{"name": "slow", "host": "127.0.0.1", "port": %1}]})")
                                     .arg(backend.port())
                                     .toUtf8());
    QProcess serve;
    serve.start(QStringLiteral(LAB_BINARY), {QStringLiteral("serve"), QStringLiteral("--config"), config});
    QVERIFY(serve.waitForStarted());
    // The proxy's port comes from its log line: "proxy http listening on http://127.0.0.1:PORT (...)".
    const QRegularExpression listening(QStringLiteral(R"(listening on http://127\.0\.0\.1:(\d+))"));
    QString log;
    QRegularExpressionMatch m;
    QElapsedTimer t;
    t.start();
    while (!(m = listening.match(log)).hasMatch() && t.elapsed() < 10'000 && serve.state() == QProcess::Running) {
        serve.waitForReadyRead(100);
        log += QString::fromUtf8(serve.readAllStandardError());
    }
    QVERIFY2(m.hasMatch(), qPrintable(log));
    const quint16 port = m.captured(1).toUShort();

    lab::test::TestHttpConnection c;
    QVERIFY(c.connectTo(port));
    QVERIFY(c.send(lab::test::getRequest("/in-flight")));
    QTRY_COMPARE(backend.counters().activeRequests.load(), 1); // reached the backend through the proxy
    serve.terminate(); // SIGTERM
    QTRY_VERIFY(lab::test::connectionRefused(port));
    const auto r = c.readResponse(5000);
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    QVERIFY(serve.waitForFinished(5000));
    QCOMPARE(serve.exitStatus(), QProcess::NormalExit);
    QCOMPARE(serve.exitCode(), 0);
    log += QString::fromUtf8(serve.readAllStandardError());
    QVERIFY2(log.contains(QStringLiteral("signal 15: no longer accepting")), qPrintable(log));
}

// serve --admin 127.0.0.1:0: the admin API says where it is, and /metrics and /api/state answer for the lab
// that serve runs.
void TestCli::serveRunsTheAdminApiWhenAsked()
{
    lab::FakeBackend backend(QStringLiteral("b"), QHostAddress::LocalHost, 0);
    QVERIFY(backend.start());
    const QString config = write(QStringLiteral("admin-serve.json"),
                                 QStringLiteral(R"({"listeners": [{"port": 0}], "health": {"enabled": false},
 "backends": [{"name": "b", "host": "127.0.0.1", "port": %1}]})")
                                     .arg(backend.port())
                                     .toUtf8());
    QProcess serve;
    serve.start(QStringLiteral(LAB_BINARY),
                {QStringLiteral("serve"), QStringLiteral("--config"), config, QStringLiteral("--admin"),
                 QStringLiteral("127.0.0.1:0")});
    QVERIFY(serve.waitForStarted());
    const QRegularExpression adminAt(QStringLiteral(R"(admin API at http://127\.0\.0\.1:(\d+))"));
    QString log;
    QRegularExpressionMatch m;
    QElapsedTimer t;
    t.start();
    while (!(m = adminAt.match(log)).hasMatch() && t.elapsed() < 10'000 && serve.state() == QProcess::Running) {
        serve.waitForReadyRead(100);
        log += QString::fromUtf8(serve.readAllStandardError());
    }
    QVERIFY2(m.hasMatch(), qPrintable(log));
    QVERIFY2(!log.contains(QStringLiteral("warning")), qPrintable(log)); // loopback: nothing to warn about
    const quint16 port = m.captured(1).toUShort();
    const auto metrics = lab::test::httpGet(port, "/metrics");
    QVERIFY(metrics);
    QCOMPARE(metrics->status(), 200);
    QVERIFY2(metrics->body.contains("balancer_lab_backend_up{backend=\"b\"} 1"), metrics->body.constData());
    const auto state = lab::test::httpGet(port, "/api/state");
    QVERIFY(state);
    QCOMPARE(state->json()
                 .value(QStringLiteral("backends"))
                 .toArray()
                 .first()
                 .toObject()
                 .value(QStringLiteral("name"))
                 .toString(),
             QStringLiteral("b"));
    serve.terminate();
    QVERIFY(serve.waitForFinished(10'000));
    QCOMPARE(serve.exitCode(), 0);
}

// The help lists exactly the registry's algorithms, in its order, and names the ones --hash-key feeds.
void TestCli::serveHelpListsTheRegistry()
{
    QProcess p;
    p.start(QStringLiteral(LAB_BINARY), args({QStringLiteral("serve"), QStringLiteral("--help")}));
    QVERIFY(p.waitForFinished(10'000));
    QCOMPARE(p.exitCode(), 0);
    const QString out = QString::fromLocal8Bit(p.readAllStandardOutput()).simplified(); // undo the wrapping
    const QString listed =
        QStringLiteral("Balancing algorithm: %1.").arg(lab::algorithmNames().join(QStringLiteral(", ")));
    QVERIFY2(out.contains(listed), qPrintable(out));
    QVERIFY2(
        out.contains(QStringLiteral("What %1 hash").arg(lab::hashKeyAlgorithmNames().join(QStringLiteral(" and ")))),
        qPrintable(out));
}

void TestCli::backendFlagsShapeItsCapacity()
{
    quint16 port = 0;
    {
        QTcpServer probe; // a port that was free a moment ago
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    QProcess p;
    p.start(QStringLiteral(LAB_BINARY),
            {QStringLiteral("backend"), QStringLiteral("--port"), QString::number(port), QStringLiteral("--workers"),
             QStringLiteral("1"), QStringLiteral("--queue"), QStringLiteral("0"), QStringLiteral("--service-ms"),
             QStringLiteral("300"), QStringLiteral("--service-dist"), QStringLiteral("fixed")});
    QVERIFY(p.waitForStarted());
    QByteArray err;
    QTRY_VERIFY_WITH_TIMEOUT((err += p.readAllStandardError()).contains("listening on"), 10'000);
    // One worker, no queue: of two requests at once, one is served for 300 ms, the other refused at once.
    lab::test::TestHttpConnection a, b;
    QVERIFY(a.connectTo(port) && b.connectTo(port));
    QElapsedTimer t;
    t.start();
    QVERIFY(a.send(lab::test::getRequest("/a")) && b.send(lab::test::getRequest("/b")));
    const auto ra = a.readResponse();
    const auto rb = b.readResponse();
    QVERIFY(ra && rb);
    QCOMPARE(QSet<int>({ra->status(), rb->status()}), QSet<int>({200, 503}));
    const auto& full = ra->status() == 503 ? *ra : *rb;
    QCOMPARE(full.json().value(QStringLiteral("error")).toString(), QStringLiteral("queue full"));
    QCOMPARE(full.json().value(QStringLiteral("workers")).toInt(), 1);
    QCOMPARE(full.json().value(QStringLiteral("queue")).toInt(), 0);
    QVERIFY2(t.elapsed() >= 300, qPrintable(QString::number(t.elapsed())));
    p.terminate();
    QVERIFY(p.waitForFinished(10'000));
    QCOMPARE(p.exitCode(), 0);
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
