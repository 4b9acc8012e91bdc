// The pure health logic: the rise/fall state machine and the circuit breaker, as tables.
#include "health/CircuitBreaker.h"
#include "health/HealthState.h"

#include <QTest>

using namespace lab;

class TestHealthState : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void riseFall_data();
    void riseFall();
    void countersForAPerson();
    void thresholdsChangeKeepsVerdict();
    void breakerOpensOnFailureRatio_data();
    void breakerOpensOnFailureRatio();
    void breakerForgetsOldFailures();
    void breakerHalfOpenTrials();
    void breakerHalfOpenFailureReopens();
    void breakerDisabledAlwaysAllows();
    void breakerFastSuccessPath();
};

void TestHealthState::riseFall_data()
{
    QTest::addColumn<int>("rise");
    QTest::addColumn<int>("fall");
    QTest::addColumn<bool>("startUp");
    QTest::addColumn<QString>("probes");   // p = passed, f = failed
    QTest::addColumn<QString>("verdicts"); // U / D after each probe

    QTest::newRow("up: fall failures in a row go down") << 2 << 3 << true << "fff" << "UUD";
    QTest::newRow("up: passes keep it up") << 2 << 3 << true << "pppp" << "UUUU";
    QTest::newRow("up: a blip is forgiven") << 2 << 3 << true << "fpffpff" << "UUUUUUU";
    QTest::newRow("up: two blips then the third goes down") << 2 << 3 << true << "ffpfff" << "UUUUUD";
    QTest::newRow("down: rise passes come up") << 2 << 3 << false << "pp" << "DU";
    QTest::newRow("down: a failure while rising starts over") << 2 << 3 << false << "pfpp" << "DDDU";
    QTest::newRow("flapping from down stays down") << 2 << 3 << false << "pfpfpfpf" << "DDDDDDDD";
    QTest::newRow("flapping from up stays up") << 2 << 3 << true << "fpfpfpfp" << "UUUUUUUU";
    QTest::newRow("down then up then down") << 2 << 3 << true << "fffppfff" << "UUDDUUUD";
    QTest::newRow("rise 1 fall 1 follows every probe") << 1 << 1 << true << "fpfp" << "DUDU";
    QTest::newRow("HAProxy-like rise 2 fall 3 from down, long run") << 2 << 3 << false << "ffffpp" << "DDDDDU";
    QTest::newRow("rise 5") << 5 << 1 << false << "ppppp" << "DDDDU";
    QTest::newRow("fall 5") << 1 << 5 << true << "ffff" << "UUUU";
}

void TestHealthState::riseFall()
{
    QFETCH(int, rise);
    QFETCH(int, fall);
    QFETCH(bool, startUp);
    QFETCH(QString, probes);
    QFETCH(QString, verdicts);
    HealthState h(rise, fall, startUp);
    QCOMPARE(h.isUp(), startUp);
    QString got;
    bool previous = h.isUp();
    for (QChar c : probes) {
        const bool flipped = h.record(c == QLatin1Char('p'));
        QCOMPARE(flipped, h.isUp() != previous); // only transitions are reported
        previous = h.isUp();
        got += h.isUp() ? QLatin1Char('U') : QLatin1Char('D');
        QVERIFY(h.counter() >= 0 && h.counter() <= rise + fall - 1);
    }
    QCOMPARE(got, verdicts);
}

void TestHealthState::countersForAPerson()
{
    HealthState h(2, 3, true);
    QCOMPARE(h.failuresInARow(), 0);
    h.record(false);
    h.record(false);
    QCOMPARE(h.failuresInARow(), 2);
    QCOMPARE(h.passesInARow(), 0);
    h.record(false);
    QVERIFY(!h.isUp());
    QCOMPARE(h.failuresInARow(), 0);
    h.record(true);
    QCOMPARE(h.passesInARow(), 1);
}

void TestHealthState::thresholdsChangeKeepsVerdict()
{
    HealthState h(2, 3, true);
    h.record(false);
    h.setThresholds(4, 4);
    QVERIFY(h.isUp());
    QCOMPARE(h.failuresInARow(), 0);
    for (int i = 0; i < 3; ++i)
        QVERIFY(!h.record(false));
    QVERIFY(h.record(false));
    h.setThresholds(1, 1);
    QVERIFY(!h.isUp());
    QVERIFY(h.record(true));
}

