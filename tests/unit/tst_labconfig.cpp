#include "balancing/Balancer.h"
#include "config/ConfigSchema.h"
#include "config/LabConfig.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <functional>

using namespace lab;

class TestLabConfig : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void defaultLabLoads();
    void badConfigs_data();
    void badConfigs();
    void saveLoadRoundTrip();
    void trafficSettingsRoundTrip();
    void minimalConfigTakesDefaults();
    void unreadableFileNamesTheFile();
    void backendHosts_data();
    void backendHosts();
    void duplicateKeysAreNamedWithTheirLines();
    void aLabWithoutBackendsLoadsButCannotServe();
    void everySchemaKeyRoundTrips();
    void everyNumericKeyRejectsOutOfRangeWithTheSchemaRange();
    void everySectionNamesTheSchemaKeysWhenAKeyIsUnknown();
    void hostPort_data();
    void hostPort();
    void rateLimitSpec_data();
    void rateLimitSpec();
    void hashKeyGrammarIsTheParsers_data();
    void hashKeyGrammarIsTheParsers();
};

namespace {

// Where a config section lives: its JSON path, the section in a LabConfig, and a document holding a given
// object at that place (a backend gets the port it needs).
template <typename Section> struct Place {
    QString path;
    std::function<Section&(LabConfig&)> at;
    std::function<QJsonObject(const QJsonObject&)> document;
};

QJsonObject inBackend(const char* key, const QJsonObject& o)
{
    return {
        {QStringLiteral("backends"), QJsonArray{QJsonObject{{QStringLiteral("port"), 9001}, {QLatin1String(key), o}}}}};
}

// One HTTP listener and one external backend with its own health settings: every section is written.
LabConfig walkBase()
{
    LabConfig c;
    c.listeners << ListenerConfig{};
    BackendConfig b;
    b.name = QStringLiteral("b");
    b.port = 9001;
    b.health = HealthConfig{};
    c.backends << b;
    return c;
}

// Calls f(place) for every place of every section the schema describes.
template <typename F> void forEachPlace(F f)
{
    f(Place<LabConfig>{QString(), [](LabConfig& c) -> LabConfig& { return c; },
                       [](const QJsonObject& o) {
                           return o;
                       }});
    f(Place<StickyConfig>{QStringLiteral("sticky"), [](LabConfig& c) -> StickyConfig& { return c.sticky; },
                          [](const QJsonObject& o) {
                              return QJsonObject{{QStringLiteral("sticky"), o}};
                          }});
    f(Place<TrafficConfig>{QStringLiteral("traffic"), [](LabConfig& c) -> TrafficConfig& { return c.traffic; },
                           [](const QJsonObject& o) {
                               return QJsonObject{{QStringLiteral("traffic"), o}};
                           }});
    f(Place<ListenerConfig>{QStringLiteral("listeners[0]"),
                            [](LabConfig& c) -> ListenerConfig& { return c.listeners[0]; },
                            [](const QJsonObject& o) {
                                return QJsonObject{{QStringLiteral("listeners"), QJsonArray{o}}};
                            }});
    f(Place<BackendConfig>{QStringLiteral("backends[0]"), [](LabConfig& c) -> BackendConfig& { return c.backends[0]; },
                           [](const QJsonObject& o) {
                               QJsonObject b{{QStringLiteral("port"), 9001}};
                               for (auto it = o.begin(); it != o.end(); ++it)
                                   b.insert(it.key(), it.value());
                               return QJsonObject{{QStringLiteral("backends"), QJsonArray{b}}};
                           }});
    f(Place<FaultProfile>{QStringLiteral("backends[0].faults"),
                          [](LabConfig& c) -> FaultProfile& { return c.backends[0].faults; },
                          [](const QJsonObject& o) {
                              return inBackend("faults", o);
                          }});
    f(Place<HealthConfig>{QStringLiteral("health"), [](LabConfig& c) -> HealthConfig& { return c.health; },
                          [](const QJsonObject& o) {
                              return QJsonObject{{QStringLiteral("health"), o}};
                          }});
    f(Place<HealthConfig>{QStringLiteral("backends[0].health"),
                          [](LabConfig& c) -> HealthConfig& { return *c.backends[0].health; },
                          [](const QJsonObject& o) {
                              return inBackend("health", o);
                          }});
    auto top = [](const char* key) {
        return [key](const QJsonObject& o) {
            return QJsonObject{{QLatin1String(key), o}};
        };
    };
    f(Place<OutlierConfig>{QStringLiteral("outlierDetection"), [](LabConfig& c) -> OutlierConfig& { return c.outlier; },
                           top("outlierDetection")});
    f(Place<BreakerConfig>{QStringLiteral("circuitBreaker"), [](LabConfig& c) -> BreakerConfig& { return c.breaker; },
                           top("circuitBreaker")});
    f(Place<RetryConfig>{QStringLiteral("retry"), [](LabConfig& c) -> RetryConfig& { return c.retry; }, top("retry")});
    f(Place<LimitsConfig>{QStringLiteral("limits"), [](LabConfig& c) -> LimitsConfig& { return c.limits; },
                          top("limits")});
    f(Place<TimeoutsConfig>{QStringLiteral("timeouts"), [](LabConfig& c) -> TimeoutsConfig& { return c.timeouts; },
                            top("timeouts")});
    f(Place<ProxyConfig>{QStringLiteral("proxy"), [](LabConfig& c) -> ProxyConfig& { return c.proxy; }, top("proxy")});
    f(Place<RateLimitConfig>{QStringLiteral("rateLimit"), [](LabConfig& c) -> RateLimitConfig& { return c.rateLimit; },
                             top("rateLimit")});
    f(Place<AdminConfig>{QStringLiteral("admin"), [](LabConfig& c) -> AdminConfig& { return c.admin; }, top("admin")});
}

QString keyPath(const QString& sectionPath, const char* key)
{
    return sectionPath.isEmpty() ? QString::fromLatin1(key) : sectionPath + QLatin1Char('.') + QLatin1String(key);
}

// Values other than the default to try for a key, most telling first: the range's ends, an allowed value.
template <typename T> QList<T> candidates(const schema::Range& r, const QStringList& allowed)
{
    if constexpr (std::is_same_v<T, bool>) {
        return {false, true};
    } else if constexpr (std::is_same_v<T, QString>) {
        return allowed.isEmpty() ? QList<QString>{QStringLiteral("/lab-check"), QStringLiteral("lab_check"),
                                                  QStringLiteral("header:X-Lab"), QStringLiteral("127.0.0.2")}
                                 : allowed;
    } else if constexpr (std::is_same_v<T, QStringList>) {
        QStringList reversed(allowed.rbegin(), allowed.rend());
        return allowed.isEmpty() ? QList<QStringList>{{QStringLiteral("/a"), QStringLiteral("/b")}}
                                 : QList<QStringList>{reversed};
    } else {
        return {T(r.max), T(r.min), T((r.min + r.max) / 2)};
    }
}

} // namespace

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
    QCOMPARE(c.retry.avoid, QStringLiteral("tried")); // never the same backend twice, unless a lab says so
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
    QTest::newRow("retry avoid") << QByteArray(R"({"retry":{"avoid":"same"}})")
                                 << "retry.avoid: must be one of tried, previous, none (got \"same\")";
    QTest::newRow("retry avoid type") << QByteArray(R"({"retry":{"avoid":1}})") << "retry.avoid";
    QTest::newRow("fault error rate") << QByteArray(R"({"backends":[{"port":1,"faults":{"errorRatePercent":150}}]})")
                                      << "backends[0].faults.errorRatePercent: must be a number from 0 to 100";
    QTest::newRow("fault only paths") << QByteArray(R"({"backends":[{"port":1,"faults":{"onlyPaths":["a"]}}]})")
                                      << "backends[0].faults.onlyPaths[0]: must be a path starting with /";
    QTest::newRow("fault workers") << QByteArray(R"({"backends":[{"port":1,"faults":{"workers":-1}}]})")
                                   << "backends[0].faults.workers: must be an integer from 0 to 100000 (got -1)";
    QTest::newRow("fault queue") << QByteArray(R"({"backends":[{"port":1,"faults":{"queue":2.5}}]})")
                                 << "backends[0].faults.queue: must be an integer from 0 to 1000000 (got 2.5)";
    QTest::newRow("fault service ms")
        << QByteArray(R"({"backends":[{"port":1,"faults":{"serviceMs":600001}}]})")
        << "backends[0].faults.serviceMs: must be an integer from 0 to 600000 (got 600001)";
    QTest::newRow("fault service dist")
        << QByteArray(R"({"backends":[{"port":1,"faults":{"serviceDist":"normal"}}]})")
        << "backends[0].faults.serviceDist: must be one of fixed, exp, lognormal (got \"normal\")";
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
    QTest::newRow("rate limit key") << QByteArray(R"({"rateLimit":{"key":"cookie:a"}})")
                                    << "rateLimit.key: must be client or header:NAME";
    QTest::newRow("rate limit header name")
        << QByteArray(R"({"rateLimit":{"key":"header:a b"}})") << "rateLimit.key: must be client or header:NAME";
    QTest::newRow("rate limit negative") << QByteArray(R"({"rateLimit":{"requestsPerSecond":-1}})")
                                         << "rateLimit.requestsPerSecond: must be a number from 0 to 1e+06";
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

