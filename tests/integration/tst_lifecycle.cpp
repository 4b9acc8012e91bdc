#include "TestHttp.h"
#include "TestLab.h"
#include "backend/BackendPool.h"
#include "fakebackend/FakeBackend.h"
#include "loadgen/LoadGenerator.h"
#include "metrics/Lifecycle.h"
#include "metrics/RequestTrace.h"
#include "proxy/Proxy.h"
#include "util/Clock.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QMap>
#include <QTest>
#include <array>
#include <memory>
#include <vector>

using namespace lab;
using namespace lab::test;

namespace {

// A proxy (2 workers, port 0) in front of fake backends a, b, c, ... on port 0.
struct Rig {
    explicit Rig(int n, ProxySettings settings = {}, const QList<FaultProfile>& faults = {})
    {
        settings.port = 0;
        settings.workers = 2;
        QList<BackendConfig> configs;
        for (int i = 0; i < n; ++i) {
            const QString name = QString(QChar(u'a' + i));
            auto b = std::make_unique<FakeBackend>(name, QHostAddress::LocalHost, 0, faults.value(i));
            b->start();
            configs << BackendConfig{name, QStringLiteral("127.0.0.1"), b->port(), 1, false, {}, {}};
            backends.push_back(std::move(b));
        }
        pool = std::make_shared<BackendPool>(configs, QStringLiteral("round-robin"));
        proxy = std::make_unique<Proxy>(settings, pool);
        ok = proxy->start();
    }
    int idOf(const QByteArray& name) const
    {
        for (const BackendPtr& b : pool->backends()) {
            if (b->nameUtf8 == name)
                return b->id;
        }
        return -2;
    }
    std::vector<std::unique_ptr<FakeBackend>> backends;
    std::shared_ptr<BackendPool> pool;
    std::unique_ptr<Proxy> proxy;
    bool ok = false;
};

using Events = QList<LifecycleEvent>;

QMap<quint64, Events> byRequest(const Events& events)
{
    QMap<quint64, Events> out;
    for (const LifecycleEvent& e : events)
        out[e.requestId].append(e);
    return out;
}

int countKind(const Events& events, LifecycleKind kind)
{
    return int(std::count_if(events.begin(), events.end(), [kind](const LifecycleEvent& e) { return e.kind == kind; }));
}

int finishedCount(const LifecycleStream& stream)
{
    return countKind(stream.since(0).events, LifecycleKind::Finished);
}

// One request's events read as a sentence: Arrived first, Finished last, once each, and in between
// every attempt is Picked then either AttemptFailed or ResponseStarted.
QString shapeError(const Events& r)
{
    if (r.size() < 2 || r.first().kind != LifecycleKind::Arrived || r.last().kind != LifecycleKind::Finished)
        return QStringLiteral("does not run from Arrived to Finished");
    if (countKind(r, LifecycleKind::Arrived) != 1 || countKind(r, LifecycleKind::Finished) != 1)
        return QStringLiteral("Arrived or Finished more than once");
    int attempt = 0;
    for (qsizetype i = 1; i + 1 < r.size(); ++i) {
        const LifecycleEvent& e = r[i];
        if (e.kind == LifecycleKind::Picked) {
            if (e.attempt != ++attempt)
                return QStringLiteral("Picked attempt %1, expected %2").arg(e.attempt).arg(attempt);
            const LifecycleKind next = r[i + 1].kind;
            if (next != LifecycleKind::AttemptFailed && next != LifecycleKind::ResponseStarted)
                return QStringLiteral("Picked not followed by an outcome");
            if (r[i + 1].backendId != e.backendId)
                return QStringLiteral("an outcome for another backend than the picked one");
        }
        if (r[i].sequence <= r[i - 1].sequence)
            return QStringLiteral("sequence not increasing");
    }
    return {};
}

} // namespace

class TestLifecycle : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyRequestOnceWithItsFailoverHops();
    void cascading404ShowsTheWalk_data();
    void cascading404ShowsTheWalk();
    void proxyAnswersItselfWithoutABackend();
    void burstStaysBoundedAndSampled();
    void samplingSpreadsOverTheSecondAndTheRotation();
};

