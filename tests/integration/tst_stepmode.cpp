#include "ScriptedBackend.h"
#include "TestHttp.h"
#include "TestLab.h"
#include "backend/BackendPool.h"
#include "fakebackend/FakeBackend.h"
#include "metrics/EventLog.h"
#include "metrics/Lifecycle.h"
#include "metrics/RequestTrace.h"
#include "proxy/Proxy.h"
#include "proxy/StepGate.h"

#include <QJsonObject>
#include <QTest>
#include <memory>
#include <vector>

using namespace lab;
using namespace lab::test;

namespace {

// A proxy (2 workers, port 0) in front of fake backends a, b, c, ... on port 0.
struct Rig {
    explicit Rig(int n, const QString& algorithm = QStringLiteral("round-robin"), const QList<int>& weights = {})
    {
        ProxySettings settings;
        settings.port = 0;
        settings.workers = 2;
        QList<BackendConfig> configs;
        for (int i = 0; i < n; ++i) {
            const QString name = QString(QChar(u'a' + i));
            auto b = std::make_unique<FakeBackend>(name, QHostAddress::LocalHost, 0);
            b->start();
            configs << BackendConfig{name, QStringLiteral("127.0.0.1"), b->port(), weights.value(i, 1), false, {}, {}};
            backends.push_back(std::move(b));
        }
        pool = std::make_shared<BackendPool>(configs, algorithm);
        proxy = std::make_unique<Proxy>(settings, pool);
        ok = proxy->start();
    }
    StepGate& gate() const { return proxy->stepGate(); }
    QString nameOf(int id) const
    {
        for (const BackendPtr& b : pool->backends()) {
            if (b->id == id)
                return b->name;
        }
        return {};
    }
    QList<LifecycleEvent> events(LifecycleKind kind) const
    {
        QList<LifecycleEvent> out;
        for (const LifecycleEvent& e : proxy->lifecycle().since(0).events) {
            if (e.kind == kind)
                out << e;
        }
        return out;
    }
    // Opens `n` connections, each sending one GET that step mode is expected to hold.
    void sendHeld(int n, const QByteArray& extraHeaders = {})
    {
        for (int i = 0; i < n; ++i) {
            auto c = std::make_unique<TestHttpConnection>();
            QVERIFY(c->connectTo(proxy->port()));
            QVERIFY(c->send(getRequest("/held/" + QByteArray::number(i), extraHeaders)));
            clients.push_back(std::move(c));
        }
    }
    std::vector<std::unique_ptr<FakeBackend>> backends;
    std::vector<std::unique_ptr<TestHttpConnection>> clients;
    std::shared_ptr<BackendPool> pool;
    std::unique_ptr<Proxy> proxy;
    bool ok = false;
};

quint64 backendRequests(const Rig& rig)
{
    quint64 n = 0;
    for (const auto& b : rig.backends)
        n += b->counters().requests.load();
    return n;
}

} // namespace

class TestStepMode : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void heldUntilStepThenAnsweredByThePickedBackend();
    void steppedPicksFollowSmoothWeightedRoundRobin();
    void heldTooLongGives503();
    void heldTooLongSaysWhyInBodyTraceAndLog();
    void clientClosingWhileHeldSaysSo();
    void heldTimeStaysOutOfTheLatencyHistogram();
    void turningOffReleasesEveryHeldRequest();
    void turningOffTellsTheTraceAndTheLog();
    void seventeenthHeldRequestGives503();
    void labTrafficScopeHoldsOnlyTheLabsOwnRequests();
    void labForwardsToTheGate();
};