// "Saved labs include the traffic generator's settings": simulated users survive a save and a load.
void TestLabConfig::trafficSettingsRoundTrip()
{
    LabConfig c = LabConfig::defaultLab();
    c.traffic.users = 50;
    c.traffic.pathTemplate = QStringLiteral("/item/{1..100}");
    c.traffic.arrival = QStringLiteral("poisson");
    c.traffic.thinkMs = 250;
    c.traffic.seed = 7;
    c.traffic.ratePerSecond = 120;
    const QByteArray json = labConfigToJson(c);
    QVERIFY(json.contains("\"pathTemplate\": \"/item/{1..100}\""));
    const LabConfigResult r = parseLabConfig(json, QStringLiteral("traffic.json"));
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.config.traffic, c.traffic);
    QCOMPARE(r.config, c);
    // A lab saved before the section existed still loads, with the single-client defaults.
    QJsonObject old = QJsonDocument::fromJson(json).object();
    old.remove(QStringLiteral("traffic"));
    const LabConfigResult o = parseLabConfig(QJsonDocument(old).toJson(), QStringLiteral("old.json"));
    QVERIFY2(o.ok(), qPrintable(o.error));
    QCOMPARE(o.config.traffic, TrafficConfig{});
    // An arrival process the generator does not know is named with what is allowed.
    old.insert(QStringLiteral("traffic"), QJsonObject{{QStringLiteral("arrival"), QStringLiteral("gaussian")}});
    const LabConfigResult bad = parseLabConfig(QJsonDocument(old).toJson(), QStringLiteral("bad.json"));
    QVERIFY2(bad.error.contains(QLatin1String("bad.json: traffic.arrival")) &&
                 bad.error.contains(QLatin1String("poisson")),
             qPrintable(bad.error));
}

