#include "ScriptedBackend.h"
#include "TestHttp.h"
#include "backend/BackendPool.h"
#include "fakebackend/FakeBackend.h"
#include "metrics/RequestTrace.h"
#include "proxy/Proxy.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>
#include <memory>
#include <vector>

using namespace lab;
using namespace lab::test;

namespace {
ProxySettings testSettings()
{
    ProxySettings s;
    s.port = 0;
    s.workers = 2;
    return s;
}
} // namespace

// A proxy on a free port in front of `n` fake backends (a, b, c, ...) on free ports.
class ProxyFixture {
public:
    explicit ProxyFixture(int n, ProxySettings settings = testSettings(), const QList<FaultProfile>& faults = {})
    {
        QList<BackendConfig> configs;
        for (int i = 0; i < n; ++i) {
            const QString name = QString(QChar(u'a' + i));
            auto b = std::make_unique<FakeBackend>(name, QHostAddress::LocalHost, 0, faults.value(i));
            b->start();
            configs << BackendConfig{name, QStringLiteral("127.0.0.1"), b->port(), 1, false, {}, {}};
            backends.push_back(std::move(b));
        }
        init(configs, settings);
    }
    ProxyFixture(const QList<BackendConfig>& configs, ProxySettings settings = testSettings())
    {
        init(configs, settings);
    }

    void init(const QList<BackendConfig>& configs, ProxySettings settings)
    {
        pool = std::make_shared<BackendPool>(configs, QStringLiteral("round-robin"));
        proxy = std::make_unique<Proxy>(settings, pool);
        QString error;
        ok = proxy->start(&error);
        if (!ok)
            qWarning("%s", qPrintable(error));
    }
    quint16 port() const { return proxy->port(); }
    quint64 backendRequests() const
    {
        quint64 n = 0;
        for (const auto& b : backends)
            n += b->counters().requests.load() + quint64(b->counters().connections.load());
        return n;
    }

    std::vector<std::unique_ptr<FakeBackend>> backends;
    std::shared_ptr<BackendPool> pool;
    std::unique_ptr<Proxy> proxy;
    bool ok = false;
};

class TestProxy : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void roundRobinExactOrder();
    void forwardingHeaders();
    void postTenMegabytesIntact();
    void chunkedRequestBody();
    void chunkedAndUntilCloseResponses();
    void headRequest();
    void keepAliveReusesBackendConnection();
    void idleConnectionsHoldNoAttempt();
    void pipelinedRequestsAnsweredInOrder();
    void failoverWhenBackendStopped();
    void allDownGives503WithTriedList();
    void garbageFromBackendGives502();
    void unaskedUpgradeGives502();
    void truncatedResponseCutsClient();
    void slowBackendGives504();
    void cascadingFailoverOn404();
    void retryAvoidRules_data();
    void retryAvoidRules();
    void nonIdempotentNotRetriedAfterBytesSent();
    void malformedRequestsNeverReachBackend_data();
    void malformedRequestsNeverReachBackend();
    void slowHeaderGives408();
    void idleKeepAliveClosedAfterClientIdleMs();
    void http10KeepAliveRules();
    void metricsAndTrace();
    void thousandConcurrentClients();
    void portInUseNamesThePort();
    void gracefulStopFinishesInFlight();
    void asyncStopReturnsAtOnce_data();
    void asyncStopReturnsAtOnce();
    void blockingStopBringsAnAsyncDeadlineForward();
};

void TestProxy::roundRobinExactOrder()
{
    ProxyFixture f(3);
    QVERIFY(f.ok);
    QStringList seen;
    for (int i = 0; i < 9; ++i) {
        const auto r = httpGet(f.port(), "/");
        QVERIFY(r);
        QCOMPARE(r->status(), 200);
        seen << QString::fromLatin1(r->head.header("X-Served-By"));
    }
    QCOMPARE(seen.join(QString()), QStringLiteral("abcabcabc"));
    // One keep-alive connection (one worker) sees the same shared cursor.
    TestHttpConnection c;
    QVERIFY(c.connectTo(f.port()));
    seen.clear();
    for (int i = 0; i < 6; ++i)
        seen << QString::fromLatin1(c.request(getRequest("/"))->head.header("X-Served-By"));
    QCOMPARE(seen.join(QString()), QStringLiteral("abcabc"));
}