void TestStepMode::heldUntilStepThenAnsweredByThePickedBackend()
{
    Rig rig(3);
    QVERIFY(rig.ok);
    rig.gate().setScope(StepScope::AllClients);
    rig.sendHeld(1);
    QTRY_COMPARE(rig.gate().held().size(), qsizetype(1));
    const HeldRequest held = rig.gate().held().first();
    QCOMPARE(held.method, QStringLiteral("GET"));
    QCOMPARE(held.path, QStringLiteral("/held/0"));
    QCOMPARE(held.client, QStringLiteral("127.0.0.1"));
    QTRY_COMPARE(rig.events(LifecycleKind::Held).size(), qsizetype(1));
    QCOMPARE(rig.events(LifecycleKind::Held).first().requestId, held.requestId);
    // Held, not picked: no backend saw it and the client has no answer
    QVERIFY(!rig.clients[0]->socket().waitForReadyRead(100));
    QCOMPARE(rig.clients[0]->socket().bytesAvailable(), 0);
    QCOMPARE(rig.events(LifecycleKind::Picked).size(), qsizetype(0));
    QCOMPARE(backendRequests(rig), quint64(0));

    QVERIFY(rig.gate().step());
    const auto r = rig.clients[0]->readResponse();
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    QTRY_COMPARE(rig.events(LifecycleKind::Picked).size(), qsizetype(1));
    const LifecycleEvent picked = rig.events(LifecycleKind::Picked).first();
    QCOMPARE(picked.requestId, held.requestId);
    QCOMPARE(QString::fromLatin1(r->head.header("X-Served-By")), rig.nameOf(picked.backendId));
    QVERIFY(!picked.detail.isEmpty()); // the algorithm's reasoning, for the flow view
    const QList<LifecycleEvent> released = rig.events(LifecycleKind::Released);
    QCOMPARE(released.size(), qsizetype(1));
    QCOMPARE(released.first().detail, QStringLiteral("step"));
    QVERIFY(released.first().sequence < picked.sequence);
    QVERIFY(rig.gate().held().isEmpty());
    QVERIFY(!rig.gate().step()); // nothing left to step
}

void TestStepMode::steppedPicksFollowSmoothWeightedRoundRobin()
{
    Rig rig(3, QStringLiteral("weighted-round-robin"), {5, 1, 1});
    QVERIFY(rig.ok);
    rig.gate().setScope(StepScope::AllClients);
    rig.sendHeld(7);
    QTRY_COMPARE(rig.gate().held().size(), qsizetype(7));
    QString order;
    for (int i = 0; i < 7; ++i) {
        QVERIFY(rig.gate().step());
        // one pick per step: the next step waits until this one was made on its worker
        QTRY_COMPARE(rig.events(LifecycleKind::Picked).size(), qsizetype(i + 1));
        order += rig.nameOf(rig.events(LifecycleKind::Picked).last().backendId);
    }
    QCOMPARE(order, QStringLiteral("aabacaa"));
    for (auto& c : rig.clients) {
        const auto r = c->readResponse();
        QVERIFY(r);
        QCOMPARE(r->status(), 200);
    }
}

void TestStepMode::heldTooLongGives503()
{
    Rig rig(2);
    QVERIFY(rig.ok);
    rig.gate().setScope(StepScope::AllClients);
    rig.gate().setHoldTimeoutMs(300);
    rig.sendHeld(1);
    QTRY_COMPARE(rig.gate().held().size(), qsizetype(1));
    const auto r = rig.clients[0]->readResponse(5000);
    QVERIFY(r);
    QCOMPARE(r->status(), 503);
    QCOMPARE(r->json().value(QStringLiteral("error")).toString(), QStringLiteral("step mode: held too long"));
    QVERIFY(rig.gate().held().isEmpty());
    QTRY_COMPARE(rig.events(LifecycleKind::Finished).size(), qsizetype(1));
    const LifecycleEvent fin = rig.events(LifecycleKind::Finished).first();
    QCOMPARE(fin.status, 503);
    QCOMPARE(fin.backendId, -1);
    QVERIFY(fin.latencyMs >= 280); // held for the timeout (a coarse timer may fire up to 5 % early)
    QCOMPARE(rig.events(LifecycleKind::Picked).size(), qsizetype(0));
    QCOMPARE(backendRequests(rig), quint64(0));
}

void TestStepMode::turningOffReleasesEveryHeldRequest()
{
    Rig rig(2);
    QVERIFY(rig.ok);
    rig.gate().setScope(StepScope::AllClients);
    rig.sendHeld(3);
    QTRY_COMPARE(rig.gate().held().size(), qsizetype(3));
    rig.gate().setScope(StepScope::Off);
    QVERIFY(rig.gate().held().isEmpty());
    for (auto& c : rig.clients) {
        const auto r = c->readResponse();
        QVERIFY(r);
        QCOMPARE(r->status(), 200);
    }
    QTRY_COMPARE(rig.events(LifecycleKind::Released).size(), qsizetype(3));
    for (const LifecycleEvent& e : rig.events(LifecycleKind::Released))
        QCOMPARE(e.detail, QStringLiteral("step mode off"));
    const auto after = httpGet(rig.proxy->port(), "/"); // off: not held any more
    QVERIFY(after);
    QCOMPARE(after->status(), 200);
}