void TestHealthState::breakerOpensOnFailureRatio_data()
{
    QTest::addColumn<QString>("results"); // s / f, one per request, all within one second
    QTest::addColumn<bool>("open");
    QTest::newRow("19 failures: under minRequests") << QString(19, QLatin1Char('f')) << false;
    QTest::newRow("20 failures") << QString(20, QLatin1Char('f')) << true;
    QTest::newRow("10 of 20 failed: 50% opens") << (QString(10, QLatin1Char('s')) + QString(10, QLatin1Char('f'))) << true;
    QTest::newRow("9 of 20 failed stays closed") << (QString(11, QLatin1Char('s')) + QString(9, QLatin1Char('f'))) << false;
    QTest::newRow("all successes") << QString(100, QLatin1Char('s')) << false;
}

void TestHealthState::breakerOpensOnFailureRatio()
{
    QFETCH(QString, results);
    QFETCH(bool, open);
    CircuitBreaker b; // defaults: >= 50% of >= 20 in 10 s
    const qint64 t = 100'000;
    for (QChar c : results)
        b.record(c == QLatin1Char('s'), t);
    QCOMPARE(b.state(t) == CircuitBreaker::State::Open, open);
    QCOMPARE(b.allows(t), !open);
}

void TestHealthState::breakerForgetsOldFailures()
{
    CircuitBreaker b;
    for (int i = 0; i < 15; ++i)
        b.record(false, 100'000);
    // 11 s later the old failures are out of the 10 s window: 15 fresh successes and 5 failures stay closed.
    for (int i = 0; i < 15; ++i)
        b.record(true, 111'000);
    for (int i = 0; i < 5; ++i)
        b.record(false, 111'000);
    QCOMPARE(b.state(111'000), CircuitBreaker::State::Closed);
    QCOMPARE(b.windowRequests(111'000), 20);
    QCOMPARE(b.windowFailures(111'000), 5);
}

void TestHealthState::breakerHalfOpenTrials()
{
    BreakerConfig c;
    c.openMs = 1000;
    c.halfOpenRequests = 3;
    CircuitBreaker b(c);
    for (int i = 0; i < 20; ++i)
        b.record(false, 0);
    QCOMPARE(b.state(0), CircuitBreaker::State::Open);
    QVERIFY(!b.allows(999));
    bool changed = false;
    QCOMPARE(b.state(1000, &changed), CircuitBreaker::State::HalfOpen);
    QVERIFY(changed);
    for (int i = 0; i < 3; ++i) {
        QVERIFY(b.allows(1000));
        b.onPicked(1000);
    }
    QVERIFY(!b.allows(1000)); // only three trials at a time
    QVERIFY(!b.record(true, 1001));
    QVERIFY(!b.record(true, 1002));
    QVERIFY(b.record(true, 1003));
    QCOMPARE(b.state(1003), CircuitBreaker::State::Closed);
    QCOMPARE(b.windowRequests(1003), 0); // a fresh window after closing
}

void TestHealthState::breakerHalfOpenFailureReopens()
{
    BreakerConfig c;
    c.openMs = 1000;
    CircuitBreaker b(c);
    for (int i = 0; i < 20; ++i)
        b.record(false, 0);
    QCOMPARE(b.state(1500), CircuitBreaker::State::HalfOpen);
    b.onPicked(1500);
    QVERIFY(b.record(false, 1500));
    QCOMPARE(b.state(1500), CircuitBreaker::State::Open);
    QCOMPARE(b.openUntilMs(), 2500);
}

void TestHealthState::breakerDisabledAlwaysAllows()
{
    BreakerConfig c;
    c.enabled = false;
    CircuitBreaker b(c);
    for (int i = 0; i < 100; ++i)
        QVERIFY(!b.record(false, 0));
    QVERIFY(b.allows(0));
}

void TestHealthState::breakerFastSuccessPath()
{
    CircuitBreaker b;
    QVERIFY(!b.recordSuccessFast(5'000)); // this second's bucket is not in use yet: take the slow path
    b.record(true, 5'000);
    for (int i = 0; i < 9; ++i)
        QVERIFY(b.recordSuccessFast(5'100));
    QCOMPARE(b.windowRequests(5'100), 10);
    QVERIFY(!b.recordSuccessFast(6'000)); // a new second
    // Failures still go through record() and see the fast path's successes in the ratio.
    for (int i = 0; i < 9; ++i)
        b.record(false, 5'200);
    QCOMPARE(b.state(5'200), CircuitBreaker::State::Closed); // 9 of 19: under minRequests
    b.record(false, 5'300);
    QCOMPARE(b.state(5'300), CircuitBreaker::State::Open); // 10 of 20 failed
}

QTEST_GUILESS_MAIN(TestHealthState)
#include "tst_healthstate.moc"
