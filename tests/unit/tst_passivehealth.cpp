// Passive health and eligibility on a manual clock: no sockets, no sleeps. Panic routing, outlier
// ejection, slow start and the circuit breaker as the pool runs them, the classify() table, and one table
// that holds the board, the sticky pick and pick() to the same answer for every state.

#include "BackendTableModel.h"
#include "backend/BackendPool.h"
#include "health/Eligibility.h"
#include "lab/Lab.h"
#include "metrics/EventLog.h"
#include "metrics/RequestTrace.h"
#include "util/Clock.h"

#include <QTest>

using namespace lab;

Q_DECLARE_METATYPE(lab::Eligibility)
Q_DECLARE_METATYPE(lab::BackendTableModel::RowState)

namespace {

QStringList names(std::initializer_list<const char*> list)
{
    QStringList out;
    for (const char* s : list)
        out.append(QString::fromUtf8(s));
    return out;
}

QList<BackendConfig> backendsNamed(std::initializer_list<const char*> list)
{
    QList<BackendConfig> out;
    int port = 1;
    for (const QString& name : names(list)) {
        BackendConfig c;
        c.name = name;
        c.port = port++;
        out.append(c);
    }
    return out;
}

QStringList healthEvents(const EventLog& events)
{
    QStringList out;
    for (const LabEvent& e : events.since(0)) {
        if (e.kind == LabEvent::Kind::Health)
            out.append(e.text);
    }
    return out;
}

// The names pick() returns over `picks` picks with nothing tried, in order.
QStringList picks(BackendPool& pool, int count, std::span<const int> tried = {})
{
    QStringList out;
    for (int i = 0; i < count; ++i) {
        AttemptTicket t = pool.pick(PickContext{}, tried);
        out.append(t ? t->name : QStringLiteral("-"));
    }
    return out;
}

void fail(BackendPool& pool, const BackendPtr& b, int times)
{
    for (int i = 0; i < times; ++i)
        AttemptTicket(&pool, b, {}).failed(QStringLiteral("500"));
}

} // namespace

class TestPassiveHealth : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void manualClockMovesOnlyWhenTold();
    void panicStartsAndEndsAtTheThreshold();
    void ejectionLastsBaseTimesCountAndEnds();
    void maxEjectionShareIsRespected();
    void probesPassingLiftAnEjection();
    void slowStartRampsFromTenToHundredPercent();
    void breakerClosedOpenHalfOpenClosed();
    void breakerHalfOpenReopens();
    void classify_data();
    void classify();
    void stickyPickDrawsSlowStartsCoin();
    void boardStickyAndPickAgree_data();
    void boardStickyAndPickAgree();
};

void TestPassiveHealth::manualClockMovesOnlyWhenTold()
{
    const auto clock = std::make_shared<ManualClock>(5000);
    QCOMPARE(clock->nowMs(), 5000);
    const QDateTime wall = clock->wallNow();
    clock->advance(1500);
    QCOMPARE(clock->nowMs(), 6500);
    QCOMPARE(wall.msecsTo(clock->wallNow()), 1500);

    // The event log's flood window and the trace's sampling second follow the clock they are given.
    EventLog events(100, 1, clock);
    events.append(LabEvent::Kind::Traffic, QStringLiteral("one"));
    events.append(LabEvent::Kind::Traffic, QStringLiteral("two")); // over 1 a second: suppressed
    QCOMPARE(events.suppressed(), quint64(1));
    events.closeSuppressionWindow();
    QCOMPARE(events.since(0).size(), 1); // the second is not over on this clock
    clock->advance(1000);
    events.closeSuppressionWindow();
    QCOMPARE(events.since(0).size(), 2); // now it is: the summary is written
    QCOMPARE(events.since(0).first().time, wall.addMSecs(1500));

    RequestTrace trace(10, 2, clock);
    QVERIFY(trace.shouldSample());
    QVERIFY(trace.shouldSample());
    QVERIFY(!trace.shouldSample());
    clock->advance(1000);
    QVERIFY(trace.shouldSample());
}