void TestStepMode::heldTooLongSaysWhyInBodyTraceAndLog()
{
    Rig rig(2);
    QVERIFY(rig.ok);
    rig.gate().setScope(StepScope::AllClients);
    rig.gate().setHoldTimeoutMs(400);
    rig.sendHeld(1);
    const auto r = rig.clients[0]->readResponse(5000);
    QVERIFY(r);
    QCOMPARE(r->status(), 503);
    const QString expected = QStringLiteral("held in step mode for 0.4 s (the hold limit), never sent to a backend");
    QCOMPARE(r->json().value(QStringLiteral("reason")).toString(), expected);
    QCOMPARE(r->json().value(QStringLiteral("heldMs")).toInt(), 400);
    // The trace entry's attempts say it, not "none"; and nobody served it
    QTRY_VERIFY(!rig.proxy->trace().all().isEmpty());
    const TraceEntry e = rig.proxy->trace().all().last();
    QCOMPARE(e.status, 503);
    QCOMPARE(e.attempts, expected);
    QVERIFY(e.servedBy.isEmpty());
    // A 503 the proxy wrote itself: not a backend's 5xx in the status bar
    const MetricsSnapshot m = rig.proxy->snapshot();
    QCOMPARE(m.listener.answeredByProxy5xx, quint64(1));
    QCOMPARE(m.listener.backend5xx(), quint64(0));
    // and the event log
    bool logged = false;
    for (const LabEvent& ev : rig.proxy->events().since(0))
        logged = logged || ev.text == QStringLiteral("GET /held/0: 503, ") + expected;
    QVERIFY(logged);
}

void TestStepMode::clientClosingWhileHeldSaysSo()
{
    // The lab's traffic stops while step mode holds a request: its connection closes before any step.
    Rig rig(2);
    QVERIFY(rig.ok);
    rig.gate().setScope(StepScope::AllClients);
    rig.sendHeld(1);
    QTRY_COMPARE(rig.gate().held().size(), 1);
    rig.clients[0]->socket().abort();
    QTRY_COMPARE(rig.gate().held().size(), 0);
    QTRY_VERIFY(!rig.proxy->trace().all().isEmpty());
    const TraceEntry e = rig.proxy->trace().all().last();
    QCOMPARE(e.status, 0);
    QVERIFY(e.servedBy.isEmpty());
    QVERIFY2(e.attempts.startsWith(QStringLiteral("held in step mode for ")), qPrintable(e.attempts));
    QVERIFY2(e.attempts.endsWith(QStringLiteral(": the client closed before a step released it (the lab's traffic "
                                                "stopped, or the client gave up); never sent to a backend")),
             qPrintable(e.attempts));
    QCOMPARE(backendRequests(rig), quint64(0));
    // Counted as what it is: no response, not a 5xx and not an answer of the proxy's.
    const MetricsSnapshot m = rig.proxy->snapshot();
    QCOMPARE(m.listener.responsesByClass[0], quint64(1));
    QCOMPARE(m.listener.responsesByClass[5], quint64(0));
    QCOMPARE(m.listener.answeredByProxy, quint64(0));
}

void TestStepMode::heldTimeStaysOutOfTheLatencyHistogram()
{
    // Held 600 ms by "the user", then stepped: the latency chart's histogram has the request (one sample)
    // but not the hold; a request the hold limit answered is not in it at all.
    Rig rig(1);
    QVERIFY(rig.ok);
    rig.gate().setScope(StepScope::AllClients);
    rig.sendHeld(1);
    QTRY_COMPARE(rig.gate().held().size(), qsizetype(1));
    QTest::qWait(600); // the user's think time, which is what this test is about
    QVERIFY(rig.gate().step());
    const auto r = rig.clients[0]->readResponse();
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    QTRY_COMPARE(rig.proxy->snapshot().listener.latency.total, std::uint64_t(1));
    QVERIFY2(rig.proxy->snapshot().listener.latency.percentileMs(99) < 300,
             qPrintable(QString::number(rig.proxy->snapshot().listener.latency.percentileMs(99))));
    QTRY_VERIFY(!rig.proxy->trace().all().isEmpty());
    QVERIFY(rig.proxy->trace().all().last().attempts.startsWith(QStringLiteral("held in step mode for 0.")));
    QVERIFY(rig.proxy->trace().all().last().attempts.contains(QStringLiteral("released (step)")));

    rig.gate().setHoldTimeoutMs(300);
    rig.clients.clear();
    rig.sendHeld(1);
    const auto timedOut = rig.clients[0]->readResponse(5000);
    QVERIFY(timedOut);
    QCOMPARE(timedOut->status(), 503);
    QTRY_COMPARE(rig.proxy->snapshot().listener.responsesByClass[5], std::uint64_t(1));
    QCOMPARE(rig.proxy->snapshot().listener.latency.total, std::uint64_t(1));
}