void TestProxy::forwardingHeaders()
{
    ProxyFixture f(1);
    TestHttpConnection c;
    QVERIFY(c.connectTo(f.port()));
    const auto r =
        c.request("GET /h HTTP/1.1\r\nHost: example.test\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\n"
                  "Keep-Alive: timeout=5\r\nProxy-Authorization: x\r\nTE: trailers\r\nX-Forwarded-For: 10.1.1.1\r\n"
                  "Upgrade: websocket\r\nX-Keep: yes\r\n\r\n");
    QVERIFY(r);
    const QJsonObject h = r->json().value(QStringLiteral("headers")).toObject();
    QCOMPARE(h.value(QStringLiteral("host")).toString(), QStringLiteral("example.test"));
    QCOMPARE(h.value(QStringLiteral("x-keep")).toString(), QStringLiteral("yes"));
    QCOMPARE(h.value(QStringLiteral("x-forwarded-for")).toString(), QStringLiteral("10.1.1.1, 127.0.0.1"));
    QCOMPARE(h.value(QStringLiteral("x-forwarded-proto")).toString(), QStringLiteral("http"));
    QCOMPARE(h.value(QStringLiteral("via")).toString(), QStringLiteral("1.1 balancer-lab"));
    for (const char* gone : {"x-secret", "keep-alive", "proxy-authorization", "te", "upgrade"})
        QVERIFY2(!h.contains(QLatin1String(gone)), gone);
    QCOMPARE(r->head.header("X-Served-By"), QByteArray("a"));
    QCOMPARE(r->head.header("Via"), QByteArray("1.1 balancer-lab"));
}

void TestProxy::postTenMegabytesIntact()
{
    ProxyFixture f(2);
    QByteArray body(10 * 1024 * 1024, Qt::Uninitialized);
    for (qsizetype i = 0; i < body.size(); ++i)
        body[i] = char('A' + QRandomGenerator::global()->bounded(26));
    TestHttpConnection c;
    QVERIFY(c.connectTo(f.port()));
    const auto r = c.request(postRequest("/up", body), 60000);
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    const QByteArray echoed = r->json().value(QStringLiteral("your_data")).toString().toUtf8();
    QCOMPARE(QCryptographicHash::hash(echoed, QCryptographicHash::Sha256),
             QCryptographicHash::hash(body, QCryptographicHash::Sha256));
}

void TestProxy::chunkedRequestBody()
{
    ProxyFixture f(1);
    TestHttpConnection c;
    QVERIFY(c.connectTo(f.port()));
    const auto r = c.request("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\n");
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    QCOMPARE(r->json().value(QStringLiteral("your_data")).toString(), QStringLiteral("Wikipedia in\r\n\r\nchunks."));
    QVERIFY(
        r->json().value(QStringLiteral("headers")).toObject().value(QStringLiteral("transfer-encoding")).toString() ==
        QStringLiteral("chunked"));
}

