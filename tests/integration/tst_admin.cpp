// The admin API over real sockets: every endpoint, its bad input and unknown names, what each change does
// to the lab (next pick, config, event log), and the listener's strict parsing and limits.
#include "AdminClient.h"
#include "TestLab.h"

#include "admin/AdminServer.h"
#include "backend/BackendPool.h"
#include "fakebackend/FakeBackend.h"
#include "metrics/EventLog.h"
#include "proxy/Proxy.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace lab;
using namespace lab::test;

namespace {

// A running lab (three embedded backends, one HTTP listener) with its admin API on a free loopback port.
struct AdminLab {
    AdminLab()
        : admin(running.lab)
    {
        QString error;
        if (!admin.listen(QStringLiteral("127.0.0.1"), 0, &error))
            qFatal("admin API: %s", qPrintable(error));
    }
    std::optional<TestResponse> call(const QByteArray& method, const QByteArray& target,
                                     const QByteArray& contentType = {}, const QByteArray& body = {})
    {
        return adminCall(admin.port(), method, target, contentType, body);
    }
    RunningLab running;
    AdminServer admin;
};

bool eventLogged(const Lab& lab, const QString& text)
{
    for (const LabEvent& e : lab.events().since(0)) {
        if (e.text.contains(text))
            return true;
    }
    return false;
}

} // namespace

class TestAdmin : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void endpoints_data();
    void endpoints();
    void drainTakesEffectOnTheNextPickAndIsAnEvent();
    void disableStopsAnEmbeddedBackendAndEnableStartsIt();
    void weightChangesThePoolAndTheConfig();
    void algorithmSwitchesBetweenPicks();
    void eventsArePagedBySequence();
    void traceListsProxiedRequests();
    void strictParsing_data();
    void strictParsing();
    void keepAliveAndHead();
};