void TestPassiveHealth::panicStartsAndEndsAtTheThreshold()
{
    const auto clock = std::make_shared<ManualClock>();
    BackendPool pool(backendsNamed({"a", "b", "c", "d"}), QStringLiteral("round-robin"));
    pool.setClock(clock);
    auto events = std::make_shared<EventLog>(100, 20, clock);
    pool.setEventLog(events);
    auto down = [&pool](const char* name, bool isDown) {
        pool.byName(QLatin1String(name))->healthy = !isDown;
    };

    down("a", true);
    down("b", true); // 2 of 4 healthy: exactly at the threshold, not below it
    QVERIFY(!pool.panicNow());
    QCOMPARE(pool.eligibility(*pool.byName(QStringLiteral("a"))), Eligibility::Unhealthy);
    QCOMPARE(picks(pool, 4), names({"c", "d", "c", "d"}));

    down("c", true); // 1 of 4: below half, every enabled backend is used
    QVERIFY(pool.panicNow());
    QCOMPARE(pool.eligibility(*pool.byName(QStringLiteral("a"))), Eligibility::PanicRouted);
    QCOMPARE(picks(pool, 4), names({"a", "b", "c", "d"}));

    down("c", false); // back to 2 of 4: panic is over
    QVERIFY(!pool.panicNow());
    QCOMPARE(picks(pool, 2), names({"c", "d"}));

    // A drained backend does not count: 1 healthy of 3 enabled is panic again.
    pool.byName(QStringLiteral("d"))->enabled = false;
    QVERIFY(pool.panicNow());
    QStringList all = picks(pool, 3);
    all.sort();
    QCOMPARE(all, names({"a", "b", "c"}));

    QCOMPARE(healthEvents(*events),
             names({"PANIC: only 1 of 4 backends pass their health checks; routing to all of them until at "
                    "least half do",
                    "panic over: 2 of 4 backends pass their health checks",
                    "PANIC: only 1 of 3 backends pass their health checks; routing to all of them until at "
                    "least half do"}));
}

void TestPassiveHealth::ejectionLastsBaseTimesCountAndEnds()
{
    const auto clock = std::make_shared<ManualClock>();
    BackendPool pool(backendsNamed({"a", "b", "c"}), QStringLiteral("round-robin"));
    pool.setClock(clock);
    auto events = std::make_shared<EventLog>(100, 20, clock);
    pool.setEventLog(events);
    OutlierConfig outlier;
    outlier.consecutiveFailures = 3;
    outlier.baseEjectionMs = 1000;
    outlier.maxEjectionMs = 2500;
    BreakerConfig noBreaker;
    noBreaker.enabled = false;
    pool.setPassiveConfig(outlier, noBreaker, 0);
    const BackendPtr a = pool.byName(QStringLiteral("a"));

    fail(pool, a, 2);
    AttemptTicket(&pool, a, {}).succeeded(); // a success ends the run
    fail(pool, a, 2);
    QCOMPARE(pool.eligibility(*a), Eligibility::Eligible);
    fail(pool, a, 1); // three in a row
    QCOMPARE(pool.eligibility(*a), Eligibility::Ejected);
    QCOMPARE(picks(pool, 2), names({"b", "c"}));

    // Ejection #1 lasts base × 1.
    clock->advance(999);
    pool.housekeeping(clock->nowMs());
    QCOMPARE(pool.eligibility(*a), Eligibility::Ejected);
    clock->advance(1);
    pool.housekeeping(clock->nowMs());
    QCOMPARE(pool.eligibility(*a), Eligibility::Eligible);
    QCOMPARE(a->ejectedUntilMs.load(), 0);

    // Ejection #2 lasts base × 2, #3 would be 3 s but is capped at maxEjectionMs.
    fail(pool, a, 3);
    QCOMPARE(a->ejectedUntilMs.load(), clock->nowMs() + 2000);
    clock->advance(2000);
    pool.housekeeping(clock->nowMs());
    fail(pool, a, 3);
    QCOMPARE(a->ejectedUntilMs.load(), clock->nowMs() + 2500);
    // Its probes failed meanwhile (a stopped backend): the end of this ejection does not put it back.
    a->healthy.store(false);
    clock->advance(2500);
    pool.housekeeping(clock->nowMs());
    QCOMPARE(pool.eligibility(*a), Eligibility::Unhealthy);

    const QStringList log = healthEvents(*events);
    QCOMPARE(log.size(), 6);
    QCOMPARE(log[5], QStringLiteral("a: its ejection is over, but it stays out of rotation: its probes fail"));
    QCOMPARE(log[0], QStringLiteral("a EJECTED for 1 s: 3 consecutive failures (last: 500); ejection #1"));
    QCOMPARE(log[1], QStringLiteral("a back in rotation: its ejection is over"));
    QCOMPARE(log[2], QStringLiteral("a EJECTED for 2 s: 3 consecutive failures (last: 500); ejection #2"));
    QCOMPARE(log[4], QStringLiteral("a EJECTED for 2.5 s: 3 consecutive failures (last: 500); ejection #3"));
}

