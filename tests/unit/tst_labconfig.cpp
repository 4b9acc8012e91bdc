#include "config/LabConfig.h"

#include <QTemporaryDir>
#include <QTest>

using namespace lab;

class TestLabConfig : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void defaultLabLoads();
    void badConfigs_data();
    void badConfigs();
    void saveLoadRoundTrip();
    void minimalConfigTakesDefaults();
    void unreadableFileNamesTheFile();
    void backendHosts_data();
    void backendHosts();
    void duplicateKeysAreNamedWithTheirLines();
    void aLabWithoutBackendsLoadsButCannotServe();
};

void TestLabConfig::defaultLabLoads()
{
    const LabConfig c = LabConfig::defaultLab();
    QCOMPARE(c.algorithm, QStringLiteral("round-robin"));
    QCOMPARE(c.listeners.size(), 1);
    QCOMPARE(c.listeners[0].port, 8000);
    QCOMPARE(c.listeners[0].address, QStringLiteral("127.0.0.1"));
    QCOMPARE(c.backends.size(), 3);
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(c.backends[i].name, QStringLiteral("backend-%1").arg(8001 + i));
        QCOMPARE(c.backends[i].port, 8001 + i);
        QVERIFY(c.backends[i].embedded);
    }
    QCOMPARE(c.health.intervalMs, 2000);
    QCOMPARE(c.health.rise, 2);
    QCOMPARE(c.health.fall, 3);
    QCOMPARE(c.retry.retries, 2);
}

void TestLabConfig::badConfigs_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("expectedInMessage");
    QTest::newRow("port not a number") << QByteArray(R"({"listeners":[{"port":"notanumber"}]})")
                                       << "listeners[0].port: must be an integer from 0 to 65535";
    QTest::newRow("port out of range") << QByteArray(R"({"backends":[{"port":70000}]})")
                                       << "backends[0].port: must be an integer from 1 to 65535";
    QTest::newRow("port fractional") << QByteArray(R"({"backends":[{"port":80.5}]})") << "backends[0].port";
    QTest::newRow("external port 0") << QByteArray(R"({"backends":[{"port":0}]})") << "backends[0].port";
    QTest::newRow("missing port") << QByteArray(R"({"backends":[{"name":"a"}]})") << "backends[0].port: is required";
    QTest::newRow("unknown top key") << QByteArray(R"({"algorythm":"round-robin"})")
                                     << "algorythm: unknown key; allowed here: version, algorithm";
    QTest::newRow("unknown backend key") << QByteArray(R"({"backends":[{"port":1,"wieght":3}]})")
                                         << "backends[0].wieght: unknown key";
    QTest::newRow("weight zero") << QByteArray(R"({"backends":[{"port":1,"weight":0}]})")
                                 << "backends[0].weight: must be an integer from 1 to 1000";
    QTest::newRow("weight string") << QByteArray(R"({"backends":[{"port":1,"weight":"5"}]})") << "backends[0].weight";
    QTest::newRow("duplicate name") << QByteArray(R"({"backends":[{"name":"a","port":1},{"name":"a","port":2}]})")
                                    << "backends[1].name: duplicate backend name \"a\"";
    QTest::newRow("duplicate address") << QByteArray(R"({"backends":[{"name":"a","port":9},{"name":"b","port":9}]})")
                                       << "backends[1].port: duplicate address 127.0.0.1:9";
    QTest::newRow("unknown algorithm") << QByteArray(R"({"algorithm":"fastest"})")
                                       << "algorithm: must be one of round-robin";
    QTest::newRow("listener kind") << QByteArray(R"({"listeners":[{"kind":"udp"}]})")
                                   << "listeners[0].kind: must be one of http, tcp";
    QTest::newRow("listener address") << QByteArray(R"({"listeners":[{"address":"example"}]})")
                                      << "listeners[0].address: must be an IP address";
    QTest::newRow("listeners not array") << QByteArray(R"({"listeners":{"port":1}})") << "listeners: must be an array";
    QTest::newRow("health interval") << QByteArray(R"({"health":{"intervalMs":0}})")
                                     << "health.intervalMs: must be an integer from 50";
    QTest::newRow("health rise type") << QByteArray(R"({"health":{"rise":true}})") << "health.rise";
    QTest::newRow("health type") << QByteArray(R"({"health":{"type":"icmp"}})")
                                 << "health.type: must be one of http, tcp";
    QTest::newRow("health status order") << QByteArray(R"({"health":{"expectStatusMin":300,"expectStatusMax":200}})")
                                         << "health.expectStatusMax: must be at least expectStatusMin";
    QTest::newRow("retry on") << QByteArray(R"({"retry":{"retryOn":["connect-failure","always"]}})")
                              << "retry.retryOn[1]: must be one of connect-failure, timeout, 5xx, 404";
    QTest::newRow("retries") << QByteArray(R"({"retry":{"retries":-1}})") << "retry.retries";
    QTest::newRow("fault error rate") << QByteArray(R"({"backends":[{"port":1,"faults":{"errorRatePercent":150}}]})")
                                      << "backends[0].faults.errorRatePercent: must be a number from 0 to 100";
    QTest::newRow("fault only paths") << QByteArray(R"({"backends":[{"port":1,"faults":{"onlyPaths":["a"]}}]})")
                                      << "backends[0].faults.onlyPaths[0]: must be a path starting with /";
    QTest::newRow("fault unknown") << QByteArray(R"({"backends":[{"port":1,"faults":{"slow":true}}]})")
                                   << "backends[0].faults.slow: unknown key";
    QTest::newRow("embedded host name") << QByteArray(R"({"backends":[{"port":1,"embedded":true,"host":"localhost"}]})")
                                        << "backends[0].host: an embedded backend listens on an IP address";
    QTest::newRow("timeouts") << QByteArray(R"({"timeouts":{"connectMs":"2s"}})") << "timeouts.connectMs";
    QTest::newRow("limits") << QByteArray(R"({"limits":{"maxHeaderCount":0}})") << "limits.maxHeaderCount";
    QTest::newRow("max connections") << QByteArray(R"({"proxy":{"maxConnections":-1}})")
                                     << "proxy.maxConnections: must be an integer from 0";
    QTest::newRow("listen backlog") << QByteArray(R"({"proxy":{"listenBacklog":70000}})")
                                    << "proxy.listenBacklog: must be an integer from 0 to 65535";
    QTest::newRow("underscores") << QByteArray(R"({"proxy":{"underscoresInHeaders":"yes"}})")
                                 << "proxy.underscoresInHeaders";
    QTest::newRow("listener clashes with backend")
        << QByteArray(R"({"listeners":[{"port":8001}],"backends":[{"port":8001,"embedded":true}]})")
        << "listeners[0].port: port 8001 is already used by embedded backends[0]";
    QTest::newRow("version") << QByteArray(R"({"version":2})") << "version: must be an integer from 1 to 1";
    QTest::newRow("not json") << QByteArray("{\n  \"listeners\": [,]\n}") << "bad.json:2:";
    QTest::newRow("not an object") << QByteArray("[1,2]") << "the top level must be a JSON object";
    QTest::newRow("host with spaces")
        << QByteArray(R"({"backends":[{"host":"not a host","port":22001}]})")
        << "backends[0].host: must be an IP address or a host name such as backend.example";
    QTest::newRow("host blank") << QByteArray(R"({"backends":[{"host":" ","port":22001}]})")
                                << "backends[0].host: must be an IP address or a host name";
    QTest::newRow("duplicate top key")
        << QByteArray("{\"algorithm\":\"random\",\n\"algorithm\":\"maglev\"}")
        << "bad.json: algorithm: appears twice in one object (lines 1 and 2); each key may appear only once";
    QTest::newRow("duplicate nested key")
        << QByteArray("{\"backends\":[{\"port\":1},\n {\"port\":2,\n  \"faults\":{\"hang\":true,\"hang\":false}}]}")
        << "bad.json: backends[1].faults.hang: appears twice in one object (lines 3 and 3)";
    QTest::newRow("integer far out of range") << QByteArray(R"({"backends":[{"port":1e300}]})")
                                              << "backends[0].port: must be an integer from 1 to 65535 (got 1e+300)";
    QTest::newRow("number overflows") << QByteArray(R"({"backends":[{"port":1,"faults":{"errorRatePercent":1e400}}]})")
                                      << "bad.json:1:";
}

