// ConnectionDeadlines, the one timer behind every client connection's timeouts on a worker: deadlines
// of mixed durations fire in deadline order, a disarmed or re-armed one does not fire at its old time,
// a handler may re-arm itself, and re-arming thousands of entries does not restart the worker's timer
// (the cost that grew with idle connections when each had its own QTimer).
#include "proxy/ConnectionDeadlines.h"

#include <QElapsedTimer>
#include <QtTest>
#include <functional>
#include <memory>
#include <vector>

using namespace lab;

namespace {

// A connection stand-in: records when its deadline fired, and may act from its handler.
struct Probe final : ConnectionDeadlines::Handler {
    explicit Probe(QString n, std::vector<QString>* log)
        : name(std::move(n))
        , fired(log)
    {
    }
    void onDeadline() override
    {
        fired->push_back(name);
        ++count;
        if (then)
            then();
    }
    QString name;
    std::vector<QString>* fired;
    std::function<void()> then;
    int count = 0;
    ConnectionDeadlines::Entry entry{this};
};

} // namespace

class TestConnectionDeadlines final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void firesInDeadlineOrder_data();
    void firesInDeadlineOrder();
    void rearmMovesTheDeadline();
    void handlerRearmsItself();
    void rearmingManyDoesNotRestartTheTimer();
};

void TestConnectionDeadlines::firesInDeadlineOrder_data()
{
    QTest::addColumn<QList<int>>("durationsMs"); // entry i ("i") armed with durationsMs[i], in this order
    QTest::addColumn<QList<int>>("disarmed"); // disarmed right after arming
    QTest::addColumn<QString>("order"); // the names in firing order
    QTest::newRow("one lane, FIFO") << QList<int>{60, 60, 60} << QList<int>{} << "012";
    QTest::newRow("mixed lanes") << QList<int>{400, 40, 200, 40} << QList<int>{} << "1320";
    QTest::newRow("head disarmed") << QList<int>{40, 120, 80} << QList<int>{0} << "21";
    QTest::newRow("all disarmed") << QList<int>{40, 80} << QList<int>{0, 1} << "";
}

void TestConnectionDeadlines::firesInDeadlineOrder()
{
    QFETCH(QList<int>, durationsMs);
    QFETCH(QList<int>, disarmed);
    QFETCH(QString, order);
    ConnectionDeadlines deadlines;
    std::vector<QString> fired;
    std::vector<std::unique_ptr<Probe>> probes;
    for (int i = 0; i < durationsMs.size(); ++i) {
        probes.push_back(std::make_unique<Probe>(QString::number(i), &fired));
        deadlines.arm(probes.back()->entry, durationsMs[i]);
    }
    for (int i : disarmed)
        deadlines.disarm(probes[size_t(i)]->entry);
    QCOMPARE(deadlines.armedCount(), int(durationsMs.size() - disarmed.size()));
    QTRY_COMPARE_WITH_TIMEOUT(deadlines.armedCount(), 0, 10000);
    QTest::qWait(150); // nothing disarmed fires late
    QString got;
    for (const QString& n : fired)
        got += n;
    QCOMPARE(got, order);
    for (const auto& p : probes)
        QVERIFY(!p->entry.armed());
}

void TestConnectionDeadlines::rearmMovesTheDeadline()
{
    ConnectionDeadlines deadlines;
    std::vector<QString> fired;
    Probe a(QStringLiteral("a"), &fired);
    Probe b(QStringLiteral("b"), &fired);
    QElapsedTimer clock;
    clock.start();
    deadlines.arm(a.entry, 50);
    deadlines.arm(b.entry, 300);
    deadlines.arm(a.entry, 300); // a keep-alive connection that answered a request: its idle time restarts
    QTRY_COMPARE_WITH_TIMEOUT(int(fired.size()), 2, 10000);
    QCOMPARE(fired, (std::vector<QString>{QStringLiteral("b"), QStringLiteral("a")}));
    QVERIFY2(clock.elapsed() >= 299, qPrintable(QString::number(clock.elapsed())));
    QCOMPARE(deadlines.laneCount(), 2); // 50 ms and 300 ms
}

void TestConnectionDeadlines::handlerRearmsItself()
{
    ConnectionDeadlines deadlines;
    std::vector<QString> fired;
    Probe p(QStringLiteral("p"), &fired);
    p.then = [&] {
        if (p.count < 3)
            deadlines.arm(p.entry, 0); // fires again in the next pass, not in this one forever
    };
    deadlines.arm(p.entry, 0);
    QTRY_COMPARE(p.count, 3);
    QTest::qWait(50);
    QCOMPARE(p.count, 3);
    QVERIFY(!p.entry.armed());
}

void TestConnectionDeadlines::rearmingManyDoesNotRestartTheTimer()
{
    ConnectionDeadlines deadlines;
    std::vector<QString> fired;
    constexpr int kEntries = 5000;
    std::vector<std::unique_ptr<Probe>> probes;
    for (int i = 0; i < kEntries; ++i) {
        probes.push_back(std::make_unique<Probe>(QString(), &fired));
        deadlines.arm(probes.back()->entry, 60000);
    }
    QCOMPARE(deadlines.timerStarts(), quint64(1)); // the first arm; the rest come later
    for (int round = 0; round < 10; ++round) {
        for (auto& p : probes)
            deadlines.arm(p->entry, 60000); // requests on keep-alive connections
    }
    QCOMPARE(deadlines.timerStarts(), quint64(1));
    QCOMPARE(deadlines.armedCount(), kEntries);
    // A shorter deadline than the one the timer waits for restarts it once, and fires on time.
    Probe quick(QStringLiteral("quick"), &fired);
    deadlines.arm(quick.entry, 20);
    QCOMPARE(deadlines.timerStarts(), quint64(2));
    QTRY_COMPARE_WITH_TIMEOUT(quick.count, 1, 10000);
    QCOMPARE(int(fired.size()), 1);
    for (auto& p : probes)
        deadlines.disarm(p->entry);
    QCOMPARE(deadlines.armedCount(), 0);
}

QTEST_GUILESS_MAIN(TestConnectionDeadlines)
#include "tst_connectiondeadlines.moc"
