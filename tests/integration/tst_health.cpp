// Health with real sockets and short intervals: active probes (rise/fall, overrides, body, TCP,
// timeouts), passive ejection, the circuit breaker through the proxy, slow start, draining.
#include "ScriptedBackend.h"
#include "TestHttp.h"
#include "TestLab.h"
#include "backend/BackendPool.h"
#include "balancing/Balancer.h"
#include "fakebackend/FakeBackend.h"
#include "health/ActiveHealthChecker.h"
#include "health/Eligibility.h"
#include "lab/Lab.h"
#include "metrics/EventLog.h"
#include "proxy/Proxy.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

using namespace lab;
using namespace lab::test;

namespace {
LabConfig fastLab()
{
    LabConfig c = freePortLab();
    c.health.intervalMs = 100;
    c.health.timeoutMs = 300;
    return c;
}

ActiveHealthChecker::Status statusOf(const RunningLab& r, int i)
{
    return *r.lab.healthChecker()->status(r.lab.backendConfig(r.id(i)).name);
}

QByteArray servedBy(quint16 port, const QByteArray& path = "/")
{
    const auto r = httpGet(port, path);
    return r ? r->head.header("X-Served-By") : QByteArray("(no response)");
}

// A lab whose backend-8001 has an open circuit (opened by 5xx that were retried elsewhere), with a
// single half-open trial slot and openMs of 1 s; no probes and no ejection get in the way.
LabConfig breakerLab()
{
    LabConfig c = fastLab();
    c.health.enabled = false;
    c.outlier.enabled = false;
    c.breaker.minRequests = 10;
    c.breaker.openMs = 1000;
    c.breaker.halfOpenRequests = 1;
    c.retry.retryOn << QStringLiteral("5xx");
    return c;
}

bool openFirstBreaker(RunningLab& r)
{
    FaultProfile broken;
    broken.errorRatePercent = 100;
    r.lab.setFaults(r.id(0), broken);
    for (int i = 0; i < 40 && r.lab.poolBackend(r.id(0))->breakerNow() != CircuitBreaker::State::Open; ++i)
        httpGet(r.port(), "/");
    return r.lab.poolBackend(r.id(0))->breakerNow() == CircuitBreaker::State::Open;
}

// The breaker's marks on a backend's timeline, as letters: o = open, h = half-open, c = closed.
QString breakerBands(const Backend& b)
{
    QString out;
    for (const HealthMark& m : b.marksSince(0)) {
        if (m.kind == HealthMark::Kind::BreakerOpen)
            out += QLatin1Char('o');
        else if (m.kind == HealthMark::Kind::BreakerHalfOpen)
            out += QLatin1Char('h');
        else if (m.kind == HealthMark::Kind::BreakerClosed)
            out += QLatin1Char('c');
    }
    return out;
}

QStringList healthEvents(const EventLog& events)
{
    QStringList out;
    for (const LabEvent& e : events.since(0))
        out << e.text;
    return out;
}
} // namespace

class TestHealth : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void killedBackendGoesDownAfterFallThenUpAfterRise();
    void stoppingAtOnceDuringADrainLeavesItInRotation();
    void healthOverrideTakesItOutOfRotation();
    void expectedBodyAndStatus();
    void tcpProbeNeedsOnlyAConnect();
    void hangingBackendFailsByTimeout();
    void perBackendSettingsApplyLive();
    void switchingChecksOffDropsTheProbeInFlight();
    void outlierEjectionRespectsMaxShare();
    void circuitOpensAndRecoversThroughHalfOpen();
    void halfOpenTrialWhoseClientLeftFreesItsSlot();
    void discardedRetryDuringHalfOpenDoesNotWedgeIt();
    void halfOpenTrialRefusedMidExchangeFreesItsSlot();
    void everyBreakerTransitionIsPublished();
    void attemptTicketReportsExactlyOnce();
    void slowStartRampsTheShare();
    void reEjectionBeforeHousekeepingKeepsBothOnTheTimeline();
    void refusedEjectionIsSaidOncePerStreak();
    void drainingLetsASlowRequestFinish();
    void allDownGives503QuicklyWithTheList();
    void panicRoutesToAllWhenMostFailTheirProbes();
};