// One row per request: what comes back, and which field an error names (empty: a success, whose JSON must
// hold `key`).
void TestAdmin::endpoints_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QByteArray>("allow");
    const QByteArray json = "application/json";

    QTest::newRow("index") << QByteArray("GET") << QByteArray("/") << QByteArray() << QByteArray() << 200 << ""
                           << "endpoints" << QByteArray();
    QTest::newRow("state") << QByteArray("GET") << QByteArray("/api/state") << QByteArray() << QByteArray() << 200 << ""
                           << "backends" << QByteArray();
    QTest::newRow("events") << QByteArray("GET") << QByteArray("/api/events?after=0&limit=5") << QByteArray()
                            << QByteArray() << 200 << ""
                            << "events" << QByteArray();
    QTest::newRow("trace") << QByteArray("GET") << QByteArray("/api/trace") << QByteArray() << QByteArray() << 200 << ""
                           << "entries" << QByteArray();
    QTest::newRow("one backend") << QByteArray("GET") << QByteArray("/api/backends/backend-8002") << QByteArray()
                                 << QByteArray() << 200 << ""
                                 << "eligibility" << QByteArray();
    QTest::newRow("drain") << QByteArray("POST") << QByteArray("/api/backends/backend-8001/drain") << json
                           << QByteArray() << 200 << ""
                           << "draining" << QByteArray();
    QTest::newRow("enable with {}") << QByteArray("POST") << QByteArray("/api/backends/backend-8001/enable") << json
                                    << QByteArray("{}") << 200 << ""
                                    << "draining" << QByteArray();
    QTest::newRow("weight") << QByteArray("PUT") << QByteArray("/api/backends/backend-8001/weight") << json
                            << QByteArray(R"({"weight":7})") << 200 << ""
                            << "weight" << QByteArray();
    QTest::newRow("algorithm") << QByteArray("PUT") << QByteArray("/api/algorithm") << json
                               << QByteArray(R"({"algorithm":"least-connections"})") << 200 << ""
                               << "algorithm" << QByteArray();
    QTest::newRow("json with charset") << QByteArray("PUT") << QByteArray("/api/algorithm")
                                       << QByteArray("Application/JSON; charset=utf-8")
                                       << QByteArray(R"({"algorithm":"random"})") << 200 << ""
                                       << "algorithm" << QByteArray();

    // unknown names
    QTest::newRow("unknown path") << QByteArray("GET") << QByteArray("/api/nothing") << QByteArray() << QByteArray()
                                  << 404 << "path"
                                  << "" << QByteArray();
    QTest::newRow("unknown backend drain")
        << QByteArray("POST") << QByteArray("/api/backends/nope/drain") << json << QByteArray() << 404 << "name"
        << "" << QByteArray();
    QTest::newRow("unknown backend weight") << QByteArray("PUT") << QByteArray("/api/backends/nope/weight") << json
                                            << QByteArray(R"({"weight":2})") << 404 << "name"
                                            << "" << QByteArray();
    QTest::newRow("unknown backend get") << QByteArray("GET") << QByteArray("/api/backends/nope") << QByteArray()
                                         << QByteArray() << 404 << "name"
                                         << "" << QByteArray();
    QTest::newRow("unknown operation") << QByteArray("POST") << QByteArray("/api/backends/backend-8001/explode") << json
                                       << QByteArray() << 404 << "path"
                                       << "" << QByteArray();

    // wrong methods
    QTest::newRow("POST metrics") << QByteArray("POST") << QByteArray("/metrics") << json << QByteArray() << 405
                                  << "method"
                                  << "" << QByteArray("GET, HEAD");
    QTest::newRow("GET drain") << QByteArray("GET") << QByteArray("/api/backends/backend-8001/drain") << QByteArray()
                               << QByteArray() << 405 << "method"
                               << "" << QByteArray("POST");
    QTest::newRow("POST weight") << QByteArray("POST") << QByteArray("/api/backends/backend-8001/weight") << json
                                 << QByteArray(R"({"weight":2})") << 405 << "method"
                                 << "" << QByteArray("PUT");
    QTest::newRow("DELETE state") << QByteArray("DELETE") << QByteArray("/api/state") << QByteArray() << QByteArray()
                                  << 405 << "method"
                                  << "" << QByteArray("GET, HEAD");
    QTest::newRow("OPTIONS algorithm") << QByteArray("OPTIONS") << QByteArray("/api/algorithm") << QByteArray()
                                       << QByteArray() << 405 << "method"
                                       << "" << QByteArray("PUT");

    // content types: a form or text/plain (what a web page may send without asking) changes nothing
    QTest::newRow("form post") << QByteArray("POST") << QByteArray("/api/backends/backend-8001/drain")
                               << QByteArray("application/x-www-form-urlencoded") << QByteArray("a=1") << 415
                               << "Content-Type"
                               << "" << QByteArray();
    QTest::newRow("text/plain") << QByteArray("PUT") << QByteArray("/api/algorithm") << QByteArray("text/plain")
                                << QByteArray(R"({"algorithm":"random"})") << 415 << "Content-Type"
                                << "" << QByteArray();
    QTest::newRow("no content type") << QByteArray("POST") << QByteArray("/api/backends/backend-8001/drain")
                                     << QByteArray() << QByteArray() << 415 << "Content-Type"
                                     << "" << QByteArray();

    // bad input names the field
    QTest::newRow("not json") << QByteArray("PUT") << QByteArray("/api/backends/backend-8001/weight") << json
                              << QByteArray("{weight:") << 400 << "body"
                              << "" << QByteArray();
    QTest::newRow("json array") << QByteArray("PUT") << QByteArray("/api/backends/backend-8001/weight") << json
                                << QByteArray("[1]") << 400 << "body"
                                << "" << QByteArray();
    QTest::newRow("weight missing") << QByteArray("PUT") << QByteArray("/api/backends/backend-8001/weight") << json
                                    << QByteArray("{}") << 400 << "weight"
                                    << "" << QByteArray();
    QTest::newRow("weight 0") << QByteArray("PUT") << QByteArray("/api/backends/backend-8001/weight") << json
                              << QByteArray(R"({"weight":0})") << 400 << "weight"
                              << "" << QByteArray();
    QTest::newRow("weight 1001") << QByteArray("PUT") << QByteArray("/api/backends/backend-8001/weight") << json
                                 << QByteArray(R"({"weight":1001})") << 400 << "weight"
                                 << "" << QByteArray();
    QTest::newRow("weight 2.5") << QByteArray("PUT") << QByteArray("/api/backends/backend-8001/weight") << json
                                << QByteArray(R"({"weight":2.5})") << 400 << "weight"
                                << "" << QByteArray();
    QTest::newRow("weight string") << QByteArray("PUT") << QByteArray("/api/backends/backend-8001/weight") << json
                                   << QByteArray(R"({"weight":"3"})") << 400 << "weight"
                                   << "" << QByteArray();
    QTest::newRow("unknown field") << QByteArray("PUT") << QByteArray("/api/backends/backend-8001/weight") << json
                                   << QByteArray(R"({"weight":3,"colour":"red"})") << 400 << "colour"
                                   << "" << QByteArray();
    QTest::newRow("drain takes no field") << QByteArray("POST") << QByteArray("/api/backends/backend-8001/drain")
                                          << json << QByteArray(R"({"now":true})") << 400 << "now"
                                          << "" << QByteArray();
    QTest::newRow("disable drainMs too long") << QByteArray("POST") << QByteArray("/api/backends/backend-8001/disable")
                                              << json << QByteArray(R"({"drainMs":600000})") << 400 << "drainMs"
                                              << "" << QByteArray();
    QTest::newRow("unknown algorithm") << QByteArray("PUT") << QByteArray("/api/algorithm") << json
                                       << QByteArray(R"({"algorithm":"fastest"})") << 400 << "algorithm"
                                       << "" << QByteArray();
    QTest::newRow("algorithm missing") << QByteArray("PUT") << QByteArray("/api/algorithm") << json << QByteArray("{}")
                                       << 400 << "algorithm"
                                       << "" << QByteArray();
    QTest::newRow("bad hash key") << QByteArray("PUT") << QByteArray("/api/algorithm") << json
                                  << QByteArray(R"({"algorithm":"ring-hash","hashKey":"moon"})") << 400 << "hashKey"
                                  << "" << QByteArray();
    QTest::newRow("events limit 0") << QByteArray("GET") << QByteArray("/api/events?limit=0") << QByteArray()
                                    << QByteArray() << 400 << "limit"
                                    << "" << QByteArray();
    QTest::newRow("events after -1") << QByteArray("GET") << QByteArray("/api/events?after=-1") << QByteArray()
                                     << QByteArray() << 400 << "after"
                                     << "" << QByteArray();
    QTest::newRow("trace unknown parameter")
        << QByteArray("GET") << QByteArray("/api/trace?since=3") << QByteArray() << QByteArray() << 400 << "since"
        << "" << QByteArray();
}

