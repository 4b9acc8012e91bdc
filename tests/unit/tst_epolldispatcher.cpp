// The epoll event dispatcher of the proxy's workers, as the main thread's dispatcher of this test (so
// QTRY_COMPARE and QSignalSpy::wait run on it too) and on a QThread: socket notifiers on socketpairs and
// eventfds, enable/disable, a notifier deleted inside its own activation, QTimer single-shot, repeating
// and zero, posted events and deleteLater, QThread::quit, and 5 000 idle notifiers beside one busy pair.
#include "net/DirectSocketNotifier.h"
#include "net/EpollEventDispatcher.h"
#include "util/Clock.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QSocketNotifier>
#include <QThread>
#include <QTimer>
#include <QtTest>
#include <memory>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using namespace lab;

namespace {

// A connected pair of non-blocking stream sockets, closed on destruction.
struct SocketPair {
    int fd[2] = {-1, -1};
    SocketPair() { ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd); }
    ~SocketPair()
    {
        ::close(fd[0]);
        ::close(fd[1]);
    }
    Q_DISABLE_COPY_MOVE(SocketPair)
    bool ok() const { return fd[0] >= 0 && fd[1] >= 0; }
};

bool writeByte(int fd)
{
    const char c = 'x';
    return ::write(fd, &c, 1) == 1;
}

int drain(int fd)
{
    char buf[256];
    int total = 0;
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
        total += int(n);
    return total;
}

EpollEventDispatcher* mainDispatcher()
{
    return qobject_cast<EpollEventDispatcher*>(QAbstractEventDispatcher::instance());
}

// Counts timer events of one timer id it started itself, with the time of each.
class TimerCounter : public QObject {
public:
    QElapsedTimer clock;
    std::vector<qint64> firesMs;
    int id = 0;
    int killAfter = 0; // 0 = never
    void timerEvent(QTimerEvent* e) override
    {
        if (e->timerId() != id)
            return;
        firesMs.push_back(clock.elapsed());
        if (killAfter > 0 && int(firesMs.size()) == killAfter)
            killTimer(id);
    }
};

// Counts its direct calls, and what the loop time was in each.
class CountingNotifier final : public DirectSocketNotifier {
public:
    using DirectSocketNotifier::DirectSocketNotifier;
    int calls = 0;
    qint64 loopNsInCall = 0;
    qint64 loopNsAfterSpin = 0;
    void onReady() override
    {
        ++calls;
        loopNsInCall = loopNowNs();
        const qint64 until = readSteadyNs() + 5'000'000; // 5 ms of work inside the handler
        while (readSteadyNs() < until) { }
        loopNsAfterSpin = loopNowNs();
        setEnabled(false);
    }
};

// Counts the socket-activation events that reach an object.
class SockActFilter final : public QObject {
public:
    int seen = 0;
    bool eventFilter(QObject*, QEvent* e) override
    {
        if (e->type() == QEvent::SockAct)
            ++seen;
        return false;
    }
};

} // namespace