void TestHealth::killedBackendGoesDownAfterFallThenUpAfterRise()
{
    RunningLab r(fastLab());
    QTRY_VERIFY(statusOf(r, 1).probes >= 2);
    QVERIFY(statusOf(r, 1).up);
    const quint64 before = statusOf(r, 1).probes;
    r.lab.stopBackend(r.id(1));
    QElapsedTimer t;
    t.start();
    QTRY_VERIFY_WITH_TIMEOUT(!statusOf(r, 1).up, 3000);
    // fall = 3 probes at ~100 ms (±10%): not before the third failure.
    QVERIFY(statusOf(r, 1).probes - before >= 3);
    QVERIFY2(t.elapsed() >= 180, qPrintable(QString::number(t.elapsed())));
    QVERIFY(!r.lab.poolBackend(r.id(1))->healthy.load());
    QVERIFY(r.eventContains(QStringLiteral("backend-8002 DOWN: 3 consecutive probe failures: connection refused")));
    QCOMPARE(statusOf(r, 1).lastDetail, QStringLiteral("connection refused"));
    for (int i = 0; i < 6; ++i)
        QVERIFY(servedBy(r.port()) != "backend-8002");

    QVERIFY(r.lab.startBackend(r.id(1), nullptr));
    t.restart();
    QTRY_VERIFY_WITH_TIMEOUT(statusOf(r, 1).up, 3000);
    QVERIFY(r.eventContains(QStringLiteral("backend-8002 UP: 2 consecutive probes passed")));
    QSet<QByteArray> seen;
    for (int i = 0; i < 6; ++i)
        seen.insert(servedBy(r.port()));
    QVERIFY(seen.contains("backend-8002"));
    // The timeline has the ticks and both transitions.
    const auto marks = r.lab.poolBackend(r.id(1))->marksSince(0);
    QVERIFY(
        std::any_of(marks.begin(), marks.end(), [](const HealthMark& m) { return m.kind == HealthMark::Kind::Down; }));
    QVERIFY(
        std::any_of(marks.begin(), marks.end(), [](const HealthMark& m) { return m.kind == HealthMark::Kind::Up; }));
}

void TestHealth::healthOverrideTakesItOutOfRotation()
{
    RunningLab r(fastLab());
    FaultProfile f;
    f.healthFails = true;
    r.lab.setFaults(r.id(0), f);
    QTRY_VERIFY_WITH_TIMEOUT(!statusOf(r, 0).up, 3000);
    QVERIFY(statusOf(r, 0).lastDetail.contains(QStringLiteral("status 503")));
    // It still serves traffic directly, but the proxy no longer sends it any.
    QCOMPARE(httpGet(r.lab.embeddedBackend(r.id(0))->port(), "/")->status(), 200);
    for (int i = 0; i < 6; ++i)
        QVERIFY(servedBy(r.port()) != "backend-8001");
    r.lab.setFaults(r.id(0), {});
    QTRY_VERIFY_WITH_TIMEOUT(statusOf(r, 0).up, 3000);
}

void TestHealth::expectedBodyAndStatus()
{
    LabConfig c = fastLab();
    c.backends[0].health = c.health;
    c.backends[0].health->expectBody = QStringLiteral("\"status\":\"ok\"");
    c.backends[1].health = c.health;
    c.backends[1].health->expectBody = QStringLiteral("up-and-running");
    c.backends[2].health = c.health;
    c.backends[2].health->expectStatusMin = 500; // the fake's 200 is outside 500-599
    c.backends[2].health->expectStatusMax = 599;
    RunningLab r(c);
    QTRY_VERIFY_WITH_TIMEOUT(!statusOf(r, 1).up && !statusOf(r, 2).up, 3000);
    QVERIFY(statusOf(r, 0).up);
    QVERIFY2(statusOf(r, 1).lastDetail.contains(QStringLiteral("body lacks \"up-and-running\"")),
             qPrintable(statusOf(r, 1).lastDetail));
    QVERIFY2(statusOf(r, 2).lastDetail.contains(QStringLiteral("expected 500-599")),
             qPrintable(statusOf(r, 2).lastDetail));
}

