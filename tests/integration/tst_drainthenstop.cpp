// DrainThenStop on a real embedded server, with the in-flight count set by hand: when it stops, what it
// says, and what it leaves behind.
#include "backend/Backend.h"
#include "fakebackend/FakeBackend.h"
#include "lab/DrainThenStop.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

using namespace lab;

class TestDrainThenStop : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void stopsWhenDrainedOrAtTheDeadline_data();
    void stopsWhenDrainedOrAtTheDeadline();
    void cancelLeavesTheServerRunning();
    void aSecondBeginKeepsTheFirstDeadline();
};

void TestDrainThenStop::stopsWhenDrainedOrAtTheDeadline_data()
{
    QTest::addColumn<int>("inFlight");
    QTest::addColumn<int>("drainMs");
    QTest::addColumn<bool>("finishRequests"); // the requests in flight end while it waits
    QTest::addColumn<bool>("atOnce");
    QTest::addColumn<DrainThenStop::Outcome>("outcome");
    QTest::addColumn<int>("cutOff");
    QTest::newRow("nothing in flight") << 0 << 5000 << false << true << DrainThenStop::Outcome::AtOnce << 0;
    QTest::newRow("no drain time") << 3 << 0 << false << true << DrainThenStop::Outcome::AtOnce << 0;
    QTest::newRow("drained") << 2 << 5000 << true << false << DrainThenStop::Outcome::Drained << 0;
    QTest::newRow("deadline") << 1 << 150 << false << false << DrainThenStop::Outcome::CutOff << 1;
}

void TestDrainThenStop::stopsWhenDrainedOrAtTheDeadline()
{
    QFETCH(int, inFlight);
    QFETCH(int, drainMs);
    QFETCH(bool, finishRequests);
    QFETCH(bool, atOnce);
    QFETCH(DrainThenStop::Outcome, outcome);
    QFETCH(int, cutOff);
    auto backend = std::make_shared<Backend>();
    backend->activeRequests = inFlight;
    FakeBackend server(QStringLiteral("backend-x"), QHostAddress::LocalHost, 0);
    QVERIFY(server.start());
    DrainThenStop drain;
    QSignalSpy stopped(&drain, &DrainThenStop::stopped);
    const BackendId id{7};

    QElapsedTimer t;
    t.start();
    QCOMPARE(drain.begin(id, backend, &server, drainMs), atOnce);
    if (!atOnce) {
        QVERIFY(drain.isStopping(id));
        QVERIFY(!backend->enabled.load()); // out of rotation while it drains
        QVERIFY(server.isListening());
        QCOMPARE(stopped.size(), 0);
        if (finishRequests)
            backend->activeRequests = 0;
    }
    QTRY_COMPARE(stopped.size(), 1);
    if (outcome == DrainThenStop::Outcome::CutOff)
        QVERIFY(t.elapsed() >= drainMs);
    QCOMPARE(stopped[0][0].value<BackendId>(), id);
    QCOMPARE(stopped[0][1].value<DrainThenStop::Outcome>(), outcome);
    QCOMPARE(stopped[0][2].toInt(), cutOff);
    QVERIFY(!server.isStarted());
    QVERIFY(!drain.isStopping(id));
    QVERIFY(backend->enabled.load()); // Start brings it straight back into rotation
}

void TestDrainThenStop::cancelLeavesTheServerRunning()
{
    auto backend = std::make_shared<Backend>();
    backend->activeRequests = 1;
    FakeBackend server(QStringLiteral("backend-x"), QHostAddress::LocalHost, 0);
    QVERIFY(server.start());
    DrainThenStop drain;
    QSignalSpy stopped(&drain, &DrainThenStop::stopped);
    QVERIFY(!drain.begin(BackendId{1}, backend, &server, 100));
    QVERIFY(!backend->enabled.load());
    drain.cancel(BackendId{1});
    QVERIFY(!drain.isStopping(BackendId{1}));
    QVERIFY(backend->enabled.load()); // not left drained
    QTest::qWait(3 * DrainThenStop::kPollMs + 100); // past the deadline: nothing may stop it now
    QCOMPARE(stopped.size(), 0);
    QVERIFY(server.isStarted());
}

void TestDrainThenStop::aSecondBeginKeepsTheFirstDeadline()
{
    auto backend = std::make_shared<Backend>();
    backend->activeRequests = 1;
    FakeBackend server(QStringLiteral("backend-x"), QHostAddress::LocalHost, 0);
    QVERIFY(server.start());
    DrainThenStop drain;
    QSignalSpy stopped(&drain, &DrainThenStop::stopped);
    QElapsedTimer t;
    t.start();
    QVERIFY(!drain.begin(BackendId{1}, backend, &server, 150));
    QVERIFY(!drain.begin(BackendId{1}, backend, &server, 60'000));
    QTRY_COMPARE_WITH_TIMEOUT(stopped.size(), 1, 2000);
    QCOMPARE(stopped[0][1].value<DrainThenStop::Outcome>(), DrainThenStop::Outcome::CutOff);
    QVERIFY(t.elapsed() < 2000);
}

QTEST_GUILESS_MAIN(TestDrainThenStop)
#include "tst_drainthenstop.moc"
