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
    void breakerStateIsARead();
    void breakerAbandonedTrialFreesItsSlot();
    void breakerHalfOpenEndsByTime();
    void breakerIgnoresOutcomesThatWereNoTrials();
    void breakerSwitchedOffSaysSo();
};

using Change = CircuitBreaker::Change;
using State = CircuitBreaker::State;

void TestHealthState::riseFall_data()
{
    QTest::addColumn<int>("rise");
    QTest::addColumn<int>("fall");
    QTest::addColumn<bool>("startUp");
    QTest::addColumn<QString>("probes"); // p = passed, f = failed
    QTest::addColumn<QString>("verdicts"); // U / D after each probe

    QTest::newRow("up: fall failures in a row go down") << 2 << 3 << true << "fff"
                                                        << "UUD";
    QTest::newRow("up: passes keep it up") << 2 << 3 << true << "pppp"
                                           << "UUUU";
    QTest::newRow("up: a blip is forgiven") << 2 << 3 << true << "fpffpff"
                                            << "UUUUUUU";
    QTest::newRow("up: two blips then the third goes down") << 2 << 3 << true << "ffpfff"
                                                            << "UUUUUD";
    QTest::newRow("down: rise passes come up") << 2 << 3 << false << "pp"
                                               << "DU";
    QTest::newRow("down: a failure while rising starts over") << 2 << 3 << false << "pfpp"
                                                              << "DDDU";
    QTest::newRow("flapping from down stays down") << 2 << 3 << false << "pfpfpfpf"
                                                   << "DDDDDDDD";
    QTest::newRow("flapping from up stays up") << 2 << 3 << true << "fpfpfpfp"
                                               << "UUUUUUUU";
    QTest::newRow("down then up then down") << 2 << 3 << true << "fffppfff"
                                            << "UUDDUUUD";
    QTest::newRow("rise 1 fall 1 follows every probe") << 1 << 1 << true << "fpfp"
                                                       << "DUDU";
    QTest::newRow("HAProxy-like rise 2 fall 3 from down, long run") << 2 << 3 << false << "ffffpp"
                                                                    << "DDDDDU";
    QTest::newRow("rise 5") << 5 << 1 << false << "ppppp"
                            << "DDDDU";
    QTest::newRow("fall 5") << 1 << 5 << true << "ffff"
                            << "UUUU";
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
    QTest::newRow("10 of 20 failed: 50% opens")
        << (QString(10, QLatin1Char('s')) + QString(10, QLatin1Char('f'))) << true;
    QTest::newRow("9 of 20 failed stays closed")
        << (QString(11, QLatin1Char('s')) + QString(9, QLatin1Char('f'))) << false;
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
    QCOMPARE(b.state() == CircuitBreaker::State::Open, open);
    QCOMPARE(b.allows(), !open);
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
    QCOMPARE(b.state(), CircuitBreaker::State::Closed);
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
    QCOMPARE(b.state(), CircuitBreaker::State::Open);
    QCOMPARE(b.advance(999), Change::None);
    QVERIFY(!b.allows());
    QCOMPARE(b.advance(1000), Change::HalfOpened);
    QCOMPARE(b.state(), CircuitBreaker::State::HalfOpen);
    CircuitBreaker::Trial trials[3];
    for (auto& trial : trials) {
        QVERIFY(b.allows());
        trial = b.onPicked(1000);
        QVERIFY(trial.isTrial());
    }
    QVERIFY(!b.allows()); // only three trials at a time
    QCOMPARE(b.record(true, 1001, trials[0]), Change::None);
    QCOMPARE(b.record(true, 1002, trials[1]), Change::None);
    QCOMPARE(b.record(true, 1003, trials[2]), Change::Closed);
    QCOMPARE(b.state(), CircuitBreaker::State::Closed);
    QCOMPARE(b.windowRequests(1003), 0); // a fresh window after closing
}

void TestHealthState::breakerHalfOpenFailureReopens()
{
    BreakerConfig c;
    c.openMs = 1000;
    CircuitBreaker b(c);
    for (int i = 0; i < 20; ++i)
        b.record(false, 0);
    QCOMPARE(b.advance(1500), Change::HalfOpened);
    const CircuitBreaker::Trial trial = b.onPicked(1500);
    QCOMPARE(b.record(false, 1500, trial), Change::Reopened);
    QCOMPARE(b.state(), CircuitBreaker::State::Open);
    QCOMPARE(b.openUntilMs(), 2500);
}