void TestAdmin::endpoints()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QString, field);
    QFETCH(QString, key);
    QFETCH(QByteArray, allow);

    AdminLab l;
    const QString algorithmBefore = l.running.lab.pool()->algorithm();
    const std::optional<TestResponse> r = l.call(method, target, contentType, body);
    QVERIFY(r);
    QCOMPARE(r->status(), status);
    QCOMPARE(r->head.header("Content-Type"), QByteArray("application/json"));
    const QJsonDocument doc = QJsonDocument::fromJson(r->body);
    QVERIFY2(doc.isObject(), r->body.constData());
    if (status >= 400) {
        QCOMPARE(doc.object().value(QStringLiteral("field")).toString(), field);
        QVERIFY(!doc.object().value(QStringLiteral("error")).toString().isEmpty());
        // a refused change changes nothing
        QCOMPARE(l.running.lab.pool()->algorithm(), algorithmBefore);
        QVERIFY(!l.running.lab.isDraining(l.running.id(0)));
        QCOMPARE(l.running.lab.backendConfig(l.running.id(0)).weight, 1);
    } else {
        QVERIFY2(doc.object().contains(key), r->body.constData());
    }
    QCOMPARE(r->head.header("Allow"), allow);
}

void TestAdmin::drainTakesEffectOnTheNextPickAndIsAnEvent()
{
    AdminLab l;
    const std::optional<TestResponse> r =
        l.call("POST", "/api/backends/backend-8002/drain", "application/json", QByteArray());
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    QCOMPARE(r->json().value(QStringLiteral("draining")).toBool(), true);
    QCOMPARE(r->json().value(QStringLiteral("eligibility")).toString(), QStringLiteral("draining"));
    QVERIFY(l.running.lab.isDraining(l.running.id(1)));
    QVERIFY(eventLogged(l.running.lab, QStringLiteral("backend-8002 draining")));
    // the next requests go to the other two only
    for (int i = 0; i < 6; ++i) {
        const std::optional<TestResponse> p = httpGet(l.running.port(), "/");
        QVERIFY(p);
        QCOMPARE(p->status(), 200);
        QVERIFY(p->head.header("X-Served-By") != "backend-8002");
    }
    // and the state says so
    const std::optional<TestResponse> state = l.call("GET", "/api/state");
    QVERIFY(state);
    const QJsonArray backends = state->json().value(QStringLiteral("backends")).toArray();
    QCOMPARE(backends.size(), 3);
    QCOMPARE(backends[1].toObject().value(QStringLiteral("draining")).toBool(), true);
    QCOMPARE(backends[0].toObject().value(QStringLiteral("draining")).toBool(), false);
    QCOMPARE(backends[1].toObject().value(QStringLiteral("requests")).toInt(), 0);

    const std::optional<TestResponse> back =
        l.call("POST", "/api/backends/backend-8002/enable", "application/json", QByteArray());
    QVERIFY(back);
    QCOMPARE(back->status(), 200);
    QVERIFY(!l.running.lab.isDraining(l.running.id(1)));
    QVERIFY(eventLogged(l.running.lab, QStringLiteral("backend-8002 back in rotation")));
}