void TestLifecycle::everyRequestOnceWithItsFailoverHops()
{
    Rig rig(3);
    QVERIFY(rig.ok);
    rig.backends[1]->stop();
    const int b = rig.idOf("b");
    QMap<int, int> servedBy; // backend id -> responses the client got from it
    for (int i = 0; i < 30; ++i) {
        const auto r = httpGet(rig.proxy->port(), "/f");
        QVERIFY(r);
        QCOMPARE(r->status(), 200);
        ++servedBy[rig.idOf(r->head.header("X-Served-By"))];
    }
    LifecycleStream& stream = rig.proxy->lifecycle();
    QTRY_COMPARE(finishedCount(stream), 30);
    const LifecycleStream::Batch batch = stream.since(0);
    QCOMPARE(batch.arrived, quint64(30));
    QCOMPARE(batch.followed, quint64(30)); // a low rate: nothing is sampled away
    QVERIFY(!batch.lostEvents);
    const QMap<quint64, Events> requests = byRequest(batch.events);
    QCOMPARE(requests.size(), 30);

    const QList<TraceEntry> trace = rig.proxy->trace().all();
    QMap<int, int> finishedBy;
    int hops = 0;
    for (const Events& r : requests) {
        const QString error = shapeError(r);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(r.first().detail, QStringLiteral("GET /f from 127.0.0.1"));
        const LifecycleEvent& fin = r.last();
        QCOMPARE(fin.status, 200);
        QVERIFY(fin.backendId >= 0 && fin.backendId != b);
        QVERIFY(fin.latencyMs > 0);
        ++finishedBy[fin.backendId];
        // the answering backend is the last one picked, and it started the response
        QCOMPARE(r[r.size() - 2].kind, LifecycleKind::ResponseStarted);
        QCOMPARE(r[r.size() - 2].backendId, fin.backendId);
        QCOMPARE(r[r.size() - 2].status, 200);
        // Finished points at its RequestTrace entry
        QVERIFY(fin.traceSequence > 0);
        const auto entry = std::find_if(trace.begin(), trace.end(),
                                        [&](const TraceEntry& t) { return t.sequence == fin.traceSequence; });
        QVERIFY(entry != trace.end());
        QCOMPARE(entry->status, 200);
        QCOMPARE(rig.idOf(entry->servedBy.toUtf8()), fin.backendId);
        for (qsizetype i = 0; i < r.size(); ++i) {
            if (r[i].kind != LifecycleKind::AttemptFailed)
                continue;
            QCOMPARE(r[i].backendId, b);
            QCOMPARE(r[i].detail, QStringLiteral("connection refused"));
            QCOMPARE(r[i + 1].kind, LifecycleKind::Picked); // the failover hop
            QVERIFY(r[i + 1].backendId != b);
            QCOMPARE(r[i + 1].attempt, 2);
            ++hops;
        }
        QVERIFY(!countKind(r, LifecycleKind::Picked) || !r[1].detail.isEmpty()); // the pick explains itself
    }
    QVERIFY(hops >= 1); // b was tried, refused, and the request moved on
    QCOMPARE(finishedBy, servedBy); // the stream names the backends the client heard from
}

void TestLifecycle::cascading404ShowsTheWalk_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<int>("finalStatus");
    QTest::addColumn<int>("attempts");
    QTest::addColumn<int>("retries");
    QTest::newRow("served by the last of three") << QByteArray("/c") << 200 << -1 << 2;
    // Every backend missed: the proxy answers 503 "no backend had it" itself.
    QTest::newRow("nobody has it") << QByteArray("/nowhere") << 503 << 3 << 2;
    // The retry count ran out with backend c untried: b's 404 passes (nginx's proxy_next_upstream_tries).
    QTest::newRow("retries ran out first") << QByteArray("/nowhere") << 404 << 2 << 1;
}