void TestPassiveHealth::maxEjectionShareIsRespected()
{
    const auto clock = std::make_shared<ManualClock>();
    BackendPool pool(backendsNamed({"a", "b", "c", "d"}), QStringLiteral("round-robin"));
    pool.setClock(clock);
    auto events = std::make_shared<EventLog>(100, 20, clock);
    pool.setEventLog(events);
    OutlierConfig outlier;
    outlier.consecutiveFailures = 1;
    outlier.maxEjectionPercent = 50;
    BreakerConfig noBreaker;
    noBreaker.enabled = false;
    pool.setPassiveConfig(outlier, noBreaker, 0);

    fail(pool, pool.byName(QStringLiteral("a")), 1);
    fail(pool, pool.byName(QStringLiteral("b")), 1); // 2 of 4 out: 50 %, still allowed
    fail(pool, pool.byName(QStringLiteral("c")), 1); // a third would be 75 %
    QCOMPARE(pool.eligibility(*pool.byName(QStringLiteral("a"))), Eligibility::Ejected);
    QCOMPARE(pool.eligibility(*pool.byName(QStringLiteral("b"))), Eligibility::Ejected);
    QCOMPARE(pool.eligibility(*pool.byName(QStringLiteral("c"))), Eligibility::Eligible);
    QCOMPARE(healthEvents(*events).last(),
             QStringLiteral("c not ejected after 1 consecutive failures: 2 of 4 backends are out already and the "
                            "limit is 50%"));
    QCOMPARE(picks(pool, 2), names({"c", "d"}));
}

void TestPassiveHealth::probesPassingLiftAnEjection()
{
    const auto clock = std::make_shared<ManualClock>();
    BackendPool pool(backendsNamed({"a", "b"}), QStringLiteral("round-robin"));
    pool.setClock(clock);
    auto events = std::make_shared<EventLog>(100, 20, clock);
    pool.setEventLog(events);
    OutlierConfig outlier;
    outlier.consecutiveFailures = 1;
    outlier.maxEjectionPercent = 100;
    pool.setPassiveConfig(outlier, {}, 0);
    const BackendPtr a = pool.byName(QStringLiteral("a"));
    fail(pool, a, 1);
    QCOMPARE(pool.eligibility(*a), Eligibility::Ejected);
    pool.probesPassed(*a, clock->nowMs());
    QCOMPARE(pool.eligibility(*a), Eligibility::Eligible);
    QCOMPARE(healthEvents(*events).last(), QStringLiteral("a ejection lifted: the active probes pass"));
    pool.probesPassed(*a, clock->nowMs()); // nothing left to lift: no second event
    QCOMPARE(healthEvents(*events).size(), 2);
}