void TestStepMode::turningOffTellsTheTraceAndTheLog()
{
    RunningLab rl;
    Lab& lab = rl.lab;
    lab.setStepScope(StepScope::AllClients);
    std::vector<std::unique_ptr<TestHttpConnection>> clients;
    for (int i = 0; i < 2; ++i) {
        auto c = std::make_unique<TestHttpConnection>();
        QVERIFY(c->connectTo(rl.port()));
        QVERIFY(c->send(getRequest("/off/" + QByteArray::number(i))));
        clients.push_back(std::move(c));
    }
    QTRY_COMPARE(lab.heldRequests().size(), qsizetype(2));
    const quint64 before = lab.events().lastSequence();
    lab.setStepScope(StepScope::Off);
    for (auto& c : clients) {
        const auto r = c->readResponse();
        QVERIFY(r);
        QCOMPARE(r->status(), 200);
    }
    QStringList texts;
    for (const LabEvent& ev : lab.events().since(before))
        texts << ev.text;
    QVERIFY2(texts.contains(QStringLiteral("step mode off: 2 held requests released to the backends")),
             qPrintable(texts.join(u'|')));
}

void TestStepMode::seventeenthHeldRequestGives503()
{
    Rig rig(2);
    QVERIFY(rig.ok);
    rig.gate().setScope(StepScope::AllClients);
    rig.sendHeld(StepGate::kMaxHeld);
    QTRY_COMPARE(rig.gate().held().size(), qsizetype(StepGate::kMaxHeld));
    const auto refused = httpGet(rig.proxy->port(), "/one-too-many");
    QVERIFY(refused);
    QCOMPARE(refused->status(), 503);
    QCOMPARE(refused->json().value(QStringLiteral("error")).toString(),
             QStringLiteral("step mode: too many requests held"));
    QCOMPARE(rig.gate().held().size(), qsizetype(StepGate::kMaxHeld));
    rig.gate().setScope(StepScope::Off);
    for (auto& c : rig.clients) {
        const auto r = c->readResponse();
        QVERIFY(r);
        QCOMPARE(r->status(), 200);
    }
}

void TestStepMode::labTrafficScopeHoldsOnlyTheLabsOwnRequests()
{
    ScriptedBackend echo(
        [](const QByteArray&) { return ScriptedBackend::Reply{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"}; });
    ProxySettings settings;
    settings.port = 0;
    settings.workers = 2;
    auto pool = std::make_shared<BackendPool>(
        QList<BackendConfig>{{QStringLiteral("echo"), QStringLiteral("127.0.0.1"), echo.port(), 1, false, {}, {}}},
        QStringLiteral("round-robin"));
    Proxy proxy(settings, pool);
    QVERIFY(proxy.start());
    proxy.stepGate().setScope(StepScope::LabTraffic);
    const auto outside = httpGet(proxy.port(), "/outside"); // another client: not held
    QVERIFY(outside);
    QCOMPARE(outside->status(), 200);
    TestHttpConnection console;
    QVERIFY(console.connectTo(proxy.port()));
    QVERIFY(console.send(getRequest("/console", "X-Lab-Client: console\r\n")));
    QTRY_COMPARE(proxy.stepGate().held().size(), qsizetype(1));
    QVERIFY(proxy.stepGate().step());
    const auto r = console.readResponse();
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    QVERIFY(echo.lastHead().startsWith("GET /console "));
    QVERIFY(!echo.lastHead().contains("X-Lab-Client")); // the lab's marker is not forwarded
}

void TestStepMode::labForwardsToTheGate()
{
    RunningLab rl;
    Lab& lab = rl.lab;
    QVERIFY(lab.lifecycle());
    QCOMPARE(lab.stepScope(), StepScope::Off);
    lab.setStepScope(StepScope::AllClients);
    QCOMPARE(lab.stepScope(), StepScope::AllClients);
    TestHttpConnection c;
    QVERIFY(c.connectTo(rl.port()));
    QVERIFY(c.send(getRequest("/lab")));
    QTRY_COMPARE(lab.heldRequests().size(), qsizetype(1));
    QCOMPARE(lab.heldRequests().first().path, QStringLiteral("/lab"));
    QVERIFY(lab.stepOnce());
    const auto r = c.readResponse();
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    QVERIFY(!lab.stepOnce());
    lab.setStepScope(StepScope::Off);
}

QTEST_GUILESS_MAIN(TestStepMode)
#include "tst_stepmode.moc"