class TestEpollDispatcher : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void isTheMainThreadsDispatcher() { QVERIFY(mainDispatcher()); }

    void readAndWriteNotifiersFire()
    {
        SocketPair p;
        QVERIFY(p.ok());
        const int watchedBefore = mainDispatcher()->watchedDescriptors();
        QSocketNotifier readable(p.fd[0], QSocketNotifier::Read);
        QSocketNotifier writable(p.fd[0], QSocketNotifier::Write);
        QSignalSpy readSpy(&readable, &QSocketNotifier::activated);
        QSignalSpy writeSpy(&writable, &QSocketNotifier::activated);
        // Both notifiers share one epoll entry.
        QCOMPARE(mainDispatcher()->watchedDescriptors(), watchedBefore + 1);
        QVERIFY(writeSpy.wait(2000)); // an empty socket buffer is writable at once
        writable.setEnabled(false);
        QCOMPARE(readSpy.count(), 0);
        QVERIFY(writeByte(p.fd[1]));
        QVERIFY(readSpy.wait(2000));
        QCOMPARE(drain(p.fd[0]), 1);
        const int writesBefore = int(writeSpy.count());
        QTest::qWait(50);
        QCOMPARE(writeSpy.count(), writesBefore); // disabled: never again
    }

    // The data path's notifiers are called straight from the pass, with no QEvent through sendEvent;
    // a SockAct sent by hand (as another dispatcher would) reaches the same handler.
    void directNotifierIsCalledWithoutAnEvent()
    {
        SocketPair p;
        QVERIFY(p.ok());
        CountingNotifier n(p.fd[0], QSocketNotifier::Read);
        SockActFilter filter;
        n.installEventFilter(&filter);
        QVERIFY(writeByte(p.fd[1]));
        QTRY_COMPARE(n.calls, 1);
        QCOMPARE(filter.seen, 0); // no event went out
        QCOMPARE(drain(p.fd[0]), 1);
        QEvent act(QEvent::SockAct);
        QCoreApplication::sendEvent(&n, &act);
        QCOMPARE(n.calls, 2);
        QCOMPARE(filter.seen, 1);
    }

    // The loop time (util/Clock.h) is the pass's reading of the clock: set after each wake-up, not moved
    // by work inside a handler, and what SteadyClock and steadyNowMs() return on this thread.
    void loopTimeIsReadOncePerWakeUp()
    {
        SocketPair p;
        QVERIFY(p.ok());
        CountingNotifier n(p.fd[0], QSocketNotifier::Read);
        QTest::qWait(30); // an idle stretch: the wake-up below must not report a time from before it
        const qint64 before = readSteadyNs();
        QVERIFY(writeByte(p.fd[1]));
        QTRY_COMPARE(n.calls, 1);
        QVERIFY2(n.loopNsInCall >= before && n.loopNsInCall <= before + 1'000'000'000,
                 qPrintable(QString::number(n.loopNsInCall - before)));
        QCOMPARE(n.loopNsAfterSpin, n.loopNsInCall); // 5 ms of work did not read the clock
        QCOMPARE(SteadyClock().nowMs(), loopNowNs() / 1'000'000);
        QCOMPARE(steadyNowMs(), loopNowNs() / 1'000'000);
        drain(p.fd[0]);
    }

    void disableAndEnable_data()
    {
        QTest::addColumn<bool>("withWriteNotifier");
        QTest::newRow("read notifier alone (entry removed, then added)") << false;
        QTest::newRow("read beside a disabled write notifier") << true;
    }
    void disableAndEnable()
    {
        QFETCH(bool, withWriteNotifier);
        SocketPair p;
        QVERIFY(p.ok());
        const int watchedBefore = mainDispatcher()->watchedDescriptors();
        QSocketNotifier readable(p.fd[0], QSocketNotifier::Read);
        std::unique_ptr<QSocketNotifier> writable;
        if (withWriteNotifier) {
            writable = std::make_unique<QSocketNotifier>(p.fd[0], QSocketNotifier::Write);
            writable->setEnabled(false);
        }
        QSignalSpy spy(&readable, &QSocketNotifier::activated);
        readable.setEnabled(false);
        QCOMPARE(mainDispatcher()->watchedDescriptors(), watchedBefore);
        QVERIFY(writeByte(p.fd[1]));
        QTest::qWait(100);
        QCOMPARE(spy.count(), 0);
        readable.setEnabled(true);
        QCOMPARE(mainDispatcher()->watchedDescriptors(), watchedBefore + 1);
        QVERIFY(spy.wait(2000)); // the byte that arrived while disabled is reported now
        QCOMPARE(drain(p.fd[0]), 1);
    }

    // A session that ends in its read handler deletes its notifiers at once; the write notifier on the
    // same descriptor, ready in the same pass, must not be called afterwards (ASan would catch the call).
    void notifierDeletedInsideItsOwnActivation()
    {
        SocketPair p;
        QVERIFY(p.ok());
        QVERIFY(writeByte(p.fd[1]));
        const int watchedBefore = mainDispatcher()->watchedDescriptors();
        auto* readable = new QSocketNotifier(p.fd[0], QSocketNotifier::Read);
        QPointer<QSocketNotifier> writable = new QSocketNotifier(p.fd[0], QSocketNotifier::Write);
        int reads = 0;
        int writes = 0;
        connect(writable, &QSocketNotifier::activated, this, [&] { ++writes; });
        connect(readable, &QSocketNotifier::activated, this, [&] {
            ++reads;
            delete writable.data();
            delete readable;
        });
        QTRY_COMPARE(reads, 1);
        QVERIFY(!writable);
        QCOMPARE(writes, 0);
        QCOMPARE(mainDispatcher()->watchedDescriptors(), watchedBefore);
        // The dispatcher goes on working for a new notifier on the same descriptor.
        QSocketNotifier again(p.fd[0], QSocketNotifier::Read);
        QSignalSpy spy(&again, &QSocketNotifier::activated);
        QVERIFY(spy.wait(2000));
    }

    void singleShotTimer_data()
    {
        QTest::addColumn<int>("intervalMs");
        QTest::addColumn<Qt::TimerType>("type");
        QTest::newRow("0 ms") << 0 << Qt::PreciseTimer;
        QTest::newRow("5 ms precise") << 5 << Qt::PreciseTimer;
        QTest::newRow("50 ms precise") << 50 << Qt::PreciseTimer;
        QTest::newRow("50 ms coarse") << 50 << Qt::CoarseTimer;
        QTest::newRow("300 ms coarse") << 300 << Qt::CoarseTimer;
        QTest::newRow("1000 ms very coarse") << 1000 << Qt::VeryCoarseTimer;
    }
    void singleShotTimer()
    {
        QFETCH(int, intervalMs);
        QFETCH(Qt::TimerType, type);
        QTimer timer;
        timer.setSingleShot(true);
        timer.setTimerType(type);
        timer.setInterval(intervalMs);
        QSignalSpy spy(&timer, &QTimer::timeout);
        QElapsedTimer clock;
        clock.start();
        timer.start();
        QVERIFY(spy.wait(intervalMs + 5000));
        const qint64 elapsed = clock.elapsed();
        // Never early (coarse may be 5 % early in Qt's own dispatchers; this one is not early at all).
        QVERIFY2(elapsed >= intervalMs, qPrintable(QString::number(elapsed)));
        QVERIFY2(elapsed < intervalMs + 2000, qPrintable(QString::number(elapsed))); // loaded CI machine
        QTest::qWait(2 * intervalMs + 20);
        QCOMPARE(spy.count(), 1);
        QVERIFY(!timer.isActive());
    }

    void repeatingTimerKeepsItsInterval_data()
    {
        QTest::addColumn<int>("intervalMs");
        QTest::addColumn<int>("fires");
        QTest::newRow("10 ms x 20") << 10 << 20;
        QTest::newRow("40 ms x 8") << 40 << 8;
    }
    void repeatingTimerKeepsItsInterval()
    {
        QFETCH(int, intervalMs);
        QFETCH(int, fires);
        TimerCounter counter;
        counter.killAfter = fires; // killed from its own handler
        counter.clock.start();
        counter.id = counter.startTimer(intervalMs, Qt::PreciseTimer);
        QVERIFY(counter.id > 0);
        QTRY_COMPARE_WITH_TIMEOUT(int(counter.firesMs.size()), fires, fires * intervalMs + 10000);
        // On schedule: the n-th expiry is not before n intervals (a late one is not followed by a burst).
        for (int i = 0; i < fires; ++i)
            QVERIFY2(counter.firesMs[size_t(i)] >= qint64(i + 1) * intervalMs - 1,
                     qPrintable(QStringLiteral("fire %1 at %2 ms").arg(i).arg(counter.firesMs[size_t(i)])));
        QTest::qWait(3 * intervalMs);
        QCOMPARE(int(counter.firesMs.size()), fires);
    }

    // A zero timer runs once per pass and starves neither socket notifiers nor posted events.
    void zeroTimerDoesNotStarveTheRest()
    {
        SocketPair p;
        QVERIFY(p.ok());
        QTimer zero;
        zero.setInterval(0);
        int ticks = 0;
        connect(&zero, &QTimer::timeout, this, [&] { ++ticks; });
        zero.start();
        QSocketNotifier readable(p.fd[0], QSocketNotifier::Read);
        QSignalSpy readSpy(&readable, &QSocketNotifier::activated);
        QVERIFY(writeByte(p.fd[1]));
        bool posted = false;
        QMetaObject::invokeMethod(
            this, [&] { posted = true; }, Qt::QueuedConnection);
        QVERIFY(readSpy.wait(2000));
        QTRY_VERIFY(posted);
        QTRY_VERIFY(ticks >= 100);
        zero.stop();
        const int stoppedAt = ticks;
        QTest::qWait(20);
        QCOMPARE(ticks, stoppedAt);
    }

    void registeredTimersAndRemainingTime()
    {
        QObject owner;
        const int id = owner.startTimer(1000, Qt::CoarseTimer);
        const auto timers = mainDispatcher()->registeredTimers(&owner);
        QCOMPARE(timers.size(), 1);
        QCOMPARE(timers.first().timerId, id);
        QCOMPARE(timers.first().interval, 1000);
        QCOMPARE(timers.first().timerType, Qt::CoarseTimer);
        const int left = mainDispatcher()->remainingTime(id);
        QVERIFY2(left > 0 && left <= 1000, qPrintable(QString::number(left)));
        owner.killTimer(id);
        QCOMPARE(mainDispatcher()->registeredTimers(&owner).size(), 0);
        QCOMPARE(mainDispatcher()->remainingTime(id), -1);
        // An object destroyed with timers running takes them along (unregisterTimers).
        auto* doomed = new QObject;
        doomed->startTimer(10);
        doomed->startTimer(20);
        QCOMPARE(mainDispatcher()->registeredTimers(doomed).size(), 2);
        QObject* gone = doomed;
        delete doomed;
        QCOMPARE(mainDispatcher()->registeredTimers(gone).size(), 0);
    }

    void postedEventsAndDeleteLater()
    {
        QPointer<QObject> doomed = new QObject;
        doomed->deleteLater();
        QVERIFY(doomed);
        QTRY_VERIFY(!doomed);
        // Posted from another thread while this one sleeps in epoll_wait: the eventfd wakes it.
        int calls = 0;
        std::unique_ptr<QThread> poster(QThread::create([this, &calls] {
            QThread::msleep(50);
            for (int i = 0; i < 10; ++i)
                QMetaObject::invokeMethod(
                    this, [&calls] { ++calls; }, Qt::QueuedConnection);
        }));
        poster->start();
        QTRY_COMPARE_WITH_TIMEOUT(calls, 10, 5000);
        QVERIFY(poster->wait(5000));
    }

    // On a worker-like QThread: the thread's dispatcher, its timers and posted calls, then quit and wait.
    void workerThreadQuitAndWait()
    {
        QThread thread;
        auto* dispatcher = new EpollEventDispatcher;
        thread.setEventDispatcher(dispatcher);
        QObject worker;
        worker.moveToThread(&thread);
        thread.start();
        QCOMPARE(QAbstractEventDispatcher::instance(&thread), dispatcher);
        std::atomic<int> ticks{0};
        std::atomic<bool> onItsThread{false};
        QMetaObject::invokeMethod(
            &worker,
            [&] {
                onItsThread = QThread::currentThread() == &thread &&
                    qobject_cast<EpollEventDispatcher*>(QAbstractEventDispatcher::instance());
                auto* t = new QTimer(&worker);
                connect(t, &QTimer::timeout, t, [&ticks] { ++ticks; });
                t->start(5);
            },
            Qt::QueuedConnection);
        QTRY_VERIFY(ticks.load() >= 5);
        QVERIFY(onItsThread.load());
        // The timers belong to `worker`, which must leave with them before the thread goes.
        QMetaObject::invokeMethod(
            &worker,
            [&] {
                qDeleteAll(worker.children());
                worker.moveToThread(QCoreApplication::instance()->thread());
            },
            Qt::BlockingQueuedConnection);
        QElapsedTimer clock;
        clock.start();
        thread.quit(); // interrupt() ends the blocking epoll_wait
        QVERIFY(thread.wait(5000));
        QVERIFY2(clock.elapsed() < 2000, qPrintable(QString::number(clock.elapsed())));
    }

    // The cost that matters: with 5 000 idle descriptors registered, a busy socket pair's ping-pong
    // makes the kernel report only the busy pair (a poll()-based loop would examine all 5 001 each time).
    void manyIdleNotifiersOneActivePair()
    {
        constexpr int kIdle = 5000;
        constexpr int kRoundTrips = 2000;
        rlimit rl{};
        ::getrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < rlim_t(kIdle + 200)) {
            rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, kIdle + 200);
            ::setrlimit(RLIMIT_NOFILE, &rl);
        }
        QVERIFY2(rl.rlim_cur >= rlim_t(kIdle + 200), "RLIMIT_NOFILE's hard limit is below 5 200");
        const int watchedBefore = mainDispatcher()->watchedDescriptors();
        std::vector<int> idleFds;
        std::vector<std::unique_ptr<QSocketNotifier>> idle;
        int idleActivations = 0;
        for (int i = 0; i < kIdle; ++i) {
            const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
            QVERIFY(fd >= 0);
            idleFds.push_back(fd);
            idle.push_back(std::make_unique<QSocketNotifier>(fd, QSocketNotifier::Read));
            connect(idle.back().get(), &QSocketNotifier::activated, this, [&idleActivations, fd] {
                quint64 value = 0;
                if (::read(fd, &value, sizeof value) == ssize_t(sizeof value)) // level-triggered: read it
                    ++idleActivations;
            });
        }
        QVERIFY(mainDispatcher()->watchedDescriptors() >= kIdle);
        SocketPair p;
        QVERIFY(p.ok());
        int trips = 0;
        QSocketNotifier a(p.fd[0], QSocketNotifier::Read);
        QSocketNotifier b(p.fd[1], QSocketNotifier::Read);
        connect(&a, &QSocketNotifier::activated, this, [&] {
            if (drain(p.fd[0]) > 0)
                writeByte(p.fd[0]);
        });
        connect(&b, &QSocketNotifier::activated, this, [&] {
            if (drain(p.fd[1]) > 0 && ++trips < kRoundTrips)
                writeByte(p.fd[1]);
        });
        const quint64 reportedBefore = mainDispatcher()->readyDescriptorsReported();
        QElapsedTimer clock;
        clock.start();
        QVERIFY(writeByte(p.fd[1]));
        QTRY_COMPARE_WITH_TIMEOUT(trips, kRoundTrips, 30000);
        const qint64 elapsedMs = clock.elapsed();
        const quint64 reported = mainDispatcher()->readyDescriptorsReported() - reportedBefore;
        qInfo("%d round trips beside %d idle notifiers in %lld ms; %llu ready descriptors reported", kRoundTrips, kIdle,
              elapsedMs, reported);
        // Two activations per round trip, plus the test's own timers and wake-ups: far below 5 000 x 4 000.
        QVERIFY2(reported <= quint64(2 * kRoundTrips + 500), qPrintable(QString::number(reported)));
        QCOMPARE(idleActivations, 0);
        // One of the idle ones becomes ready: only it fires.
        const quint64 one = 1;
        QCOMPARE(::write(idleFds[kIdle / 2], &one, sizeof one), ssize_t(sizeof one));
        QTRY_COMPARE(idleActivations, 1);
        QTest::qWait(20);
        QCOMPARE(idleActivations, 1);
        idle.clear();
        for (int fd : idleFds)
            ::close(fd);
        QCOMPARE(mainDispatcher()->watchedDescriptors(), watchedBefore + 2);
    }
};

int main(int argc, char** argv)
{
    QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    TestEpollDispatcher test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_epolldispatcher.moc"