void TestPassiveHealth::slowStartRampsFromTenToHundredPercent()
{
    const auto clock = std::make_shared<ManualClock>();
    BackendPool pool(backendsNamed({"a", "b"}), QStringLiteral("round-robin"));
    pool.setClock(clock);
    auto events = std::make_shared<EventLog>(100, 20, clock);
    pool.setEventLog(events);
    pool.setPassiveConfig({}, {}, 2000);
    const BackendPtr a = pool.byName(QStringLiteral("a"));

    pool.beginSlowStart(*a, clock->nowMs());
    QCOMPARE(pool.eligibility(*a), Eligibility::SlowStart);
    QCOMPARE(pool.slowStartFactor(*a, clock->nowMs()), 0.1);
    clock->advance(1000);
    QCOMPARE(pool.slowStartFactor(*a, clock->nowMs()), 0.55);
    pool.housekeeping(clock->nowMs());
    QCOMPARE(pool.eligibility(*a), Eligibility::SlowStart);
    clock->advance(999);
    pool.housekeeping(clock->nowMs());
    QCOMPARE(pool.eligibility(*a), Eligibility::SlowStart);
    clock->advance(1);
    QCOMPARE(pool.slowStartFactor(*a, clock->nowMs()), 1.0);
    pool.housekeeping(clock->nowMs());
    QCOMPARE(pool.eligibility(*a), Eligibility::Eligible);
    QCOMPARE(healthEvents(*events),
             names({"a slow start: its share ramps from 10% to 100% over 2 s", "a slow start done: full share"}));

    // An ejection that ends by time starts slow start too.
    OutlierConfig outlier;
    outlier.consecutiveFailures = 1;
    outlier.baseEjectionMs = 500;
    pool.setPassiveConfig(outlier, {}, 2000);
    fail(pool, a, 1);
    clock->advance(500);
    pool.housekeeping(clock->nowMs());
    QCOMPARE(pool.eligibility(*a), Eligibility::SlowStart);
    QCOMPARE(pool.slowStartFactor(*a, clock->nowMs()), 0.1);
}

void TestPassiveHealth::breakerClosedOpenHalfOpenClosed()
{
    const auto clock = std::make_shared<ManualClock>();
    BackendPool pool(backendsNamed({"a", "b"}), QStringLiteral("round-robin"));
    pool.setClock(clock);
    OutlierConfig noEjection;
    noEjection.enabled = false;
    BreakerConfig breaker;
    breaker.minRequests = 4;
    breaker.openMs = 1000;
    breaker.halfOpenRequests = 2;
    pool.setPassiveConfig(noEjection, breaker, 0);
    const BackendPtr a = pool.byName(QStringLiteral("a"));

    fail(pool, a, 3);
    QCOMPARE(pool.eligibility(*a), Eligibility::Eligible); // closed: 3 requests are too few to judge
    fail(pool, a, 1);
    QCOMPARE(pool.eligibility(*a), Eligibility::BreakerOpen);
    QCOMPARE(picks(pool, 2), names({"b", "b"}));
    clock->advance(999);
    pool.housekeeping(clock->nowMs());
    QCOMPARE(pool.eligibility(*a), Eligibility::BreakerOpen);
    clock->advance(1);
    pool.housekeeping(clock->nowMs());
    QCOMPARE(pool.eligibility(*a), Eligibility::HalfOpen);

    // Two trial slots: the sticky pick takes them like pick() does, then a is skipped until they report.
    AttemptTicket first = pool.pickByName(QStringLiteral("a"), {});
    QVERIFY(first.trial().isTrial());
    const int onlyA[] = {pool.byName(QStringLiteral("b"))->id};
    AttemptTicket second = pool.pick(PickContext{}, onlyA);
    QCOMPARE(second->name, QStringLiteral("a"));
    QVERIFY(!pool.pickByName(QStringLiteral("a"), {}));
    QCOMPARE(picks(pool, 2), names({"b", "b"}));
    first.succeeded();
    QCOMPARE(pool.eligibility(*a), Eligibility::HalfOpen);
    second.succeeded();
    QCOMPARE(pool.eligibility(*a), Eligibility::Eligible);
    QCOMPARE(a->breakerNow(), CircuitBreaker::State::Closed);
}