void TestHealthState::breakerDisabledAlwaysAllows()
{
    BreakerConfig c;
    c.enabled = false;
    CircuitBreaker b(c);
    for (int i = 0; i < 100; ++i)
        QCOMPARE(b.record(false, 0), Change::None);
    QVERIFY(b.allows());
    QVERIFY(!b.onPicked(0).isTrial());
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
    QCOMPARE(b.state(), CircuitBreaker::State::Closed); // 9 of 19: under minRequests
    QCOMPARE(b.record(false, 5'300), Change::Opened);
    QCOMPARE(b.state(), CircuitBreaker::State::Open); // 10 of 20 failed
}

namespace {
BreakerConfig breakerConfig(int openMs, int halfOpenRequests)
{
    BreakerConfig c;
    c.openMs = openMs;
    c.halfOpenRequests = halfOpenRequests;
    return c;
}

// Opens a breaker with default thresholds at t = 0 (20 failures).
void openAtZero(CircuitBreaker& b)
{
    for (int i = 0; i < 20; ++i)
        b.record(false, 0);
    QCOMPARE(b.state(), CircuitBreaker::State::Open);
}
} // namespace

void TestHealthState::breakerStateIsARead()
{
    // Reading never changes the state, however late it is: only advance() does, and says so once.
    CircuitBreaker b(breakerConfig(1000, 1));
    openAtZero(b);
    const CircuitBreaker& view = b;
    QCOMPARE(view.state(), State::Open);
    QVERIFY(!view.allows());
    // A request sent before it opened answers late: counted nowhere, and no silent turn to half-open.
    QCOMPARE(b.record(true, 5000), Change::None);
    QCOMPARE(b.record(false, 5000), Change::None);
    QCOMPARE(view.state(), State::Open);
    QCOMPARE(b.advance(5000), Change::HalfOpened);
    QCOMPARE(b.advance(5000), Change::None);
    QCOMPARE(view.state(), State::HalfOpen);
}

void TestHealthState::breakerAbandonedTrialFreesItsSlot()
{
    // Two trial slots; a trial whose outcome never comes (client gone) gives its slot back and counts
    // neither way: still two successes needed, and no reopening.
    CircuitBreaker b(breakerConfig(1000, 2));
    openAtZero(b);
    QCOMPARE(b.advance(1000), Change::HalfOpened);
    const CircuitBreaker::Trial first = b.onPicked(1000);
    const CircuitBreaker::Trial second = b.onPicked(1000);
    QVERIFY(!b.allows());
    QCOMPARE(b.trialsInFlight(), 2);
    b.abandon(first);
    QCOMPARE(b.trialsInFlight(), 1);
    QVERIFY(b.allows());
    QCOMPARE(b.state(), State::HalfOpen);
    const CircuitBreaker::Trial third = b.onPicked(1001);
    QVERIFY(!b.allows());
    QCOMPARE(b.record(true, 1002, second), Change::None); // one success of two
    QVERIFY(!b.allows()); // one out, one success: both slots used
    b.abandon(third);
    QVERIFY(b.allows());
    const CircuitBreaker::Trial fourth = b.onPicked(1003);
    QCOMPARE(b.record(true, 1004, fourth), Change::Closed);
}

void TestHealthState::breakerHalfOpenEndsByTime()
{
    // One slot; its trial never reports. openMs after it went out the trial is forgotten and a new one
    // may go; the forgotten one's late verdict still counts, but its late abandon frees nothing.
    CircuitBreaker b(breakerConfig(1000, 1));
    openAtZero(b);
    QCOMPARE(b.advance(1000), Change::HalfOpened);
    QCOMPARE(b.advance(50'000), Change::None); // no trial out: nothing to forget, it just waits for traffic
    const CircuitBreaker::Trial lost = b.onPicked(50'000);
    QVERIFY(!b.allows());
    QCOMPARE(b.advance(50'999), Change::None);
    QVERIFY(!b.allows());
    QCOMPARE(b.advance(51'000), Change::TrialsRenewed);
    QCOMPARE(b.state(), State::HalfOpen);
    QVERIFY(b.allows());
    const CircuitBreaker::Trial fresh = b.onPicked(51'000);
    QVERIFY(fresh.round != lost.round);
    b.abandon(lost); // late and forgotten: the fresh trial keeps the slot
    QVERIFY(!b.allows());
    QCOMPARE(b.record(false, 51'500, lost), Change::Reopened); // but a late failure is still a failure
    QCOMPARE(b.state(), State::Open);
    QCOMPARE(b.openUntilMs(), 52'500);
    // The next half-open period: a trial from the previous one no longer counts at all.
    QCOMPARE(b.advance(52'500), Change::HalfOpened);
    QCOMPARE(b.record(false, 52'600, fresh), Change::None);
    QCOMPARE(b.state(), State::HalfOpen);
}

void TestHealthState::breakerIgnoresOutcomesThatWereNoTrials()
{
    // While half-open only trials speak: a request sent while it was still closed proves nothing now.
    CircuitBreaker b(breakerConfig(1000, 1));
    openAtZero(b);
    QCOMPARE(b.advance(1000), Change::HalfOpened);
    QCOMPARE(b.record(false, 1100), Change::None);
    QCOMPARE(b.record(true, 1100), Change::None);
    QCOMPARE(b.state(), State::HalfOpen);
    const CircuitBreaker::Trial trial = b.onPicked(1200);
    QCOMPARE(b.record(true, 1300, trial), Change::Closed);
    b.abandon(trial); // after closing: nothing to free, nothing changes
    QCOMPARE(b.state(), State::Closed);
}

void TestHealthState::breakerSwitchedOffSaysSo()
{
    CircuitBreaker b(breakerConfig(1000, 1));
    openAtZero(b);
    BreakerConfig off = b.config();
    off.enabled = false;
    QCOMPARE(b.setConfig(off), Change::SwitchedOff);
    QCOMPARE(b.state(), State::Closed);
    QCOMPARE(b.setConfig(off), Change::None);
    QVERIFY(b.allows());
}

QTEST_GUILESS_MAIN(TestHealthState)
#include "tst_healthstate.moc"