void TestLifecycle::cascading404ShowsTheWalk()
{
    QFETCH(QByteArray, path);
    QFETCH(int, finalStatus);
    QFETCH(int, attempts);
    QFETCH(int, retries);
    ProxySettings s;
    s.retryOn404 = true;
    s.retries = retries;
    FaultProfile onlyA, onlyB, onlyC;
    onlyA.onlyPaths = {QStringLiteral("/a")};
    onlyB.onlyPaths = {QStringLiteral("/b")};
    onlyC.onlyPaths = {QStringLiteral("/c")};
    Rig rig(3, s, {onlyA, onlyB, onlyC});
    QVERIFY(rig.ok);
    const auto r = httpGet(rig.proxy->port(), path);
    QVERIFY(r);
    QCOMPARE(r->status(), finalStatus);
    QTRY_COMPARE(finishedCount(rig.proxy->lifecycle()), 1);
    const Events events = rig.proxy->lifecycle().since(0).events;
    QCOMPARE(shapeError(events), QString());
    QList<int> picked;
    for (qsizetype i = 0; i < events.size(); ++i) {
        if (events[i].kind == LifecycleKind::Picked)
            picked << events[i].backendId;
        if (events[i].kind == LifecycleKind::AttemptFailed)
            QCOMPARE(events[i].detail,
                     finalStatus == 503 && picked.size() == attempts ? QStringLiteral("404, no backend left")
                                                                     : QStringLiteral("404, retrying"));
    }
    if (attempts > 0)
        QCOMPARE(picked.size(), attempts);
    QCOMPARE(QSet<int>(picked.begin(), picked.end()).size(), picked.size()); // never the same backend twice
    // Each miss but a passed-on last one is an AttemptFailed; a 503 follows the last miss.
    QCOMPARE(countKind(events, LifecycleKind::AttemptFailed), picked.size() - (finalStatus == 503 ? 0 : 1));
    const LifecycleEvent& fin = events.last();
    QCOMPARE(fin.status, finalStatus);
    if (finalStatus == 503) {
        QCOMPARE(fin.backendId, -1); // the proxy answered itself
        const QJsonObject body = r->json();
        QCOMPARE(body.value(QStringLiteral("error")).toString(), QStringLiteral("no backend had it"));
        QCOMPARE(body.value(QStringLiteral("tried")).toArray().size(), attempts);
    } else {
        QCOMPARE(fin.backendId, picked.last()); // the last in the walk answered
    }
    if (finalStatus == 200)
        QCOMPARE(fin.backendId, rig.idOf("c"));
    // The trace (and /api/trace, the window's table) names the backend the client heard from: none for the
    // proxy's own 503, not the last backend that missed.
    QVERIFY(fin.traceSequence > 0);
    const QList<TraceEntry> trace = rig.proxy->trace().all();
    const auto entry =
        std::find_if(trace.begin(), trace.end(), [&](const TraceEntry& t) { return t.sequence == fin.traceSequence; });
    QVERIFY(entry != trace.end());
    QCOMPARE(entry->status, finalStatus);
    if (finalStatus == 503)
        QVERIFY2(entry->servedBy.isEmpty(), qPrintable(entry->servedBy));
    else
        QCOMPARE(rig.idOf(entry->servedBy.toUtf8()), picked.last());
}