void TestPassiveHealth::breakerHalfOpenReopens()
{
    const auto clock = std::make_shared<ManualClock>();
    BackendPool pool(backendsNamed({"a"}), QStringLiteral("round-robin"));
    pool.setClock(clock);
    OutlierConfig noEjection;
    noEjection.enabled = false;
    BreakerConfig breaker;
    breaker.minRequests = 2;
    breaker.openMs = 1000;
    breaker.halfOpenRequests = 1;
    pool.setPassiveConfig(noEjection, breaker, 0);
    const BackendPtr a = pool.byName(QStringLiteral("a"));
    fail(pool, a, 2);
    QCOMPARE(pool.eligibility(*a), Eligibility::BreakerOpen);
    QVERIFY(!pool.pick(PickContext{}, {}));
    clock->advance(1000); // no housekeeping: the pick itself turns it half-open
    AttemptTicket trial = pool.pick(PickContext{}, {});
    QVERIFY(trial.trial().isTrial());
    QCOMPARE(pool.eligibility(*a), Eligibility::HalfOpen);
    trial.failed(QStringLiteral("reset"));
    QCOMPARE(pool.eligibility(*a), Eligibility::BreakerOpen);
    clock->advance(999);
    QVERIFY(!pool.pick(PickContext{}, {}));
    clock->advance(1);
    QVERIFY(pool.pick(PickContext{}, {}));
}

// ---- classify ---------------------------------------------------------------------------------------

namespace {
enum Verdict : int {
    Disabled = 1 << 0,
    Down = 1 << 1, // the probes say down
    Panic = 1 << 2,
    Open = 1 << 3,
    HalfOpened = 1 << 4,
    EjectedNow = 1 << 5,
    EjectionOver = 1 << 6, // ejectedUntilMs set but in the past (housekeeping has not run)
    Held = 1 << 7, // passive hold after a refused connection
    HoldOver = 1 << 8,
    Ramping = 1 << 9, // slow start
};
} // namespace

void TestPassiveHealth::classify_data()
{
    QTest::addColumn<int>("verdicts");
    QTest::addColumn<Eligibility>("expected");
    using E = Eligibility;
    QTest::newRow("nothing against it") << 0 << E::Eligible;
    QTest::newRow("draining") << int(Disabled) << E::Draining;
    QTest::newRow("draining + healthy + panic") << int(Disabled | Panic) << E::Draining;
    QTest::newRow("draining + unhealthy") << int(Disabled | Down) << E::Draining;
    QTest::newRow("draining + ejected") << int(Disabled | EjectedNow) << E::Draining;
    QTest::newRow("unhealthy") << int(Down) << E::Unhealthy;
    QTest::newRow("unhealthy + breaker open") << int(Down | Open) << E::Unhealthy;
    QTest::newRow("panic + unhealthy") << int(Panic | Down) << E::PanicRouted;
    QTest::newRow("panic + healthy") << int(Panic) << E::Eligible;
    QTest::newRow("panic + unhealthy + breaker open") << int(Panic | Down | Open) << E::BreakerOpen;
    QTest::newRow("panic + unhealthy + ejected") << int(Panic | Down | EjectedNow) << E::Ejected;
    QTest::newRow("panic + unhealthy + slow start") << int(Panic | Down | Ramping) << E::SlowStart;
    QTest::newRow("breaker open") << int(Open) << E::BreakerOpen;
    QTest::newRow("breaker open + ejected") << int(Open | EjectedNow) << E::BreakerOpen;
    QTest::newRow("half-open") << int(HalfOpened) << E::HalfOpen;
    QTest::newRow("half-open + ejected") << int(HalfOpened | EjectedNow) << E::Ejected;
    QTest::newRow("half-open + slow start") << int(HalfOpened | Ramping) << E::HalfOpen;
    QTest::newRow("ejected") << int(EjectedNow) << E::Ejected;
    QTest::newRow("ejection over, not yet noticed") << int(EjectionOver) << E::Eligible;
    QTest::newRow("ejected + held") << int(EjectedNow | Held) << E::Ejected;
    QTest::newRow("held") << int(Held) << E::PassiveHold;
    QTest::newRow("hold over") << int(HoldOver) << E::Eligible;
    QTest::newRow("held + slow start") << int(Held | Ramping) << E::PassiveHold;
    QTest::newRow("slow start") << int(Ramping) << E::SlowStart;
}

