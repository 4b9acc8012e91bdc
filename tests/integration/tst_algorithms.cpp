// The algorithms through the real proxy: smooth WRR order, round robin across worker threads,
// least-connections and least-latency against a slow backend, sticky cookies, live switching under
// traffic, and the "why" in the trace.
#include "TestHttp.h"
#include "TestLab.h"
#include "backend/BackendPool.h"
#include "balancing/Registry.h"
#include "fakebackend/FakeBackend.h"
#include "lab/Lab.h"
#include "loadgen/LoadGenerator.h"
#include "metrics/RequestTrace.h"
#include "proxy/Proxy.h"

#include <QElapsedTimer>
#include <QTest>

using namespace lab;
using namespace lab::test;

namespace {
LabConfig testLab(const QString& algorithm)
{
    LabConfig c = freePortLab();
    c.algorithm = algorithm;
    c.health.enabled = false; // these tests are about picking
    c.proxy.workers = 2;
    return c;
}

// Short names: backend-8001 -> a.
QString letters(const QList<QByteArray>& servedBy)
{
    QString out;
    for (const QByteArray& s : servedBy)
        out += s == "backend-8001" ? QLatin1Char('a')
            : s == "backend-8002"  ? QLatin1Char('b')
            : s == "backend-8003"  ? QLatin1Char('c')
                                   : QLatin1Char('?');
    return out;
}
} // namespace

class TestAlgorithms : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void smoothWrrThroughTheProxy();
    void roundRobinAcrossWorkerThreads();
    void slowBackendGetsLittle_data();
    void slowBackendGetsLittle();
    void stickyCookiePinsAndRepicks();
    void switchingLiveUnderTrafficLosesNothing();
    void traceExplainsEachPick();
};

void TestAlgorithms::smoothWrrThroughTheProxy()
{
    LabConfig c = testLab(QStringLiteral("weighted-round-robin"));
    c.backends[0].weight = 5;
    RunningLab r(c);
    QList<QByteArray> served;
    for (int i = 0; i < 14; ++i)
        served << httpGet(r.port(), "/")->head.header("X-Served-By");
    QCOMPARE(letters(served), QStringLiteral("aabacaaaabacaa"));
}

void TestAlgorithms::roundRobinAcrossWorkerThreads()
{
    RunningLab r(testLab(QStringLiteral("round-robin")));
    QList<QByteArray> served;
    for (int i = 0; i < 9; ++i) // a new connection each time: they land on both workers
        served << httpGet(r.port(), "/")->head.header("X-Served-By");
    QCOMPARE(letters(served), QStringLiteral("abcabcabc"));
}

void TestAlgorithms::slowBackendGetsLittle_data()
{
    QTest::addColumn<QString>("algorithm");
    QTest::newRow("least-connections") << "least-connections";
    QTest::newRow("least-latency") << "least-latency";
    QTest::newRow("power-of-two-choices") << "power-of-two-choices";
}

void TestAlgorithms::slowBackendGetsLittle()
{
    QFETCH(QString, algorithm);
    LabConfig c = testLab(algorithm);
    c.backends[0].faults.latencyMs = 200;
    RunningLab r(c);
    LoadGenerator g;
    LoadSpec s;
    s.port = r.port();
    s.concurrency = 12;
    s.durationMs = 2500;
    QVERIFY(g.start(s));
    QVERIFY(waitFinished(g, 10'000));
    const LoadTotals t = g.totals();
    QCOMPARE(t.socketErrors, 0ULL);
    const double slowShare = double(t.byBackend.value(QStringLiteral("backend-8001"))) / double(t.completed);
    qInfo("%s: %llu requests, slow backend share %.2f%%", qPrintable(algorithm), (unsigned long long)t.completed,
          100 * slowShare);
    QVERIFY2(slowShare < 0.10, qPrintable(QString::number(slowShare)));
    QVERIFY(t.completed > 500);
}

void TestAlgorithms::stickyCookiePinsAndRepicks()
{
    LabConfig c = testLab(QStringLiteral("round-robin"));
    c.sticky.enabled = true;
    RunningLab r(c);
    const auto first = httpGet(r.port(), "/");
    const QByteArray setCookie = first->head.header("Set-Cookie");
    const QByteArray pinned = first->head.header("X-Served-By");
    QCOMPARE(setCookie, "LABSRV=" + pinned + "; Path=/; HttpOnly; SameSite=Lax");
    const QByteArray cookie = "Cookie: theme=dark; LABSRV=" + pinned + "\r\n";
    for (int i = 0; i < 100; ++i) {
        const auto resp = httpGet(r.port(), "/", cookie);
        QCOMPARE(resp->head.header("X-Served-By"), pinned);
        QVERIFY(!resp->head.hasHeader("Set-Cookie")); // already right: nothing to rewrite
    }
    // The pinned backend goes down: the next request is re-picked and the cookie rewritten.
    r.lab.stopBackend(r.lab.idOf(QString::fromUtf8(pinned)));
    const auto moved = httpGet(r.port(), "/", cookie);
    QCOMPARE(moved->status(), 200);
    const QByteArray now = moved->head.header("X-Served-By");
    QVERIFY(now != pinned);
    QCOMPARE(moved->head.header("Set-Cookie"), "LABSRV=" + now + "; Path=/; HttpOnly; SameSite=Lax");
}

void TestAlgorithms::switchingLiveUnderTrafficLosesNothing()
{
    RunningLab r(testLab(QStringLiteral("round-robin")));
    LoadGenerator g;
    LoadSpec s;
    s.port = r.port();
    s.concurrency = 6;
    s.durationMs = 3000;
    QVERIFY(g.start(s));
    const QStringList all = algorithmNames();
    for (int i = 0; g.isRunning() && i < 2 * all.size(); ++i) {
        QVERIFY(r.lab.setAlgorithm(all[i % all.size()], nullptr));
        QTest::qWait(120);
    }
    QVERIFY(waitFinished(g, 10'000));
    const LoadTotals t = g.totals();
    QCOMPARE(t.socketErrors, 0ULL);
    QCOMPARE(t.byClass[2], t.completed);
    QCOMPARE(r.lab.snapshot().listener.requests, t.completed); // no request lost, none counted twice
}

void TestAlgorithms::traceExplainsEachPick()
{
    for (const QString& algorithm : algorithmNames()) {
        RunningLab r(testLab(algorithm));
        const auto resp = httpGet(r.port(), "/why", "X-Lab-Trace: why-1\r\n");
        QCOMPARE(resp->status(), 200);
        std::optional<TraceEntry> e;
        QTRY_VERIFY((e = r.lab.httpProxy()->trace().findToken(QStringLiteral("why-1"))).has_value());
        QVERIFY2(e->why.endsWith(QStringLiteral("→ ") + QString::fromUtf8(resp->head.header("X-Served-By"))) ||
                     e->why.contains(QStringLiteral("→ ") + QString::fromUtf8(resp->head.header("X-Served-By")) +
                                     QLatin1Char(' ')),
                 qPrintable(algorithm + QStringLiteral(": ") + e->why));
    }
}

QTEST_GUILESS_MAIN(TestAlgorithms)
#include "tst_algorithms.moc"