void TestLifecycle::proxyAnswersItselfWithoutABackend()
{
    Rig rig(2);
    QVERIFY(rig.ok);
    for (auto& b : rig.backends)
        b->stop();
    const auto down = httpGet(rig.proxy->port(), "/x");
    QVERIFY(down);
    QCOMPARE(down->status(), 503);
    TestHttpConnection c;
    QVERIFY(c.connectTo(rig.proxy->port()));
    const auto bad = c.request("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
    QVERIFY(bad);
    QCOMPARE(bad->status(), 400);
    QTRY_COMPARE(finishedCount(rig.proxy->lifecycle()), 2);
    const QMap<quint64, Events> requests = byRequest(rig.proxy->lifecycle().since(0).events);
    QList<int> statuses;
    for (const Events& r : requests) {
        QCOMPARE(r.first().kind, LifecycleKind::Arrived);
        QCOMPARE(r.last().kind, LifecycleKind::Finished);
        QCOMPARE(r.last().backendId, -1); // the proxy answered
        QCOMPARE(countKind(r, LifecycleKind::ResponseStarted), 0);
        statuses << r.last().status;
    }
    std::sort(statuses.begin(), statuses.end());
    QCOMPARE(statuses, (QList<int>{400, 503}));
}

void TestLifecycle::samplingSpreadsOverTheSecondAndTheRotation()
{
    // 200 requests a second for 8 s, one every 5 ms, a round robin over 3 backends (arrival n goes to
    // n % 3), and a budget of 60 a second. Following the first 60 of each second drew only its first
    // 300 ms, and the last drawn pick of every second sat on the backend of the 60th arrival; the
    // sampling must spread over the whole second and over every backend instead.
    auto clock = std::make_shared<ManualClock>(0);
    LifecycleStream stream(4096, 60, clock);
    constexpr int kPerSecond = 200;
    QList<int> followedPerSecond(8, 0), lateHalf(8, 0);
    std::array<int, 3> byBackend{};
    QSet<int> lastDrawnBackends;
    for (int second = 0; second < 8; ++second) {
        int lastBackend = -1;
        for (int i = 0; i < kPerSecond; ++i) {
            const int n = second * kPerSecond + i;
            quint64 id = 0;
            if (stream.follow(false, &id)) {
                ++followedPerSecond[second];
                if (i >= kPerSecond / 2)
                    ++lateHalf[second];
                lastBackend = n % 3;
                if (second > 0)
                    ++byBackend[size_t(n % 3)];
            }
            clock->advance(1000 / kPerSecond);
        }
        if (second > 0)
            lastDrawnBackends.insert(lastBackend);
    }
    for (int second = 0; second < 8; ++second)
        QVERIFY2(followedPerSecond[second] <= 60, qPrintable(QString::number(followedPerSecond[second])));
    // From the second second on (the stream knows the rate): about 60 a second, ~30 in each half.
    for (int second = 1; second < 8; ++second) {
        QVERIFY2(followedPerSecond[second] >= 35, qPrintable(QString::number(followedPerSecond[second])));
        QVERIFY2(lateHalf[second] >= 10,
                 qPrintable(QStringLiteral("second %1: %2 in the late half").arg(second).arg(lateHalf[second])));
    }
    const int total = byBackend[0] + byBackend[1] + byBackend[2];
    for (int b = 0; b < 3; ++b)
        QVERIFY2(byBackend[size_t(b)] * 5 >= total,
                 qPrintable(QStringLiteral("backend %1: %2 of %3").arg(b).arg(byBackend[size_t(b)]).arg(total)));
    QVERIFY2(lastDrawnBackends.size() >= 2, "the last drawn pick of every second was the same backend");
}

void TestLifecycle::burstStaysBoundedAndSampled()
{
    Rig rig(2);
    QVERIFY(rig.ok);
    LoadGenerator generator;
    LoadSpec spec;
    spec.port = rig.proxy->port();
    spec.concurrency = 20;
    spec.maxRequests = 5000;
    spec.durationMs = 20000;
    QVERIFY(generator.start(spec));
    QVERIFY(waitFinished(generator, 30000));
    QCOMPARE(generator.totals().completed, quint64(5000));
    QTRY_COMPARE(rig.proxy->lifecycle().since(0).arrived, quint64(5000));
    const LifecycleStream::Batch batch = rig.proxy->lifecycle().since(0);
    QVERIFY(batch.events.size() <= 4096); // the ring's capacity
    QVERIFY2(batch.followed < batch.arrived, qPrintable(QStringLiteral("followed %1").arg(batch.followed)));
    QVERIFY(batch.followed > 0);
    // what was followed was followed whole: every followed request that finished has its Arrived
    const QMap<quint64, Events> requests = byRequest(batch.events);
    int whole = 0;
    for (const Events& r : requests) {
        if (r.first().kind == LifecycleKind::Arrived && r.last().kind == LifecycleKind::Finished) {
            QCOMPARE(shapeError(r), QString());
            ++whole;
        }
    }
    QVERIFY(whole > 0);
}

QTEST_GUILESS_MAIN(TestLifecycle)
#include "tst_lifecycle.moc"