void TestLabConfig::badConfigs()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, expectedInMessage);
    const LabConfigResult r = parseLabConfig(json, QStringLiteral("bad.json"));
    QVERIFY2(!r.ok(), json.constData());
    QVERIFY2(r.error.startsWith(QStringLiteral("bad.json")), qPrintable(r.error));
    QVERIFY2(r.error.contains(expectedInMessage), qPrintable(r.error));
}

void TestLabConfig::saveLoadRoundTrip()
{
    LabConfig c = LabConfig::defaultLab();
    c.algorithm = QStringLiteral("round-robin");
    c.listeners << ListenerConfig{QStringLiteral("relay"), ListenerKind::Tcp, QStringLiteral("::1"), 9000};
    c.backends[1].weight = 7;
    c.backends[1].faults.latencyMs = 120;
    c.backends[1].faults.jitterMs = 30;
    c.backends[1].faults.errorRatePercent = 12.5;
    c.backends[1].faults.onlyPaths = {QStringLiteral("/api"), QStringLiteral("/static")};
    c.backends[1].faults.capacity = 4;
    c.backends[2].faults.healthFails = true;
    c.backends << BackendConfig{QStringLiteral("far"), QStringLiteral("10.0.0.7"), 8080, 2, false, {}, {}};
    c.health.expectBody = QStringLiteral("up");
    c.retry.retryOn = {QStringLiteral("404"), QStringLiteral("5xx")};
    c.limits.maxBodyBytes = 1 << 20;
    c.timeouts.upstreamResponseMs = 1234;
    c.proxy.workers = 3;
    c.proxy.listenBacklog = 1024;
    c.proxy.maxConnections = 500;
    c.proxy.maxConnectionsPerClient = 20;
    c.proxy.maxHeadBufferBytes = 1 << 24;
    c.proxy.underscoresInHeaders = true;

    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("lab.json"));
    QString error;
    QVERIFY(saveLabConfig(c, file, &error));
    const LabConfigResult loaded = loadLabConfig(file);
    QVERIFY2(loaded.ok(), qPrintable(loaded.error));
    QVERIFY(loaded.config == c);
    QCOMPARE(labConfigToJson(loaded.config), labConfigToJson(c)); // byte-identical on a second save
}