void TestLabConfig::saveLoadRoundTrip()
{
    LabConfig c = LabConfig::defaultLab();
    c.algorithm = QStringLiteral("round-robin");
    c.listeners << ListenerConfig{QStringLiteral("relay"), ListenerKind::Tcp, QStringLiteral("::1"), 9000, {}};
    c.backends[1].weight = 7;
    c.backends[1].faults.latencyMs = 120;
    c.backends[1].faults.jitterMs = 30;
    c.backends[1].faults.errorRatePercent = 12.5;
    c.backends[1].faults.onlyPaths = {QStringLiteral("/api"), QStringLiteral("/static")};
    c.backends[1].faults.capacity = 4;
    c.backends[1].faults.workers = 2;
    c.backends[1].faults.queue = 8;
    c.backends[1].faults.serviceMs = 15;
    c.backends[1].faults.serviceDist = QStringLiteral("lognormal");
    c.backends[2].faults.healthFails = true;
    c.backends[2].faults.serviceDist = QStringLiteral("exp");
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
    c.rateLimit = {2.5, 5, QStringLiteral("header:X-Api-Key")};

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

// Every key with a member is written by the save and read back by the parse: one key at a time is set to
// a value other than its default, and the whole config comes back equal.
void TestLabConfig::everySchemaKeyRoundTrips()
{
    int keys = 0;
    forEachPlace([&](const auto& place) {
        using Section = std::remove_reference_t<decltype(place.at(std::declval<LabConfig&>()))>;
        for (const schema::Key<Section>& k : schema::keysOf<Section>()) {
            std::visit(
                [&](auto member) {
                    if constexpr (!std::is_same_v<decltype(member), std::monostate>) {
                        using T = std::remove_cvref_t<decltype(std::declval<Section&>().*member)>;
                        const QString path = keyPath(place.path, k.name);
                        bool roundTripped = false;
                        for (const T& value : candidates<T>(k.range, k.allowed ? k.allowed() : QStringList())) {
                            LabConfig c = walkBase();
                            if (place.at(c).*member == value)
                                continue;
                            place.at(c).*member = value;
                            const LabConfigResult r = parseLabConfig(labConfigToJson(c), QStringLiteral("trip.json"));
                            if (!r.ok())
                                continue; // e.g. expectStatusMin above expectStatusMax: try the next value
                            QVERIFY2(r.config == c, qPrintable(path));
                            roundTripped = true;
                            break;
                        }
                        QVERIFY2(roundTripped, qPrintable(path + QStringLiteral(": no value round-tripped")));
                        ++keys;
                    }
                },
                k.member);
            if (QTest::currentTestFailed())
                return;
        }
    });
    QVERIFY(keys >= 60);
}

// Just outside each end of a numeric key's range is rejected, naming the key's path and the schema's range.
void TestLabConfig::everyNumericKeyRejectsOutOfRangeWithTheSchemaRange()
{
    int keys = 0;
    forEachPlace([&](const auto& place) {
        using Section = std::remove_reference_t<decltype(place.at(std::declval<LabConfig&>()))>;
        for (const schema::Key<Section>& k : schema::keysOf<Section>()) {
            const bool integer = std::holds_alternative<int Section::*>(k.member);
            const bool number = std::holds_alternative<double Section::*>(k.member) ||
                std::holds_alternative<qint64 Section::*>(k.member);
            if (!integer && !number)
                continue;
            const QString allowed = integer
                ? QStringLiteral("must be an integer from %1 to %2").arg(k.range.min).arg(k.range.max)
                : QStringLiteral("must be a number from %1 to %2").arg(double(k.range.min)).arg(double(k.range.max));
            const QString expected = keyPath(place.path, k.name) + QStringLiteral(": ") + allowed;
            for (const double outside : {double(k.range.min) - 1, double(k.range.max) + 1}) {
                const QJsonObject doc = place.document({{QLatin1String(k.name), outside}});
                const LabConfigResult r =
                    parseLabConfig(QJsonDocument(doc).toJson(QJsonDocument::Compact), QStringLiteral("range.json"));
                QVERIFY2(r.error.contains(expected), qPrintable(expected + QStringLiteral(" | got: ") + r.error));
            }
            if (QTest::currentTestFailed())
                return;
            ++keys;
        }
    });
    QVERIFY(keys >= 45);
}

void TestLabConfig::everySectionNamesTheSchemaKeysWhenAKeyIsUnknown()
{
    forEachPlace([&](const auto& place) {
        using Section = std::remove_reference_t<decltype(place.at(std::declval<LabConfig&>()))>;
        const QJsonObject doc = place.document({{QStringLiteral("noSuchKey"), 1}});
        const LabConfigResult r =
            parseLabConfig(QJsonDocument(doc).toJson(QJsonDocument::Compact), QStringLiteral("keys.json"));
        const QString expected = keyPath(place.path, "noSuchKey") + QStringLiteral(": unknown key; allowed here: ") +
            schema::keyNames<Section>().join(QStringLiteral(", "));
        QVERIFY2(r.error.contains(expected), qPrintable(expected + QStringLiteral(" | got: ") + r.error));
    });
}

// HOST:PORT as --listen, --backend and the window's Add external backend read it; port -1 = refused.
void TestLabConfig::hostPort_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::newRow("IPv4") << "127.0.0.1:8000"
                          << "127.0.0.1" << 8000;
    QTest::newRow("name") << "backend.example:80"
                          << "backend.example" << 80;
    QTest::newRow("bracketed IPv6") << "[::1]:9001"
                                    << "::1" << 9001;
    QTest::newRow("bare IPv6: the last colon") << "::1:9001"
                                               << "::1" << 9001;
    QTest::newRow("port 0") << "127.0.0.1:0"
                            << "127.0.0.1" << 0;
    QTest::newRow("port 65535") << "127.0.0.1:65535"
                                << "127.0.0.1" << 65535;
    QTest::newRow("port 65536") << "127.0.0.1:65536" << QString() << -1;
    QTest::newRow("negative port") << "127.0.0.1:-1" << QString() << -1;
    QTest::newRow("port a word") << "127.0.0.1:http" << QString() << -1;
    QTest::newRow("no port") << "127.0.0.1:" << QString() << -1;
    QTest::newRow("no colon") << "127.0.0.1" << QString() << -1;
    QTest::newRow("no host") << ":8000" << QString() << -1;
    QTest::newRow("empty") << "" << QString() << -1;
}