void TestProxy::chunkedAndUntilCloseResponses()
{
    ScriptedBackend chunked([](const QByteArray&) {
        return ScriptedBackend::Reply{
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"};
    });
    ScriptedBackend closing([](const QByteArray&) {
        return ScriptedBackend::Reply{"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close", true};
    });
    ProxyFixture f({{QStringLiteral("chunky"), QStringLiteral("127.0.0.1"), chunked.port(), 1, false, {}, {}},
                    {QStringLiteral("closer"), QStringLiteral("127.0.0.1"), closing.port(), 1, false, {}, {}}});
    TestHttpConnection c;
    QVERIFY(c.connectTo(f.port()));
    auto r = c.request(getRequest("/1"));
    QVERIFY(r);
    QCOMPARE(r->head.header("X-Served-By"), QByteArray("chunky"));
    QCOMPARE(r->body, QByteArray("abcde"));
    QCOMPARE(r->head.header("Transfer-Encoding"), QByteArray("chunked"));
    r = c.request(getRequest("/2")); // same client connection: body re-framed as chunked, connection kept
    QVERIFY(r);
    QCOMPARE(r->head.header("X-Served-By"), QByteArray("closer"));
    QCOMPARE(r->body, QByteArray("until close"));
    QVERIFY(c.request(getRequest("/3")));
}

void TestProxy::headRequest()
{
    ProxyFixture f(1);
    TestHttpConnection c;
    QVERIFY(c.connectTo(f.port()));
    const auto r = c.request("HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n");
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    QVERIFY(r->head.header("Content-Length").toInt() > 0);
    QVERIFY(r->body.isEmpty());
    QCOMPARE(c.request(getRequest("/y"))->status(), 200);
}

void TestProxy::keepAliveReusesBackendConnection()
{
    ProxyFixture f(1);
    TestHttpConnection c;
    QVERIFY(c.connectTo(f.port()));
    for (int i = 0; i < 100; ++i)
        QCOMPARE(c.request(getRequest("/k"))->status(), 200);
    QCOMPARE(f.backends[0]->counters().requests.load(), quint64(100));
    QCOMPARE(f.backends[0]->counters().connections.load(), quint64(1));
}

void TestProxy::idleConnectionsHoldNoAttempt()
{
    // An attempt (response parser, head, deadline) is the exchange's, not the connection's: twenty
    // keep-alive connections asked in turn, one request in flight at a time, need one per worker at most.
    ProxyFixture f(2);
    std::vector<std::unique_ptr<TestHttpConnection>> clients;
    for (int i = 0; i < 20; ++i) {
        clients.push_back(std::make_unique<TestHttpConnection>());
        QVERIFY(clients.back()->connectTo(f.port()));
    }
    for (int round = 0; round < 3; ++round) {
        for (auto& c : clients) {
            const auto r = c->request(getRequest("/idle"));
            QVERIFY(r);
            QCOMPARE(r->status(), 200);
        }
    }
    QVERIFY(f.proxy->upstreamAttemptsMade() >= 1);
    QVERIFY2(f.proxy->upstreamAttemptsMade() <= testSettings().workers,
             qPrintable(QString::number(f.proxy->upstreamAttemptsMade())));
}

void TestProxy::pipelinedRequestsAnsweredInOrder()
{
    FaultProfile jitter;
    jitter.jitterMs = 15;
    ProxyFixture f(3, testSettings(), {jitter, jitter, jitter});
    TestHttpConnection c;
    QVERIFY(c.connectTo(f.port()));
    QByteArray all;
    for (int i = 0; i < 12; ++i)
        all += getRequest("/p/" + QByteArray::number(i));
    QVERIFY(c.send(all));
    for (int i = 0; i < 12; ++i) {
        const auto r = c.readResponse();
        QVERIFY(r);
        QCOMPARE(r->json().value(QStringLiteral("path")).toString(), QStringLiteral("/p/%1").arg(i));
    }
}

void TestProxy::failoverWhenBackendStopped()
{
    ProxyFixture f(3);
    f.backends[1]->stop();
    for (int i = 0; i < 30; ++i) {
        const auto r = httpGet(f.port(), "/f");
        QVERIFY(r);
        QCOMPARE(r->status(), 200);
        QVERIFY(r->head.header("X-Served-By") != "b");
    }
    // "b" was skipped after its first refusal, not tried on every request
    QVERIFY(f.proxy->snapshot().backends[1].traffic.connectFailures <= 2);
    const QList<TraceEntry> trace = f.proxy->trace().all();
    bool sawFailover = false;
    for (const TraceEntry& e : trace)
        sawFailover = sawFailover || e.attempts.startsWith(QStringLiteral("b: connection refused → "));
    QVERIFY(sawFailover);
    QVERIFY(f.backends[1]->start());
    QTest::qWait(BackendPool::kPassiveHoldMs + 100);
    QStringList seen;
    for (int i = 0; i < 3; ++i)
        seen << QString::fromLatin1(httpGet(f.port(), "/")->head.header("X-Served-By"));
    QVERIFY(seen.contains(QStringLiteral("b")));
}

void TestProxy::allDownGives503WithTriedList()
{
    ProxyFixture f(3);
    for (auto& b : f.backends)
        b->stop();
    const auto r = httpGet(f.port(), "/x");
    QVERIFY(r);
    QCOMPARE(r->status(), 503);
    QCOMPARE(r->head.header("Content-Type"), QByteArray("application/json"));
    QCOMPARE(r->json().value(QStringLiteral("error")).toString(), QStringLiteral("no backend available"));
    QCOMPARE(r->json().value(QStringLiteral("tried")).toArray().size(), 3);
}

void TestProxy::garbageFromBackendGives502()
{
    ScriptedBackend garbage([](const QByteArray&) { return ScriptedBackend::Reply{"NOT HTTP AT ALL\r\n\r\n", true}; });
    ProxyFixture f({{QStringLiteral("junk"), QStringLiteral("127.0.0.1"), garbage.port(), 1, false, {}, {}}});
    const auto r = httpGet(f.port(), "/");
    QVERIFY(r);
    QCOMPARE(r->status(), 502);
    QVERIFY(r->json().value(QStringLiteral("reason")).toString().contains(QStringLiteral("malformed")));
}

void TestProxy::unaskedUpgradeGives502()
{
    ScriptedBackend switcher([](const QByteArray&) {
        return ScriptedBackend::Reply{
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nraw"};
    });
    ProxyFixture f({{QStringLiteral("switcher"), QStringLiteral("127.0.0.1"), switcher.port(), 1, false, {}, {}}});
    const auto r = httpGet(f.port(), "/", "Upgrade: websocket\r\nConnection: upgrade\r\n");
    QVERIFY(r);
    QCOMPARE(r->status(), 502);
    QVERIFY(r->json().value(QStringLiteral("reason")).toString().contains(QStringLiteral("101")));
    QVERIFY(!switcher.lastHead().contains("Upgrade")); // the client's Upgrade was not forwarded
}

void TestProxy::truncatedResponseCutsClient()
{
    ScriptedBackend cut([](const QByteArray&) {
        return ScriptedBackend::Reply{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a little", true};
    });
    ProxyFixture f({{QStringLiteral("cut"), QStringLiteral("127.0.0.1"), cut.port(), 1, false, {}, {}}});
    TestHttpConnection c;
    QVERIFY(c.connectTo(f.port()));
    QVERIFY(!c.request(getRequest("/")).has_value()); // never a complete-looking response
    QVERIFY(c.waitForClose());
}

void TestProxy::slowBackendGives504()
{
    ProxySettings s = testSettings();
    s.timeouts.upstreamResponseMs = 300;
    s.retryOnTimeout = false;
    FaultProfile slow;
    slow.latencyMs = 2000;
    ProxyFixture f(1, s, {slow});
    QElapsedTimer t;
    t.start();
    const auto r = httpGet(f.port(), "/slow");
    QVERIFY(r);
    QCOMPARE(r->status(), 504);
    QVERIFY(t.elapsed() < 1500);
}

void TestProxy::cascadingFailoverOn404()
{
    ProxySettings s = testSettings();
    s.retryOn404 = true;
    FaultProfile onlyA, onlyB, onlyC;
    onlyA.onlyPaths = {QStringLiteral("/a")};
    onlyB.onlyPaths = {QStringLiteral("/b")};
    onlyC.onlyPaths = {QStringLiteral("/c")};
    ProxyFixture f(3, s, {onlyA, onlyB, onlyC});
    for (const char* path : {"/a", "/b", "/c", "/c", "/b", "/a"}) {
        const auto r = httpGet(f.port(), path);
        QVERIFY(r);
        QCOMPARE(r->status(), 200);
        QCOMPARE(r->head.header("X-Served-By"), QByteArray(path + 1));
    }
    const auto missing = httpGet(f.port(), "/nowhere");
    QCOMPARE(missing->status(), 503); // every backend missed: the proxy says so rather than pass one 404
    QCOMPARE(missing->json().value(QStringLiteral("error")).toString(), QStringLiteral("no backend had it"));
    QCOMPARE(missing->json().value(QStringLiteral("tried")).toArray().size(), 3);
    bool chain = false;
    for (const TraceEntry& e : f.proxy->trace().all())
        chain = chain || e.attempts.count(QStringLiteral("404")) == 3;
    QVERIFY(chain);
}

// retry.avoid decides which backends a retry may pick again. Nobody has /c, so every attempt is a 404 and
// the chain shows each rule's walk: "tried" never returns to a backend (two backends: two attempts),
// "previous" avoids only the last one (a, b, then a again), "none" lets round robin pick the same backend
// (one backend: three attempts on it). Every walk that ends with no backend left says 503.
void TestProxy::retryAvoidRules_data()
{
    QTest::addColumn<QString>("avoid");
    QTest::addColumn<int>("backends");
    QTest::addColumn<QString>("chain");
    QTest::addColumn<QList<int>>("hits"); // requests each backend received
    QTest::newRow("tried, two backends") << QStringLiteral("tried") << 2 << QStringLiteral("a: 404 → b: 404")
                                         << QList<int>{1, 1};
    QTest::newRow("previous, two backends")
        << QStringLiteral("previous") << 2 << QStringLiteral("a: 404 → b: 404 → a: 404") << QList<int>{2, 1};
    QTest::newRow("none, two backends") << QStringLiteral("none") << 2 << QStringLiteral("a: 404 → b: 404 → a: 404")
                                        << QList<int>{2, 1};
    QTest::newRow("tried, one backend") << QStringLiteral("tried") << 1 << QStringLiteral("a: 404") << QList<int>{1};
    QTest::newRow("previous, one backend")
        << QStringLiteral("previous") << 1 << QStringLiteral("a: 404") << QList<int>{1};
    QTest::newRow("none, one backend") << QStringLiteral("none") << 1 << QStringLiteral("a: 404 → a: 404 → a: 404")
                                       << QList<int>{3};
}

void TestProxy::retryAvoidRules()
{
    QFETCH(QString, avoid);
    QFETCH(int, backends);
    QFETCH(QString, chain);
    QFETCH(QList<int>, hits);
    ProxySettings s = testSettings();
    s.retries = 2;
    s.retryOn404 = true;
    s.retryAvoid = retryAvoidFromName(avoid);
    FaultProfile onlyA, onlyB;
    onlyA.onlyPaths = {QStringLiteral("/a")};
    onlyB.onlyPaths = {QStringLiteral("/b")};
    ProxyFixture f(backends, s, {onlyA, onlyB});
    QVERIFY(f.ok);
    const auto r = httpGet(f.port(), "/c/page");
    QVERIFY(r);
    QCOMPARE(r->status(), 503);
    QCOMPARE(r->json().value(QStringLiteral("error")).toString(), QStringLiteral("no backend had it"));
    QString seen;
    QTRY_VERIFY_WITH_TIMEOUT(!f.proxy->trace().all().isEmpty(), 2000);
    for (const TraceEntry& e : f.proxy->trace().all())
        seen = e.attempts;
    QCOMPARE(seen, chain);
    for (int i = 0; i < backends; ++i)
        QCOMPARE(int(f.backends[size_t(i)]->counters().requests.load()), hits.at(i));
    // The rule that lets a backend come back still finds the page when someone has it.
    const auto found = httpGet(f.port(), "/a");
    QVERIFY(found);
    QCOMPARE(found->status(), 200);
}

void TestProxy::nonIdempotentNotRetriedAfterBytesSent()
{
    ScriptedBackend resetter([](const QByteArray&) { return ScriptedBackend::Reply{QByteArray(), true}; });
    FakeBackend good(QStringLiteral("good"), QHostAddress::LocalHost, 0);
    QVERIFY(good.start());
    ProxyFixture f({{QStringLiteral("reset"), QStringLiteral("127.0.0.1"), resetter.port(), 1, false, {}, {}},
                    {QStringLiteral("good"), QStringLiteral("127.0.0.1"), good.port(), 1, false, {}, {}}});
    TestHttpConnection c;
    QVERIFY(c.connectTo(f.port()));
    const auto post = c.request("POST /pay HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    QVERIFY(post);
    QCOMPARE(post->status(), 502); // the backend may have acted on it: not replayed
    QCOMPARE(good.counters().requests.load(), quint64(0));
    const auto get = httpGet(f.port(), "/read"); // round robin: lands on "good" next
    QCOMPARE(get->status(), 200);
    const auto get2 = httpGet(f.port(), "/read"); // lands on "reset", retried on "good"
    QCOMPARE(get2->status(), 200);
    QCOMPARE(get2->head.header("X-Served-By"), QByteArray("good"));
}

void TestProxy::malformedRequestsNeverReachBackend_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<int>("status");
    QTest::newRow("CL+TE")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        << 400;
    QTest::newRow("two CL") << QByteArray(
                                   "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
                            << 400;
    QTest::newRow("same CL twice")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab") << 400;
    QTest::newRow("CL list") << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\n\r\nab") << 400;
    QTest::newRow("CL plus sign") << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +2\r\n\r\nab") << 400;
    QTest::newRow("bad chunk size") << QByteArray(
                                           "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n")
                                    << 400;
    QTest::newRow("TE gzip only") << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n") << 400;
    QTest::newRow("TE chunked twice")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n") << 400;
    QTest::newRow("missing Host") << QByteArray("GET / HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("two Hosts") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") << 400;
    QTest::newRow("bad header name") << QByteArray("GET / HTTP/1.1\r\nHost: h\r\nBad[Name]: x\r\n\r\n") << 400;
    QTest::newRow("space in name") << QByteArray("GET / HTTP/1.1\r\nHost: h\r\nX Y: x\r\n\r\n") << 400;
    QTest::newRow("space before colon") << QByteArray("GET / HTTP/1.1\r\nHost : h\r\n\r\n") << 400;
    QTest::newRow("obs-fold") << QByteArray("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n") << 400;
    QTest::newRow("bare LF") << QByteArray("GET / HTTP/1.1\nHost: h\n\n") << 400;
    QTest::newRow("NUL in value") << QByteArray("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", 36) << 400;
    QTest::newRow("HTTP/2.5") << QByteArray("GET / HTTP/2.5\r\nHost: h\r\n\r\n") << 505;
    QTest::newRow("no version") << QByteArray("GET /\r\nHost: h\r\n\r\n") << 505;
    QTest::newRow("unknown method") << QByteArray("BREW / HTTP/1.1\r\nHost: h\r\n\r\n") << 501;
    QTest::newRow("CONNECT") << QByteArray("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n") << 405;
    QTest::newRow("relative target") << QByteArray("GET foo HTTP/1.1\r\nHost: h\r\n\r\n") << 400;
    QTest::newRow("target too long") << "GET /" + QByteArray(9000, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n" << 414;
    QTest::newRow("head too big") << "GET / HTTP/1.1\r\nHost: h\r\nX: " + QByteArray(70000, 'a') + "\r\n\r\n" << 431;
    QByteArray many = "GET / HTTP/1.1\r\nHost: h\r\n";
    for (int i = 0; i < 120; ++i)
        many += "X-" + QByteArray::number(i) + ": v\r\n";
    QTest::newRow("too many headers") << many + "\r\n" << 431;
}

void TestProxy::malformedRequestsNeverReachBackend()
{
    QFETCH(QByteArray, raw);
    QFETCH(int, status);
    ProxyFixture f(2);
    TestHttpConnection c;
    QVERIFY(c.connectTo(f.port()));
    const auto r = c.request(raw);
    QVERIFY(r);
    QCOMPARE(r->status(), status);
    QCOMPARE(r->head.header("Connection"), QByteArray("close"));
    QVERIFY(c.waitForClose());
    QCOMPARE(f.backendRequests(), quint64(0));
}

void TestProxy::slowHeaderGives408()
{
    ProxySettings s = testSettings();
    s.timeouts.headerReadMs = 300;
    ProxyFixture f(1, s);
    TestHttpConnection c;
    QVERIFY(c.connectTo(f.port()));
    QVERIFY(c.send("GET / HTTP/1.1\r\nHost: h\r\n")); // never finished
    const auto r = c.readResponse(3000);
    QVERIFY(r);
    QCOMPARE(r->status(), 408);
    QVERIFY(c.waitForClose());
    QCOMPARE(f.backendRequests(), quint64(0));
}

// The keep-alive idle timeout, on the worker's deadline list: a connection between requests is closed
// once clientIdleMs passed since its last response, not before, and a request restarts the count.
void TestProxy::idleKeepAliveClosedAfterClientIdleMs()
{
    ProxySettings s = testSettings();
    s.timeouts.clientIdleMs = 400;
    ProxyFixture f(1, s);
    TestHttpConnection idle;
    TestHttpConnection busy;
    QVERIFY(idle.connectTo(f.port()));
    QVERIFY(busy.connectTo(f.port()));
    QCOMPARE(idle.request("GET /a HTTP/1.1\r\nHost: h\r\n\r\n")->status(), 200);
    QVERIFY(!idle.waitForClose(150)); // not before its time (late is possible on a loaded machine, early is not)
    // The busy connection keeps asking every ~100 ms, past the idle one's timeout: it stays open.
    for (int i = 0; i < 8; ++i) {
        const auto r = busy.request("GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
        QVERIFY(r);
        QCOMPARE(r->status(), 200);
        QTest::qWait(100);
    }
    QVERIFY(idle.waitForClose(10000));
    const auto r = busy.request("GET /c HTTP/1.1\r\nHost: h\r\n\r\n");
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    QVERIFY(busy.waitForClose(10000)); // and it goes too once left alone
}

void TestProxy::http10KeepAliveRules()
{
    ProxyFixture f(1);
    TestHttpConnection plain;
    QVERIFY(plain.connectTo(f.port()));
    auto r = plain.request("GET / HTTP/1.0\r\n\r\n");
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    QVERIFY(plain.waitForClose()); // 1.0 without keep-alive: closed after the answer
    TestHttpConnection ka;
    QVERIFY(ka.connectTo(f.port()));
    r = ka.request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    QCOMPARE(r->head.header("Connection"), QByteArray("keep-alive"));
    QCOMPARE(ka.request("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")->head.header("Connection"),
             QByteArray("close"));
    QVERIFY(ka.waitForClose());
}

void TestProxy::metricsAndTrace()
{
    ProxyFixture f(2);
    for (int i = 0; i < 10; ++i)
        QVERIFY(httpGet(f.port(), "/m"));
    const MetricsSnapshot s = f.proxy->snapshot();
    QCOMPARE(s.listener.requests, quint64(10));
    QCOMPARE(s.listener.responsesByClass[2], quint64(10));
    QCOMPARE(s.backends.size(), 2);
    QCOMPARE(s.backends[0].traffic.requests, quint64(5));
    QCOMPARE(s.backends[1].traffic.responsesByClass[2], quint64(5));
    QVERIFY(s.backends[0].traffic.bytesIn > 0);
    QVERIFY(s.listener.latency.percentileMs(50) > 0);
    QVERIFY(s.listener.latency.percentileMs(99) >= s.listener.latency.percentileMs(50));
    const QList<TraceEntry> t = f.proxy->trace().all();
    QCOMPARE(t.size(), 10);
    QCOMPARE(t.last().method, QStringLiteral("GET"));
    QCOMPARE(t.last().path, QStringLiteral("/m"));
    QCOMPARE(t.last().status, 200);
    QVERIFY(t.last().attempts == QStringLiteral("b: 200"));
}

void TestProxy::thousandConcurrentClients()
{
    ProxyFixture f(3);
    std::vector<std::unique_ptr<QTcpSocket>> clients;
    for (int i = 0; i < 1000; ++i) {
        auto s = std::make_unique<QTcpSocket>();
        s->connectToHost(QHostAddress::LocalHost, f.port());
        clients.push_back(std::move(s));
    }
    for (auto& s : clients) {
        QVERIFY(s->waitForConnected(10000));
        s->write(getRequest("/many", "Connection: close\r\n"));
    }
    int answered = 0;
    for (auto& s : clients) {
        QByteArray all;
        while (s->state() == QAbstractSocket::ConnectedState && s->waitForReadyRead(15000))
            all += s->readAll();
        all += s->readAll();
        answered += all.startsWith("HTTP/1.1 200 OK") && all.contains("Hello from") ? 1 : 0;
    }
    QCOMPARE(answered, 1000);
    QCOMPARE(f.proxy->snapshot().listener.responsesByClass[2], quint64(1000));
}

void TestProxy::portInUseNamesThePort()
{
    ProxyFixture f(1);
    ProxySettings s = testSettings();
    s.port = f.port();
    Proxy second(s, f.pool);
    QString error;
    QVERIFY(!second.start(&error));
    QVERIFY2(error.contains(QString::number(f.port())), qPrintable(error));
}

void TestProxy::gracefulStopFinishesInFlight()
{
    FaultProfile slow;
    slow.latencyMs = 500;
    ProxyFixture f(1, testSettings(), {slow});
    TestHttpConnection c;
    QVERIFY(c.connectTo(f.port()));
    QVERIFY(c.send(getRequest("/in-flight")));
    QTRY_COMPARE(f.proxy->activeExchanges(), 1);
    QCOMPARE(f.proxy->stop(5000), 0);
    const auto r = c.readResponse();
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    QVERIFY(connectionRefused(f.port()));
}

void TestProxy::asyncStopReturnsAtOnce_data()
{
    QTest::addColumn<int>("deadlineMs");
    QTest::addColumn<bool>("answered");
    QTest::addColumn<int>("unfinished");
    QTest::newRow("the request finishes first") << 5000 << true << 0;
    QTest::newRow("the deadline comes first") << 200 << false << 1;
}

// beginStop() closes the listener before it returns and leaves the waiting to the proxy's threads: the
// caller is back at once, the request in flight gets its answer (or is cut off at the deadline), and
// stopped() says which.
void TestProxy::asyncStopReturnsAtOnce()
{
    QFETCH(int, deadlineMs);
    QFETCH(bool, answered);
    QFETCH(int, unfinished);
    FaultProfile slow;
    slow.latencyMs = 1000;
    ProxyFixture f(1, testSettings(), {slow});
    TestHttpConnection c;
    QVERIFY(c.connectTo(f.port()));
    QVERIFY(c.send(getRequest("/in-flight")));
    QTRY_COMPARE(f.proxy->activeExchanges(), 1);
    QObject receiver; // stopped() comes from the acceptor's thread: queued to this one
    int reported = -1;
    connect(f.proxy.get(), &Proxy::stopped, &receiver, [&](int n) { reported = n; });

    QElapsedTimer t;
    t.start();
    f.proxy->beginStop(deadlineMs);
    const qint64 callMs = t.elapsed();
    QVERIFY2(callMs < 50, qPrintable(QStringLiteral("beginStop took %1 ms").arg(callMs)));
    QVERIFY(!f.proxy->isListening());
    QVERIFY(f.proxy->isStopping());
    QVERIFY(connectionRefused(f.port()));
    QCOMPARE(f.proxy->activeExchanges(), 1); // still running

    const auto r = c.readResponse(3000);
    QCOMPARE(bool(r), answered);
    if (answered)
        QCOMPARE(r->status(), 200);
    else
        QVERIFY(t.elapsed() >= deadlineMs);
    QTRY_COMPARE(reported, unfinished);
    QVERIFY(!f.proxy->isStopping());
    QCOMPARE(f.proxy->activeExchanges(), 0);
    // It starts again on the same port.
    QVERIFY(f.proxy->start());
    FaultProfile none;
    f.backends[0]->setFaults(none);
    QCOMPARE(httpGet(f.port(), "/")->status(), 200);
}

// The destructor and File > Open stop with stop(0) while a window's stop may still be draining: the
// earlier deadline wins, so they never wait out the longer one.
void TestProxy::blockingStopBringsAnAsyncDeadlineForward()
{
    FaultProfile slow;
    slow.latencyMs = 2000;
    ProxyFixture f(1, testSettings(), {slow});
    TestHttpConnection c;
    QVERIFY(c.connectTo(f.port()));
    QVERIFY(c.send(getRequest("/in-flight")));
    QTRY_COMPARE(f.proxy->activeExchanges(), 1);
    QSignalSpy stopped(f.proxy.get(), &Proxy::stopped);
    f.proxy->beginStop(10'000);
    QElapsedTimer t;
    t.start();
    QCOMPARE(f.proxy->stop(0), 1);
    QVERIFY2(t.elapsed() < 1000, qPrintable(QStringLiteral("stop(0) waited %1 ms").arg(t.elapsed())));
    QCOMPARE(stopped.size(), 1); // one stop, told once
    QVERIFY(c.waitForClose(2000));
}

QTEST_GUILESS_MAIN(TestProxy)
#include "tst_proxy.moc"