void TestAdmin::disableStopsAnEmbeddedBackendAndEnableStartsIt()
{
    AdminLab l;
    FakeBackend* fake = l.running.lab.embeddedBackend(l.running.id(2));
    QVERIFY(fake && fake->isStarted());
    const std::optional<TestResponse> r =
        l.call("POST", "/api/backends/backend-8003/disable", "application/json", R"({"drainMs":0})");
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    QTRY_VERIFY(!fake->isStarted());
    QCOMPARE(r->json().value(QStringLiteral("running")).toBool(), false);
    QTRY_VERIFY(eventLogged(l.running.lab, QStringLiteral("backend-8003 stopped")));

    const std::optional<TestResponse> e =
        l.call("POST", "/api/backends/backend-8003/enable", "application/json", QByteArray());
    QVERIFY(e);
    QCOMPARE(e->status(), 200);
    QVERIFY(fake->isStarted());
    QCOMPARE(e->json().value(QStringLiteral("running")).toBool(), true);
    QCOMPARE(e->json().value(QStringLiteral("draining")).toBool(), false);
}

void TestAdmin::weightChangesThePoolAndTheConfig()
{
    AdminLab l;
    const std::optional<TestResponse> r =
        l.call("PUT", "/api/backends/backend-8001/weight", "application/json", R"({"weight":5})");
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    QCOMPARE(r->json().value(QStringLiteral("weight")).toInt(), 5);
    QCOMPARE(l.running.lab.poolBackend(l.running.id(0))->weight.load(), 5);
    QCOMPARE(l.running.lab.config().backends[0].weight, 5); // File > Save writes what runs
    QVERIFY(eventLogged(l.running.lab, QStringLiteral("backend-8001 weight 1 → 5")));

    // weighted round robin now gives it 5 of every 7 picks
    QVERIFY(l.call("PUT", "/api/algorithm", "application/json", R"({"algorithm":"weighted-round-robin"})"));
    int first = 0;
    for (int i = 0; i < 14; ++i) {
        const std::optional<TestResponse> p = httpGet(l.running.port(), "/");
        QVERIFY(p);
        first += p->head.header("X-Served-By") == "backend-8001" ? 1 : 0;
    }
    QCOMPARE(first, 10);
}

void TestAdmin::algorithmSwitchesBetweenPicks()
{
    AdminLab l;
    const std::optional<TestResponse> r =
        l.call("PUT", "/api/algorithm", "application/json", R"({"algorithm":"ring-hash","hashKey":"path"})");
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    QCOMPARE(r->json().value(QStringLiteral("algorithm")).toString(), QStringLiteral("ring-hash"));
    QCOMPARE(l.running.lab.pool()->algorithm(), QStringLiteral("ring-hash"));
    QCOMPARE(l.running.lab.config().hashKey, QStringLiteral("path"));
    QVERIFY(eventLogged(l.running.lab, QStringLiteral("algorithm round-robin → ring-hash")));
    // hashing by path: one path always lands on one backend
    QByteArray servedBy;
    for (int i = 0; i < 5; ++i) {
        const std::optional<TestResponse> p = httpGet(l.running.port(), "/same/path");
        QVERIFY(p);
        if (i == 0)
            servedBy = p->head.header("X-Served-By");
        QCOMPARE(p->head.header("X-Served-By"), servedBy);
    }
}

