#pragma once

#include <QAbstractEventDispatcher>
#include <QHash>
#include <atomic>
#include <cstdint>
#include <sys/epoll.h>
#include <vector>

namespace lab {

class DirectSocketNotifier;

// An event dispatcher for the proxy's worker threads built on Linux epoll, so that a thread holding
// 10 000 idle keep-alive connections pays only for the descriptors that are ready. Qt's own dispatchers
// (glib's g_poll, or poll() in QEventDispatcherUNIX) hand the kernel every registered descriptor on
// every wake-up: with 10 000 idle sockets each request costs a walk over all of them.
//
// What it guarantees, and its costs:
// - Socket notifiers: read, write and exception notifiers on one descriptor share one epoll entry; enabling
//   or disabling one (QSocketNotifier::setEnabled registers and unregisters) is one EPOLL_CTL_MOD, O(1),
//   through a table indexed by descriptor. epoll_wait returns only ready descriptors (level-triggered, as
//   poll is, so a notifier that does not read everything is called again). HUP and ERR wake the read and
//   write notifiers, as in QEventDispatcherUNIX. A notifier deleted or disabled while events are being
//   delivered is not called afterwards, even in the same pass.
// - Timers: an indexed binary heap keyed by deadline (steady clock, ns): register, unregister and each
//   expiry O(log n), no allocation in steady state. Every timer fires at most once per pass, is re-armed
//   before its event is sent (so killTimer from the handler works), and never re-enters its own handler
//   from a nested loop. Precise and coarse timers both fire at their interval rounded up to the next ms
//   (coarse is never worse than precise); very coarse timers use whole seconds, as Qt does.
// - Posted events and deleteLater: QCoreApplication::sendPostedEvents() at the start of every pass;
//   wakeUp() (from any thread, what postEvent calls) writes an eventfd, at most once per pass.
// - interrupt() makes the current or next blocking pass return; QThread::quit() relies on it.
//
// Linux only. Install it with QThread::setEventDispatcher() before the thread starts; the thread then owns
// and deletes it.
class EpollEventDispatcher final : public QAbstractEventDispatcher {
    Q_OBJECT
public:
    explicit EpollEventDispatcher(QObject* parent = nullptr);
    ~EpollEventDispatcher() override;
    Q_DISABLE_COPY_MOVE(EpollEventDispatcher)

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier* notifier) override;
    void unregisterSocketNotifier(QSocketNotifier* notifier) override;

    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject* object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject* object) override;
    QList<TimerInfo> registeredTimers(QObject* object) const override;
    int remainingTime(int timerId) override;

    void wakeUp() override;
    void interrupt() override;

    // For tests and benchmarks: descriptors the kernel reported ready, summed over all passes (the cost
    // that should follow the active connections, not the registered ones), and how many descriptors
    // have an epoll entry right now.
    quint64 readyDescriptorsReported() const { return m_readyReported; }
    int watchedDescriptors() const { return m_watched; }

private:
    struct FdEntry {
        QSocketNotifier* notifiers[3] = {nullptr, nullptr, nullptr}; // Read, Write, Exception
        DirectSocketNotifier* direct[3] = {nullptr, nullptr, nullptr}; // the same, when called directly
        bool directKnown[3] = {false, false, false}; // direct[] was looked up (at the first activation)
        quint32 mask = 0; // the events epoll watches for this descriptor; 0 = no epoll entry
        quint32 generation = 0; // bumped on every EPOLL_CTL_ADD, so a stale ready event is recognised
    };
    struct Timer {
        int id = 0;
        qint64 intervalMs = 0;
        Qt::TimerType type = Qt::CoarseTimer;
        QObject* object = nullptr;
        qint64 deadlineNs = 0;
        quint64 order = 0; // ties between equal deadlines fire in the order they were armed
        quint64 registration = 0; // tells a re-registered id apart from the one that was firing
        int heapIndex = -1;
        quint64 firedInPass = 0;
        bool inHandler = false;
    };

    void updateEpoll(int fd, FdEntry& entry);
    int activateSocketNotifiers(int ready);
    int activateTimers();
    // Milliseconds epoll_wait may sleep for the nearest timer: -1 when there is none.
    int timerWaitMs() const;
    void drainWakeUp();

    void armTimer(Timer& t, qint64 fromNs);
    bool heapLess(int a, int b) const;
    void heapSwap(int i, int j);
    void siftUp(int i);
    void siftDown(int i);
    void heapPush(int slot);
    void heapRemove(int slot);
    void releaseTimerSlot(int slot);

    int m_epollFd = -1;
    int m_wakeFd = -1;
    std::atomic<int> m_wakeUps{0};
    std::atomic<bool> m_interrupted{false};

    std::vector<FdEntry> m_fds; // indexed by descriptor
    int m_watched = 0;
    std::vector<epoll_event> m_ready;
    quint64 m_readyReported = 0;

    std::vector<Timer> m_timers; // slots; free ones have id 0
    std::vector<int> m_freeTimerSlots;
    QHash<int, int> m_timerSlotById;
    std::vector<int> m_heap; // timer slots, a min-heap on (deadlineNs, order)
    quint64 m_timerOrder = 0;
    quint64 m_timerRegistrations = 0;
    quint64 m_pass = 0;
};

} // namespace lab