void TestLabConfig::hostPort()
{
    QFETCH(QString, text);
    QFETCH(QString, host);
    QFETCH(int, port);
    const std::optional<HostPort> parsed = parseHostPort(text);
    QCOMPARE(parsed.has_value(), port >= 0);
    if (parsed) {
        QCOMPARE(parsed->host, host);
        QCOMPARE(parsed->port, port);
    }
}

void TestLabConfig::rateLimitSpec_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<double>("rps");
    QTest::addColumn<int>("burst");
    QTest::newRow("rate only") << "20" << true << 20.0 << 0;
    QTest::newRow("rate and burst") << "20,40" << true << 20.0 << 40;
    QTest::newRow("fraction") << "0.5,1" << true << 0.5 << 1;
    QTest::newRow("off") << "0" << true << 0.0 << 0;
    QTest::newRow("negative") << "-1" << false << 0.0 << 0;
    QTest::newRow("too fast") << "2000000" << false << 0.0 << 0;
    QTest::newRow("burst not a number") << "5,x" << false << 0.0 << 0;
    QTest::newRow("three parts") << "5,5,5" << false << 0.0 << 0;
    QTest::newRow("empty") << "" << false << 0.0 << 0;
}

void TestLabConfig::rateLimitSpec()
{
    QFETCH(QString, text);
    QFETCH(bool, ok);
    QFETCH(double, rps);
    QFETCH(int, burst);
    RateLimitConfig r;
    r.key = QStringLiteral("header:X-Api-Key");
    QString error;
    QCOMPARE(parseRateLimitSpec(text, &r, &error), ok);
    if (!ok) {
        QVERIFY2(error.contains(QStringLiteral("from 0 to 1000000")), qPrintable(error));
        QVERIFY2(error.contains(QStringLiteral("(got '%1')").arg(text)), qPrintable(error));
        return;
    }
    QCOMPARE(r.requestsPerSecond, rps);
    QCOMPARE(r.burst, burst);
    QCOMPARE(r.key, QStringLiteral("header:X-Api-Key")); // the key is the config's
}