void TestHealth::tcpProbeNeedsOnlyAConnect()
{
    // A server that never speaks HTTP: HTTP probes time out, a TCP probe passes.
    ScriptedBackend silent([](const QByteArray&) { return ScriptedBackend::Reply{QByteArray(), false, 60'000}; });
    LabConfig c;
    c.listeners.clear();
    BackendConfig b;
    b.name = QStringLiteral("silent");
    b.port = silent.port();
    b.health = fastLab().health;
    b.health->type = QStringLiteral("tcp");
    c.backends << b;
    b.name = QStringLiteral("silent-http");
    b.health->type = QStringLiteral("http");
    b.health->fall = 1;
    c.backends << b;
    c.health = fastLab().health;
    Lab lab(c);
    QVERIFY(lab.startProxies(nullptr)); // no listener: this only starts the probes
    QTRY_VERIFY_WITH_TIMEOUT(lab.healthChecker()->status(QStringLiteral("silent"))->probes >= 3, 3000);
    QVERIFY(lab.healthChecker()->status(QStringLiteral("silent"))->up);
    QVERIFY(lab.healthChecker()->status(QStringLiteral("silent"))->lastDetail.startsWith(QStringLiteral("connected")));
    QTRY_VERIFY_WITH_TIMEOUT(!lab.healthChecker()->status(QStringLiteral("silent-http"))->up, 3000);
    QVERIFY(lab.healthChecker()
                ->status(QStringLiteral("silent-http"))
                ->lastDetail.contains(QStringLiteral("no answer within 300 ms")));
}

void TestHealth::hangingBackendFailsByTimeout()
{
    RunningLab r(fastLab());
    FaultProfile f;
    f.hang = true;
    r.lab.setFaults(r.id(2), f);
    QTRY_VERIFY_WITH_TIMEOUT(!statusOf(r, 2).up, 4000);
    QVERIFY(statusOf(r, 2).lastDetail.contains(QStringLiteral("no answer within")));
}

void TestHealth::perBackendSettingsApplyLive()
{
    RunningLab r(fastLab());
    HealthConfig h = r.lab.config().health;
    h.fall = 1;
    h.rise = 5;
    r.lab.setBackendHealth(r.id(0), h);
    QTRY_COMPARE(statusOf(r, 0).fall, 1);
    QCOMPARE(statusOf(r, 0).rise, 5);
    QCOMPARE(statusOf(r, 1).fall, 3); // the others keep the lab's
    QCOMPARE(r.lab.config().backends[0].health->rise, 5);
    h.enabled = false;
    r.lab.setBackendHealth(r.id(0), h);
    QTRY_VERIFY(!statusOf(r, 0).checking);
    const quint64 probes = statusOf(r, 0).probes;
    QTest::qWait(350);
    QCOMPARE(statusOf(r, 0).probes, probes); // no probes while switched off
}

void TestHealth::switchingChecksOffDropsTheProbeInFlight()
{
    LabConfig c = fastLab();
    c.health.fall = 2;
    RunningLab r(c);
    QTRY_VERIFY(statusOf(r, 0).probes >= 1);
    FaultProfile f;
    f.hang = true; // every probe now takes its 300 ms timeout and fails
    r.lab.setFaults(r.id(0), f);
    QTRY_COMPARE_WITH_TIMEOUT(statusOf(r, 0).failuresInARow, 1, 3000);
    // The next probe goes out ~100 ms after that failure and fails 300 ms later, which would be the
    // second failure in a row: switch the checks off while it is in flight.
    QTest::qWait(200);
    HealthConfig h = r.lab.config().health;
    h.fall = 2;
    h.enabled = false;
    r.lab.setBackendHealth(r.id(0), h);
    QTRY_VERIFY(!statusOf(r, 0).checking);
    const quint64 probes = statusOf(r, 0).probes;
    QTest::qWait(600);
    QCOMPARE(statusOf(r, 0).probes, probes);
    QVERIFY(statusOf(r, 0).up);
    QVERIFY(r.lab.poolBackend(r.id(0))->healthy.load());
    QVERIFY(!r.eventContains(QStringLiteral("backend-8001 DOWN")));
}

void TestHealth::outlierEjectionRespectsMaxShare()
{
    LabConfig c = fastLab();
    c.health.enabled = false; // only the passive verdict here
    c.breaker.enabled = false;
    c.outlier.consecutiveFailures = 3;
    c.outlier.baseEjectionMs = 600;
    c.retry.retryOn << QStringLiteral("5xx");
    RunningLab r(c);
    FaultProfile broken;
    broken.errorRatePercent = 100;
    r.lab.setFaults(r.id(0), broken);
    r.lab.setFaults(r.id(1), broken);
    for (int i = 0; i < 30; ++i)
        QCOMPARE(httpGet(r.port(), "/")->status(), 200); // 5xx are retried on the healthy one
    // One of the two broken backends is ejected; ejecting the second would put 2 of 3 (67%) out.
    const bool first = r.lab.poolBackend(r.id(0))->ejected(steadyNowMs());
    const bool second = r.lab.poolBackend(r.id(1))->ejected(steadyNowMs());
    QVERIFY(first != second);
    QVERIFY(r.eventContains(QStringLiteral("EJECTED for 0.6 s: 3 consecutive failures (last: 500)")));
    QVERIFY(r.eventContains(QStringLiteral("not ejected after 3 consecutive failures")));
    // The ejection ends by itself and the event says so.
    QTRY_VERIFY_WITH_TIMEOUT(r.eventContains(QStringLiteral("back in rotation: its ejection is over")), 3000);
}

void TestHealth::circuitOpensAndRecoversThroughHalfOpen()
{
    LabConfig c = fastLab();
    c.health.enabled = false;
    c.outlier.enabled = false;
    c.breaker.minRequests = 10;
    c.breaker.openMs = 500;
    c.breaker.halfOpenRequests = 3;
    c.retry.retryOn << QStringLiteral("5xx");
    RunningLab r(c);
    FaultProfile broken;
    broken.errorRatePercent = 100;
    r.lab.setFaults(r.id(0), broken);
    for (int i = 0; i < 40; ++i)
        QCOMPARE(httpGet(r.port(), "/")->status(), 200);
    QTRY_VERIFY(r.eventContains(
        QStringLiteral("backend-8001 circuit OPEN for 0.5 s: 10 of the last 10 requests failed (last: 500)")));
    QCOMPARE(r.lab.poolBackend(r.id(0))->breakerNow(), CircuitBreaker::State::Open);
    const quint64 answered = r.lab.embeddedBackend(r.id(0))->counters().requests.load();
    for (int i = 0; i < 10; ++i)
        QVERIFY(servedBy(r.port()) != "backend-8001");
    QCOMPARE(r.lab.embeddedBackend(r.id(0))->counters().requests.load(), answered); // open: no traffic at all

    r.lab.setFaults(r.id(0), {}); // repaired
    QTRY_VERIFY_WITH_TIMEOUT(r.lab.poolBackend(r.id(0))->breakerNow() == CircuitBreaker::State::HalfOpen, 2000);
    QVERIFY(r.eventContains(QStringLiteral("backend-8001 circuit half-open")));
    for (int i = 0; i < 12; ++i)
        QCOMPARE(httpGet(r.port(), "/")->status(), 200);
    QTRY_COMPARE(r.lab.poolBackend(r.id(0))->breakerNow(), CircuitBreaker::State::Closed);
    QVERIFY(r.eventContains(QStringLiteral("backend-8001 circuit closed: 3 trial requests succeeded")));
}

void TestHealth::halfOpenTrialWhoseClientLeftFreesItsSlot()
{
    RunningLab r(breakerLab());
    QVERIFY(openFirstBreaker(r));
    r.lab.setDraining(r.id(1), true); // only backend-8001 is left to pick
    r.lab.setDraining(r.id(2), true);
    FaultProfile hang;
    hang.hang = true;
    r.lab.setFaults(r.id(0), hang);
    QTRY_VERIFY_WITH_TIMEOUT(r.lab.poolBackend(r.id(0))->breakerNow() == CircuitBreaker::State::HalfOpen, 3000);
    // The one trial goes out and its client leaves before any answer: no verdict on the backend.
    TestHttpConnection client;
    QVERIFY(client.connectTo(r.port()));
    QVERIFY(client.send(getRequest("/trial")));
    QTRY_COMPARE(r.lab.poolBackend(r.id(0))->activeRequests.load(), 1);
    client.socket().abort();
    QTRY_COMPARE(r.lab.poolBackend(r.id(0))->activeRequests.load(), 0);
    // Its slot is free at once: the repaired backend gets the next request (before: 503 {"tried":[]}).
    r.lab.setFaults(r.id(0), {});
    QCOMPARE(servedBy(r.port()), QByteArray("backend-8001"));
    QTRY_COMPARE(r.lab.poolBackend(r.id(0))->breakerNow(), CircuitBreaker::State::Closed);
    QVERIFY(!r.eventContains(QStringLiteral("no trial outcome"))); // freed by its ticket, not by the deadline
}

void TestHealth::discardedRetryDuringHalfOpenDoesNotWedgeIt()
{
    LabConfig c = breakerLab();
    c.retry.retryOn << QStringLiteral("404");
    RunningLab r(c);
    QVERIFY(openFirstBreaker(r));
    r.lab.setDraining(r.id(2), true);
    FaultProfile notHere;
    // "/" answers 404 there, and is retried on backend-8002.
    notHere.onlyPaths << QStringLiteral("/elsewhere");
    r.lab.setFaults(r.id(0), notHere);
    QTRY_VERIFY_WITH_TIMEOUT(r.lab.poolBackend(r.id(0))->breakerNow() == CircuitBreaker::State::HalfOpen, 3000);
    const quint64 before = r.lab.embeddedBackend(r.id(0))->counters().requests.load();
    for (int i = 0; i < 10 && r.lab.embeddedBackend(r.id(0))->counters().requests.load() == before; ++i)
        QCOMPARE(servedBy(r.port()), QByteArray("backend-8002"));
    QVERIFY(r.lab.embeddedBackend(r.id(0))->counters().requests.load() > before); // the trial got its 404
    // A 404 is an answer: the trial succeeded and the circuit closes (before: half-open with its slot taken).
    QTRY_COMPARE(r.lab.poolBackend(r.id(0))->breakerNow(), CircuitBreaker::State::Closed);
    QVERIFY(r.eventContains(QStringLiteral("backend-8001 circuit closed: 1 trial requests succeeded")));
    QVERIFY(!r.eventContains(QStringLiteral("no trial outcome")));
}

void TestHealth::halfOpenTrialRefusedMidExchangeFreesItsSlot()
{
    LabConfig c = breakerLab();
    c.timeouts.upstreamResponseMs = 300;
    RunningLab r(c);
    QVERIFY(openFirstBreaker(r));
    r.lab.setDraining(r.id(1), true);
    r.lab.setDraining(r.id(2), true);
    r.lab.setFaults(r.id(0), {});
    QTRY_VERIFY_WITH_TIMEOUT(r.lab.poolBackend(r.id(0))->breakerNow() == CircuitBreaker::State::HalfOpen, 3000);
    // The trial's body stalls: the proxy answers 408 itself, with no verdict on the backend.
    TestHttpConnection client;
    QVERIFY(client.connectTo(r.port()));
    const auto refused = client.request("POST /upload HTTP/1.1\r\nHost: lab\r\nContent-Length: 10\r\n\r\nabc", 5000);
    QVERIFY(refused);
    QCOMPARE(refused->status(), 408);
    QCOMPARE(servedBy(r.port()), QByteArray("backend-8001")); // before: 503 {"tried":[]}
    QTRY_COMPARE(r.lab.poolBackend(r.id(0))->breakerNow(), CircuitBreaker::State::Closed);
    QVERIFY(!r.eventContains(QStringLiteral("no trial outcome")));
}

void TestHealth::everyBreakerTransitionIsPublished()
{
    // The pool on a manual clock: each change of the breaker shows as an event, a timeline band, and
    // in the lock-free mirror, whichever call made it.
    BackendConfig a;
    a.name = QStringLiteral("a");
    a.port = 1;
    const auto clock = std::make_shared<ManualClock>(100'000); // outlives the pool and its tickets
    BackendPool pool({a}, QStringLiteral("round-robin"));
    pool.setClock(clock);
    auto events = std::make_shared<EventLog>();
    pool.setEventLog(events);
    OutlierConfig noEjection;
    noEjection.enabled = false;
    BreakerConfig breaker;
    breaker.minRequests = 4;
    breaker.openMs = 1000;
    breaker.halfOpenRequests = 1;
    pool.setPassiveConfig(noEjection, breaker, 0);
    Backend& b = *pool.byName(QStringLiteral("a"));
    auto mirrorAgrees = [&b] {
        QMutexLocker lock(&b.breakerMutex);
        return b.breakerNow() == b.breaker.state();
    };

    AttemptTicket late = pool.pick(PickContext{}, {}); // sent while closed, answers after the opening
    for (int i = 0; i < 4; ++i)
        pool.pick(PickContext{}, {}).failed(QStringLiteral("500"));
    QCOMPARE(b.breakerNow(), CircuitBreaker::State::Open);
    QVERIFY(mirrorAgrees());
    QVERIFY(!pool.pick(PickContext{}, {}));

    // openMs later a late outcome arrives before any pick or housekeeping: the turn to half-open it
    // triggers is published like any other (before: done silently inside the breaker's getter).
    clock->advance(1000);
    late.succeeded();
    QCOMPARE(b.breakerNow(), CircuitBreaker::State::HalfOpen);
    QVERIFY(mirrorAgrees());

    // A trial that never reports is forgotten by housekeeping openMs later, and says so.
    AttemptTicket lost = pool.pick(PickContext{}, {});
    QVERIFY(lost.trial().isTrial());
    QVERIFY(!pool.pick(PickContext{}, {}));
    clock->advance(1000);
    pool.housekeeping(clock->nowMs());
    AttemptTicket trial = pool.pick(PickContext{}, {});
    QVERIFY(trial);
    trial.succeeded();
    QCOMPARE(b.breakerNow(), CircuitBreaker::State::Closed);
    lost.abandon(); // long forgotten: changes nothing

    for (int i = 0; i < 4; ++i)
        pool.pick(PickContext{}, {}).failed(QStringLiteral("reset"));
    QCOMPARE(b.breakerNow(), CircuitBreaker::State::Open);
    breaker.enabled = false;
    pool.setPassiveConfig(noEjection, breaker, 0);
    QCOMPARE(b.breakerNow(), CircuitBreaker::State::Closed);
    QVERIFY(mirrorAgrees());

    QCOMPARE(breakerBands(b), QStringLiteral("ohcoc")); // forgetting trials is no new band: still half-open
    QCOMPARE(healthEvents(*events),
             QStringList({QStringLiteral("a circuit OPEN for 1 s: 4 of the last 4 requests failed (last: 500)"),
                          QStringLiteral("a circuit half-open: letting 1 trial requests through"),
                          QStringLiteral("a circuit still half-open: no trial outcome within 1 s; those trials are "
                                         "forgotten and new ones may go"),
                          QStringLiteral("a circuit closed: 1 trial requests succeeded"),
                          QStringLiteral("a circuit OPEN for 1 s: 4 of the last 4 requests failed (last: reset)"),
                          QStringLiteral("a circuit closed: the circuit breaker was switched off")}));
}

void TestHealth::attemptTicketReportsExactlyOnce()
{
    BackendConfig a;
    a.name = QStringLiteral("a");
    a.port = 1;
    const auto clock = std::make_shared<ManualClock>(100'000); // outlives the pool and its tickets
    BackendPool pool({a}, QStringLiteral("round-robin"));
    pool.setClock(clock);
    OutlierConfig noEjection;
    noEjection.enabled = false;
    BreakerConfig breaker;
    breaker.minRequests = 4;
    breaker.openMs = 1000;
    breaker.halfOpenRequests = 1;
    pool.setPassiveConfig(noEjection, breaker, 0);
    Backend& b = *pool.byName(QStringLiteral("a"));
    for (int i = 0; i < 4; ++i)
        pool.pickByName(QStringLiteral("a"), {}).failed(QStringLiteral("500"));
    clock->advance(1000);
    pool.housekeeping(clock->nowMs());
    QCOMPARE(b.breakerNow(), CircuitBreaker::State::HalfOpen);
    { // a ticket destroyed without an outcome: abandoned
        AttemptTicket dropped = pool.pickByName(QStringLiteral("a"), {});
        QVERIFY(dropped.pending());
        QVERIFY(!pool.pickByName(QStringLiteral("a"), {})); // the one slot is taken
    }
    AttemptTicket first = pool.pick(PickContext{}, {});
    QVERIFY(first);
    AttemptTicket moved = std::move(first); // the slot moves with the ticket
    QVERIFY(!first.pending());
    first.failed(QStringLiteral("nothing to report")); // an empty ticket reports nothing
    QCOMPARE(b.breakerNow(), CircuitBreaker::State::HalfOpen);
    moved.abandon();
    moved.failed(QStringLiteral("too late")); // only the first outcome counts
    QCOMPARE(b.breakerNow(), CircuitBreaker::State::HalfOpen);
    AttemptTicket replaced = pool.pick(PickContext{}, {});
    QVERIFY(replaced);
    replaced = AttemptTicket(); // overwritten without an outcome: abandoned
    AttemptTicket last = pool.pick(PickContext{}, {});
    QVERIFY(last);
    last.succeeded();
    QCOMPARE(b.breakerNow(), CircuitBreaker::State::Closed);
}

void TestHealth::slowStartRampsTheShare()
{
    // Pure pool arithmetic on a manual clock (no time passes during the picks, however slow the build):
    // a and b, round robin, a in slow start over 2 s.
    BackendConfig a;
    a.name = QStringLiteral("a");
    a.port = 1;
    BackendConfig b = a;
    b.name = QStringLiteral("b");
    const auto clock = std::make_shared<ManualClock>(1'000'000);
    const qint64 now = clock->nowMs();
    BackendPool pool({a, b}, QStringLiteral("round-robin"));
    pool.setClock(clock);
    pool.setPassiveConfig({}, {}, 2000);
    pool.setRandomSeed(7);
    Backend& ba = *pool.byName(QStringLiteral("a"));
    auto shareOfA = [&](qint64 startedMsAgo) {
        ba.slowStartSinceMs.store(now - startedMsAgo);
        int hits = 0;
        for (int i = 0; i < 20'000; ++i)
            hits += pool.pick(PickContext{}, {})->name == QLatin1String("a");
        return double(hits) / 20'000.0;
    };
    // Round robin over {a, b} gives a half when a is in; slow start admits a with probability f.
    const double atStart = shareOfA(0); // f = 0.10 -> ~5%
    const double halfway = shareOfA(1000); // f = 0.55 -> ~27.5%
    const double nearEnd = shareOfA(1900); // f = 0.955 -> ~48%
    QVERIFY2(qAbs(atStart - 0.05) < 0.02, qPrintable(QString::number(atStart)));
    QVERIFY2(qAbs(halfway - 0.275) < 0.03, qPrintable(QString::number(halfway)));
    QVERIFY2(qAbs(nearEnd - 0.48) < 0.03, qPrintable(QString::number(nearEnd)));
    QVERIFY(atStart < halfway && halfway < nearEnd);
    // When the ramp is over, housekeeping ends slow start: a gets its full half.
    ba.slowStartSinceMs.store(now - 2500);
    pool.housekeeping(now);
    QCOMPARE(ba.slowStartSinceMs.load(), 0);
    QCOMPARE(pool.slowStartFactor(ba, now), 1.0);
}

// A learner's trial: with the max-ejection share reached, a backend failing every request logged "not
// ejected" after every run of failures (every ~25 ms under load), flooding out the state changes.
void TestHealth::refusedEjectionIsSaidOncePerStreak()
{
    QList<BackendConfig> configs;
    for (const char* name : {"a", "b", "c"}) {
        BackendConfig c;
        c.name = QString::fromLatin1(name);
        c.port = quint16(configs.size() + 1);
        configs << c;
    }
    BackendPool pool(configs, QStringLiteral("round-robin"));
    auto events = std::make_shared<EventLog>(1000, 1000);
    pool.setEventLog(events);
    OutlierConfig outlier;
    outlier.consecutiveFailures = 2;
    outlier.maxEjectionPercent = 34; // one of three may be out
    BreakerConfig noBreaker;
    noBreaker.enabled = false;
    pool.setPassiveConfig(outlier, noBreaker, 0);
    const auto outcome = [&](const char* name, bool ok) {
        AttemptTicket t(&pool, pool.byName(QString::fromLatin1(name)), {});
        ok ? t.succeeded() : t.failed(QStringLiteral("500"));
    };
    const auto refusals = [&] {
        int n = 0;
        for (const LabEvent& e : events->since(0))
            n += e.text.startsWith(QStringLiteral("b not ejected")) ? 1 : 0;
        return n;
    };
    outcome("a", false);
    outcome("a", false);
    QVERIFY(pool.byName(QStringLiteral("a"))->ejected(steadyNowMs()));
    for (int i = 0; i < 20; ++i) // ten runs of two failures: each would eject b but for the share
        outcome("b", false);
    QCOMPARE(refusals(), 1);
    outcome("b", true); // the streak ends; the next refusal is news again
    outcome("b", false);
    outcome("b", false);
    QCOMPARE(refusals(), 2);
}

void TestHealth::reEjectionBeforeHousekeepingKeepsBothOnTheTimeline()
{
    BackendConfig a;
    a.name = QStringLiteral("a");
    a.port = 1;
    BackendConfig b = a;
    b.name = QStringLiteral("b");
    b.port = 2;
    BackendConfig c = a;
    c.name = QStringLiteral("c");
    c.port = 3;
    BackendPool pool({a, b, c}, QStringLiteral("round-robin"));
    OutlierConfig outlier;
    outlier.consecutiveFailures = 2;
    outlier.baseEjectionMs = 100'000;
    BreakerConfig noBreaker;
    noBreaker.enabled = false;
    pool.setPassiveConfig(outlier, noBreaker, 0);
    const BackendPtr aPtr = pool.byName(QStringLiteral("a"));
    Backend& ba = *aPtr;
    // Outcomes reach the pool only through attempt tickets; the breaker is off, so no trial is involved.
    const auto fail = [&] {
        AttemptTicket(&pool, aPtr, {}).failed(QStringLiteral("connection refused"));
    };
    fail();
    fail();
    QVERIFY(ba.ejected(steadyNowMs()));
    // Its time runs out, and before housekeeping notices, two more failures eject it again.
    const qint64 endedAt = steadyNowMs() - 5;
    ba.ejectedUntilMs.store(endedAt);
    fail();
    fail();
    QVERIFY(ba.ejected(steadyNowMs()));
    std::vector<HealthMark> ejections;
    for (const HealthMark& m : ba.marksSince(0)) {
        if (m.kind == HealthMark::Kind::Ejected || m.kind == HealthMark::Kind::Returned)
            ejections.push_back(m);
    }
    QCOMPARE(ejections.size(), size_t(3));
    QVERIFY(ejections[0].kind == HealthMark::Kind::Ejected);
    QVERIFY(ejections[1].kind == HealthMark::Kind::Returned);
    QCOMPARE(ejections[1].atMs, endedAt);
    QVERIFY(ejections[2].kind == HealthMark::Kind::Ejected);
}

void TestHealth::drainingLetsASlowRequestFinish()
{
    RunningLab r(fastLab());
    FaultProfile slow;
    slow.latencyMs = 2000;
    r.lab.setFaults(r.id(0), slow);
    const quint16 backendPort = r.lab.embeddedBackend(r.id(0))->port();
    // Round robin starts at backend-8001: the first request is the slow one.
    TestHttpConnection slowClient;
    QVERIFY(slowClient.connectTo(r.port()));
    QVERIFY(slowClient.send(getRequest("/slow")));
    QTRY_COMPARE(r.lab.poolBackend(r.id(0))->activeRequests.load(), 1);
    QElapsedTimer t;
    t.start();
    QVERIFY(!r.lab.drainAndStop(r.id(0), 5000)); // something in flight: it drains first
    QVERIFY(r.lab.isDraining(r.id(0)) && r.lab.isStopping(r.id(0)));
    for (int i = 0; i < 6; ++i)
        QVERIFY(servedBy(r.port()) != "backend-8001"); // new requests go elsewhere
    QVERIFY(r.lab.embeddedBackend(r.id(0))->isListening());
    const auto resp = slowClient.readResponse(5000);
    QVERIFY(resp);
    QCOMPARE(resp->status(), 200);
    QCOMPARE(resp->head.header("X-Served-By"), QByteArray("backend-8001"));
    QTRY_VERIFY(connectionRefused(backendPort)); // then it stops
    QVERIFY(t.elapsed() >= 1500);
    QVERIFY(r.eventContains(QStringLiteral("backend-8001 drained and stopped")));
    QVERIFY(!r.lab.isDraining(r.id(0))); // Start brings it straight back
}

// Stop (at once) while a drain-then-stop waits: the drain is over, nothing stops it twice, and Start
// brings it back into rotation rather than leaving it drained.
void TestHealth::stoppingAtOnceDuringADrainLeavesItInRotation()
{
    RunningLab r(fastLab());
    FaultProfile slow;
    slow.latencyMs = 2000;
    r.lab.setFaults(r.id(0), slow);
    TestHttpConnection slowClient;
    QVERIFY(slowClient.connectTo(r.port()));
    QVERIFY(slowClient.send(getRequest("/slow")));
    QTRY_COMPARE(r.lab.poolBackend(r.id(0))->activeRequests.load(), 1);
    QVERIFY(!r.lab.drainAndStop(r.id(0), 5000));
    QVERIFY(r.lab.isStopping(r.id(0)));
    QSignalSpy changed(&r.lab, &Lab::backendStateChanged);
    r.lab.stopBackend(r.id(0));
    QVERIFY(!r.lab.isStopping(r.id(0)));
    QVERIFY(!r.lab.embeddedBackend(r.id(0))->isStarted());
    QVERIFY(!changed.isEmpty());
    QCOMPARE(changed.last().at(0).value<BackendId>(), r.id(0));
    QVERIFY(r.lab.startBackend(r.id(0), nullptr));
    QVERIFY(!r.lab.isDraining(r.id(0)));
    r.lab.setFaults(r.id(0), {});
    QTRY_VERIFY_WITH_TIMEOUT(statusOf(r, 0).up, 3000);
    bool reached = false;
    QByteArrayList served;
    for (int i = 0; i < 6 && !reached; ++i) {
        served << servedBy(r.port());
        reached = served.last() == "backend-8001";
    }
    // (Failed once under ASan, not reproduced: say what answered and how the pool saw backend-8001.)
    const BackendPtr b = r.lab.poolBackend(r.id(0));
    QVERIFY2(reached,
             qPrintable(QStringLiteral("served by %1; backend-8001 is %2")
                            .arg(QString::fromLatin1(served.join(", ")),
                                 QString::fromLatin1(eligibilityName(classify(*b, steadyNowMs(), false))))));
    QVERIFY(!r.eventContains(QStringLiteral("backend-8001 drained and stopped")));
}

void TestHealth::allDownGives503QuicklyWithTheList()
{
    RunningLab r(fastLab());
    for (int i = 0; i < 3; ++i)
        r.lab.stopBackend(r.id(i));
    QTRY_VERIFY_WITH_TIMEOUT(!statusOf(r, 0).up && !statusOf(r, 1).up && !statusOf(r, 2).up, 3000);
    QElapsedTimer t;
    t.start();
    const auto resp = httpGet(r.port(), "/");
    QCOMPARE(resp->status(), 503);
    QVERIFY(t.elapsed() < 500);
}

void TestHealth::panicRoutesToAllWhenMostFailTheirProbes()
{
    RunningLab r(fastLab());
    FaultProfile noHealth;
    noHealth.healthFails = true; // /health says 503, real requests work: the probes are wrong
    r.lab.setFaults(r.id(0), noHealth);
    QTRY_VERIFY_WITH_TIMEOUT(!statusOf(r, 0).up, 3000);
    QSet<QByteArray> seen;
    for (int i = 0; i < 6; ++i)
        seen.insert(servedBy(r.port()));
    QCOMPARE(seen.size(), 2); // 2 of 3 healthy: no panic, backend-8001 is out
    r.lab.setFaults(r.id(1), noHealth);
    QTRY_VERIFY_WITH_TIMEOUT(!statusOf(r, 1).up, 3000);
    seen.clear();
    for (int i = 0; i < 9; ++i)
        seen.insert(servedBy(r.port()));
    QCOMPARE(seen.size(), 3); // 1 of 3 healthy: panic, all three serve
    QVERIFY(r.eventContains(QStringLiteral("PANIC: only 1 of 3 backends pass their health checks")));
    r.lab.setFaults(r.id(0), {});
    QTRY_VERIFY_WITH_TIMEOUT(statusOf(r, 0).up, 3000);
    for (int i = 0; i < 3; ++i)
        servedBy(r.port());
    QVERIFY(r.eventContains(QStringLiteral("panic over: 2 of 3 backends pass")));
}

QTEST_GUILESS_MAIN(TestHealth)
#include "tst_health.moc"