void TestPassiveHealth::classify()
{
    QFETCH(int, verdicts);
    QFETCH(Eligibility, expected);
    const qint64 now = 1'000'000;
    Backend b;
    b.enabled = !(verdicts & Disabled);
    b.healthy = !(verdicts & Down);
    if (verdicts & Open)
        b.breakerState = int(CircuitBreaker::State::Open);
    if (verdicts & HalfOpened)
        b.breakerState = int(CircuitBreaker::State::HalfOpen);
    if (verdicts & EjectedNow)
        b.ejectedUntilMs = now + 1;
    if (verdicts & EjectionOver)
        b.ejectedUntilMs = now;
    if (verdicts & Held)
        b.passiveDownUntilMs = now + 1;
    if (verdicts & HoldOver)
        b.passiveDownUntilMs = now;
    if (verdicts & Ramping)
        b.slowStartSinceMs = now - 10;
    const Eligibility e = lab::classify(b, now, verdicts & Panic);
    QVERIFY2(e == expected, eligibilityName(e));
}

void TestPassiveHealth::stickyPickDrawsSlowStartsCoin()
{
    // Slow start at 10 %: the sticky pick honours a cookie for it about as often as the ramp allows, as
    // pick() admits it (before, a sticky client sent it its whole share from the first moment).
    const auto clock = std::make_shared<ManualClock>();
    BackendPool pool(backendsNamed({"a", "b"}), QStringLiteral("round-robin"));
    pool.setClock(clock);
    pool.setPassiveConfig({}, {}, 10'000);
    pool.setRandomSeed(7);
    pool.beginSlowStart(*pool.byName(QStringLiteral("a")), clock->nowMs());
    int sticky = 0;
    for (int i = 0; i < 4000; ++i)
        sticky += pool.pickByName(QStringLiteral("a"), {}) ? 1 : 0;
    QVERIFY2(qAbs(sticky / 4000.0 - 0.1) < 0.02, qPrintable(QString::number(sticky)));
}

// ---- one table for the board, the sticky pick and pick() ------------------------------------------

namespace {
enum class Setup {
    Healthy,
    Draining,
    Unhealthy,
    PanicUnhealthy,
    BreakerOpen,
    HalfOpen,
    Ejected,
    EjectedThenProbesPass,
    PassiveHold,
    SlowStart,
    DrainingAndEjected
};
} // namespace
Q_DECLARE_METATYPE(Setup)

void TestPassiveHealth::boardStickyAndPickAgree_data()
{
    QTest::addColumn<Setup>("setup");
    QTest::addColumn<Eligibility>("eligibility");
    QTest::addColumn<BackendTableModel::RowState>("board");
    QTest::addColumn<bool>("picked"); // by pick() while others are eligible, and by the sticky pick
    QTest::addColumn<bool>("lastResort"); // by pick() when every other backend was tried
    using E = Eligibility;
    using R = BackendTableModel::RowState;
    QTest::newRow("healthy") << Setup::Healthy << E::Eligible << R::Up << true << true;
    QTest::newRow("draining") << Setup::Draining << E::Draining << R::Drained << false << false;
    QTest::newRow("unhealthy") << Setup::Unhealthy << E::Unhealthy << R::Unhealthy << false << false;
    QTest::newRow("panic + unhealthy") << Setup::PanicUnhealthy << E::PanicRouted << R::PanicRouted << true << true;
    QTest::newRow("breaker open") << Setup::BreakerOpen << E::BreakerOpen << R::CircuitOpen << false << false;
    QTest::newRow("half-open") << Setup::HalfOpen << E::HalfOpen << R::HalfOpen << true << true;
    QTest::newRow("ejected") << Setup::Ejected << E::Ejected << R::Ejected << false << true;
    QTest::newRow("ejected + probes pass") << Setup::EjectedThenProbesPass << E::Eligible << R::Up << true << true;
    QTest::newRow("passive hold") << Setup::PassiveHold << E::PassiveHold << R::Down << false << true;
    QTest::newRow("slow start (ramp at 100 %)") << Setup::SlowStart << E::SlowStart << R::SlowStart << true << true;
    QTest::newRow("draining + ejected") << Setup::DrainingAndEjected << E::Draining << R::Drained << false << false;
}

void TestPassiveHealth::boardStickyAndPickAgree()
{
    QFETCH(Setup, setup);
    QFETCH(Eligibility, eligibility);
    QFETCH(BackendTableModel::RowState, board);
    QFETCH(bool, picked);
    QFETCH(bool, lastResort);

    // x is the backend under test; y and z stay healthy unless the setup says otherwise. External
    // backends (nothing listens; nothing is started): the board shows the pool's verdict alone.
    LabConfig config;
    config.backends = backendsNamed({"x", "y", "z"});
    Lab lab(config);
    const auto clock = std::make_shared<ManualClock>();
    BackendPool& pool = *lab.pool();
    pool.setClock(clock);
    OutlierConfig outlier;
    outlier.consecutiveFailures = 2;
    outlier.baseEjectionMs = 10'000;
    BreakerConfig breaker;
    breaker.minRequests = 4;
    breaker.openMs = 1000;
    breaker.halfOpenRequests = 1;
    const BackendPtr x = pool.byName(QStringLiteral("x"));
    const BackendPtr y = pool.byName(QStringLiteral("y"));
    const BackendPtr z = pool.byName(QStringLiteral("z"));
    const OutlierConfig noEjection{.enabled = false};
    const BreakerConfig noBreaker{.enabled = false};
    pool.setPassiveConfig(noEjection, noBreaker, 0);
    switch (setup) {
    case Setup::Healthy: break;
    case Setup::Draining: x->enabled = false; break;
    case Setup::Unhealthy: x->healthy = false; break;
    case Setup::PanicUnhealthy:
        x->healthy = false;
        z->healthy = false;
        break;
    case Setup::BreakerOpen:
    case Setup::HalfOpen:
        pool.setPassiveConfig(noEjection, breaker, 0);
        fail(pool, x, 4);
        if (setup == Setup::HalfOpen) {
            clock->advance(1000);
            pool.housekeeping(clock->nowMs());
        }
        break;
    case Setup::Ejected:
    case Setup::EjectedThenProbesPass:
    case Setup::DrainingAndEjected:
        pool.setPassiveConfig(outlier, noBreaker, 0);
        fail(pool, x, 2);
        if (setup == Setup::EjectedThenProbesPass)
            pool.probesPassed(*x, clock->nowMs());
        if (setup == Setup::DrainingAndEjected)
            x->enabled = false;
        break;
    case Setup::PassiveHold: pool.markConnectFailure(*x); break;
    case Setup::SlowStart:
        pool.setPassiveConfig(noEjection, noBreaker, 10'000);
        pool.beginSlowStart(*x, clock->nowMs() - 10'000);
        break;
    }

    // The board's state column.
    BackendTableModel model(&lab);
    model.refreshState();
    QCOMPARE(model.row(0).name, QStringLiteral("x"));
    QCOMPARE(model.row(0).state, board);
    QCOMPARE(pool.eligibility(*x), eligibility);
    QCOMPARE(pickTier(eligibility) == PickTier::Preferred, picked);

    // The sticky pick.
    QCOMPARE(bool(pool.pickByName(QStringLiteral("x"), {})), picked);

    // pick(): round robin over the eligible ones, then with y and z tried.
    const QStringList some = picks(pool, 6);
    QCOMPARE(some.contains(QStringLiteral("x")), picked);
    QVERIFY(!some.contains(QStringLiteral("-")));
    const int others[] = {y->id, z->id};
    QCOMPARE(picks(pool, 1, others).first() == QLatin1String("x"), lastResort);
}

QTEST_GUILESS_MAIN(TestPassiveHealth)
#include "tst_passivehealth.moc"