void TestLabConfig::hashKeyGrammarIsTheParsers_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("client") << "client" << true;
    QTest::newRow("path") << "path" << true;
    QTest::newRow("header:X-User") << "header:X-User" << true;
    QTest::newRow("cookie:session_id") << "cookie:session_id" << true;
    QTest::newRow("header: (no name)") << "header:" << false;
    QTest::newRow("cookie: (no name)") << "cookie:" << false;
    QTest::newRow("Header:X (the prefix is lower case)") << "Header:X" << false;
    QTest::newRow("'path ' (trailing space)") << "path " << false;
    QTest::newRow("body") << "body" << false;
    QTest::newRow("header:X User (a space in the name)") << "header:X User" << false;
    QTest::newRow("cookie:a;b") << "cookie:a;b" << false;
    QTest::newRow("empty") << "" << false;
    QTest::newRow("a 65-character name") << QStringLiteral("header:") + QString(65, QLatin1Char('h')) << false;
}

// The config, the CLI, the window and Lab all ask HashKeySpec: the config must accept exactly what the
// parser accepts, and refuse the rest with the parser's sentence.
void TestLabConfig::hashKeyGrammarIsTheParsers()
{
    QFETCH(QString, key);
    QFETCH(bool, accepted);
    HashKeySpec spec;
    QCOMPARE(HashKeySpec::parse(key, &spec), accepted);
    QCOMPARE(HashKeySpec::problem(key).isEmpty(), accepted);
    QJsonObject o;
    o.insert(QStringLiteral("hashKey"), key);
    const LabConfigResult r = parseLabConfig(QJsonDocument(o).toJson(), QStringLiteral("lab.json"));
    QVERIFY2(r.ok() == accepted, qPrintable(r.error));
    if (accepted) {
        QCOMPARE(r.config.hashKey, key);
    } else {
        QVERIFY2(r.error.contains(QStringLiteral("hashKey: ") + HashKeySpec::problem(key)), qPrintable(r.error));
        QVERIFY2(r.error.contains(QStringLiteral("client, path, header:NAME or cookie:NAME")), qPrintable(r.error));
    }
}

QTEST_GUILESS_MAIN(TestLabConfig)
#include "tst_labconfig.moc"