void TestLabConfig::minimalConfigTakesDefaults()
{
    const LabConfigResult r = parseLabConfig(R"({"backends":[{"port":9001}]})", QStringLiteral("min.json"));
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.config.backends[0].name, QStringLiteral("backend-9001"));
    QCOMPARE(r.config.backends[0].host, QStringLiteral("127.0.0.1"));
    QCOMPARE(r.config.backends[0].weight, 1);
    QVERIFY(!r.config.backends[0].embedded);
    QCOMPARE(r.config.timeouts.connectMs, 2000);
    QVERIFY(!r.config.proxy.underscoresInHeaders); // dropped unless asked for
}

void TestLabConfig::unreadableFileNamesTheFile()
{
    const LabConfigResult r = loadLabConfig(QStringLiteral("/nonexistent/lab.json"));
    QVERIFY(!r.ok());
    QVERIFY(r.error.startsWith(QStringLiteral("/nonexistent/lab.json: cannot read")));
}

void TestLabConfig::backendHosts_data()
{
    QTest::addColumn<QString>("host");
    QTest::addColumn<bool>("valid");
    QTest::newRow("IPv4") << "10.0.0.7" << true;
    QTest::newRow("IPv6") << "::1" << true;
    QTest::newRow("name") << "localhost" << true;
    QTest::newRow("dotted name") << "backend-1.lab.example" << true;
    QTest::newRow("trailing dot") << "backend.example." << true;
    QTest::newRow("container name") << "lab_backend_1" << true;
    QTest::newRow("empty") << "" << false;
    QTest::newRow("a space") << " " << false;
    QTest::newRow("words") << "not a host" << false;
    QTest::newRow("leading space") << " 127.0.0.1" << false;
    QTest::newRow("empty label") << "a..b" << false;
    QTest::newRow("leading dot") << ".example" << false;
    QTest::newRow("label starts with -") << "-a.example" << false;
    QTest::newRow("slash") << "a/b" << false;
    QTest::newRow("label too long") << QString(64, QLatin1Char('a')) + QStringLiteral(".example") << false;
    QTest::newRow("non-ASCII") << QStringLiteral("bäckend") << false;
}

void TestLabConfig::backendHosts()
{
    QFETCH(QString, host);
    QFETCH(bool, valid);
    QCOMPARE(validBackendHost(host), valid);
}

void TestLabConfig::duplicateKeysAreNamedWithTheirLines()
{
    // Escapes decode before comparing, strings holding braces or colons are no keys, and equal keys in
    // different objects are fine.
    const QByteArray fine = R"({"backends":[{"name":"a{\"port\":1}","port":1},{"name":"b","port":2}],)"
                            R"("sticky":{"cookie":"x"}})";
    const LabConfigResult ok = parseLabConfig(fine, QStringLiteral("fine.json"));
    QVERIFY2(ok.ok(), qPrintable(ok.error));
    QCOMPARE(ok.config.backends[0].name, QStringLiteral("a{\"port\":1}"));
    const LabConfigResult r =
        parseLabConfig("{\"sticky\": {\"cookie\": \"a\",\n \"c\\u006fokie\": \"b\"}}", QStringLiteral("lab.json"));
    QCOMPARE(
        r.error,
        QStringLiteral(
            "lab.json: sticky.cookie: appears twice in one object (lines 1 and 2); each key may appear only once"));
}

void TestLabConfig::aLabWithoutBackendsLoadsButCannotServe()
{
    // The window saves and reopens a lab whose backends were all removed ...
    const LabConfigResult r =
        parseLabConfig(R"({"listeners":[{"port":8000}],"backends":[]})", QStringLiteral("empty.json"));
    QVERIFY2(r.ok(), qPrintable(r.error));
    QVERIFY(r.config.backends.isEmpty());
    // ... but serving it needs a backend (and a listener), named by JSON path.
    QCOMPARE(problemsForServing(r.config),
             QStringList{QStringLiteral("backends: none; serving needs at least one backend to send requests to")});
    LabConfig none = r.config;
    none.listeners.clear();
    QCOMPARE(problemsForServing(none).size(), 2);
    QVERIFY(problemsForServing(none).first().startsWith(QStringLiteral("listeners: none")));
    QVERIFY(problemsForServing(LabConfig::defaultLab()).isEmpty());
}

QTEST_GUILESS_MAIN(TestLabConfig)
#include "tst_labconfig.moc"