void TestAdmin::eventsArePagedBySequence()
{
    AdminLab l;
    for (int w = 2; w <= 6; ++w)
        l.running.lab.setWeight(l.running.id(0), w); // five events of our own
    const quint64 last = l.running.lab.events().lastSequence();
    QVERIFY(last >= 5);
    const std::optional<TestResponse> page =
        l.call("GET", "/api/events?after=" + QByteArray::number(last - 5) + "&limit=3");
    QVERIFY(page);
    QCOMPARE(page->status(), 200);
    const QJsonArray events = page->json().value(QStringLiteral("events")).toArray();
    QCOMPARE(events.size(), 3);
    QCOMPARE(page->json().value(QStringLiteral("more")).toBool(), true);
    QCOMPARE(quint64(events[0].toObject().value(QStringLiteral("sequence")).toDouble()), last - 4);
    QCOMPARE(events[0].toObject().value(QStringLiteral("text")).toString(),
             QStringLiteral("backend-8001 weight 1 → 2"));
    QCOMPARE(events[0].toObject().value(QStringLiteral("kind")).toString(), EventLog::kindName(LabEvent::Kind::Config));
    const std::optional<TestResponse> rest =
        l.call("GET", "/api/events?after=" + QByteArray::number(last - 2) + "&limit=500");
    QVERIFY(rest);
    QCOMPARE(rest->json().value(QStringLiteral("events")).toArray().size(), 2);
    QCOMPARE(rest->json().value(QStringLiteral("more")).toBool(), false);
    QCOMPARE(quint64(rest->json().value(QStringLiteral("lastSequence")).toDouble()), last);
}

void TestAdmin::traceListsProxiedRequests()
{
    AdminLab l;
    const std::optional<TestResponse> p = httpGet(l.running.port(), "/traced", "X-Lab-Trace: t-17\r\n");
    QVERIFY(p);
    QCOMPARE(p->status(), 200);
    const std::optional<TestResponse> t = l.call("GET", "/api/trace?limit=500");
    QVERIFY(t);
    QCOMPARE(t->status(), 200);
    bool found = false;
    for (const QJsonValue& v : t->json().value(QStringLiteral("entries")).toArray()) {
        const QJsonObject e = v.toObject();
        if (e.value(QStringLiteral("path")).toString() == QLatin1String("/traced")) {
            found = true;
            QCOMPARE(e.value(QStringLiteral("status")).toInt(), 200);
            QCOMPARE(e.value(QStringLiteral("servedBy")).toString(),
                     QString::fromLatin1(p->head.header("X-Served-By")));
        }
    }
    QVERIFY(found);
}

// Raw requests the listener must refuse before any route sees them, with the status of the proxy's own rules.
void TestAdmin::strictParsing_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<int>("status");
    QTest::newRow("no Host") << QByteArray("GET /api/state HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("two Hosts") << QByteArray("GET /api/state HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") << 400;
    QTest::newRow("garbage") << QByteArray("HELLO\r\n\r\n") << 400;
    QTest::newRow("CL and TE") << QByteArray("PUT /api/algorithm HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
                                             "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                               << 400;
    QTest::newRow("body too large") << QByteArray("PUT /api/algorithm HTTP/1.1\r\nHost: a\r\nContent-Type: "
                                                  "application/json\r\nContent-Length: 70000\r\n\r\n")
                                    << 413;
    QTest::newRow("HTTP/2.0") << QByteArray("GET /api/state HTTP/2.0\r\nHost: a\r\n\r\n") << 505;
    QTest::newRow("target too long") << QByteArray("GET /" + QByteArray(5000, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n")
                                     << 414;
}

void TestAdmin::strictParsing()
{
    QFETCH(QByteArray, raw);
    QFETCH(int, status);
    AdminLab l;
    EventLoopHttpClient client;
    QVERIFY(client.connectTo(l.admin.port()));
    const std::optional<TestResponse> r = client.request(raw);
    QVERIFY(r);
    QCOMPARE(r->status(), status);
    QCOMPARE(r->head.header("Connection"), QByteArray("close"));
    QVERIFY(client.waitForClose());
    QTRY_COMPARE(l.admin.openConnections(), 0);
}

void TestAdmin::keepAliveAndHead()
{
    AdminLab l;
    EventLoopHttpClient client;
    QVERIFY(client.connectTo(l.admin.port()));
    const std::optional<TestResponse> head = client.request(adminRequest("HEAD", "/metrics"), 10000, true);
    QVERIFY(head);
    QCOMPARE(head->status(), 200);
    QVERIFY(head->body.isEmpty());
    QVERIFY(head->head.header("Content-Length").toInt() > 0);
    // two requests in one write, answered in order on the same connection
    const std::optional<TestResponse> first =
        client.request(adminRequest("GET", "/api/state") + adminRequest("GET", "/api/nothing"));
    QVERIFY(first);
    QCOMPARE(first->status(), 200);
    const std::optional<TestResponse> second = client.request({});
    QVERIFY(second);
    QCOMPARE(second->status(), 404);
    QCOMPARE(l.admin.openConnections(), 1);
}

QTEST_MAIN(TestAdmin)
#include "tst_admin.moc"
