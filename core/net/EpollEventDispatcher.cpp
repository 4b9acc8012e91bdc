#include "EpollEventDispatcher.h"

#include "DirectSocketNotifier.h"
#include "util/Clock.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QSocketNotifier>
#include <cerrno>
#include <climits>
#include <ctime>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcEpoll, "lab.epoll")

namespace lab {

namespace {

// epoll's user data for the wake-up eventfd; a socket's is its descriptor and the entry's generation.
constexpr quint64 kWakeTag = ~quint64(0);
// Ready descriptors taken from the kernel per pass; more simply wait for the next pass (level-triggered).
constexpr int kReadyPerPass = 256;
constexpr qint64 kNsPerMs = 1'000'000;

// Every reading here is also the thread's loop time (util/Clock.h, loopNowNs), which the per-request
// code reads instead of the clock.
qint64 steadyNowNs()
{
    return readSteadyNs(true);
}

qint64 intervalNs(Qt::TimerType type, qint64 intervalMs)
{
    if (type == Qt::VeryCoarseTimer) // whole seconds, rounded to the nearest, as QTimerInfoList does
        return ((intervalMs + 500) / 1000) * 1000 * kNsPerMs;
    return intervalMs * kNsPerMs;
}

quint64 epollTag(int fd, quint32 generation)
{
    return quint64(quint32(fd)) | (quint64(generation) << 32);
}

} // namespace

EpollEventDispatcher::EpollEventDispatcher(QObject* parent)
    : QAbstractEventDispatcher(parent)
    , m_epollFd(::epoll_create1(EPOLL_CLOEXEC))
    , m_wakeFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))
    , m_ready(kReadyPerPass)
{
    if (m_epollFd < 0 || m_wakeFd < 0)
        qFatal("EpollEventDispatcher: epoll_create1 or eventfd failed: %s", strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeTag;
    if (::epoll_ctl(m_epollFd, EPOLL_CTL_ADD, m_wakeFd, &ev) != 0)
        qFatal("EpollEventDispatcher: cannot watch its eventfd: %s", strerror(errno));
}

EpollEventDispatcher::~EpollEventDispatcher()
{
    ::close(m_wakeFd);
    ::close(m_epollFd);
    t_loopNowNs = 0; // this thread's clock readings are its own again
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    m_interrupted.store(false, std::memory_order_relaxed);
    Q_EMIT awake();
    QCoreApplication::sendPostedEvents();

    const bool includeTimers = !(flags & QEventLoop::X11ExcludeTimers);
    const bool includeNotifiers = !(flags & QEventLoop::ExcludeSocketNotifiers);
    // Events posted meanwhile (also those posted by the handlers above) have written the eventfd, so a
    // blocking wait returns at once for them.
    const bool wait = (flags & QEventLoop::WaitForMoreEvents) && !m_interrupted.load(std::memory_order_relaxed);
    if (wait)
        Q_EMIT aboutToBlock();
    if (m_interrupted.load(std::memory_order_relaxed))
        return false;

    int timeoutMs = 0;
    if (wait)
        timeoutMs = includeTimers ? timerWaitMs() : -1;

    int handled = 0;
    if (includeNotifiers) {
        const int n = ::epoll_wait(m_epollFd, m_ready.data(), int(m_ready.size()), timeoutMs);
        steadyNowNs(); // the loop time after the sleep, for the handlers this pass calls
        if (n < 0 && errno != EINTR)
            qCWarning(lcEpoll, "epoll_wait: %s", strerror(errno));
        if (n > 0)
            handled += activateSocketNotifiers(n);
    } else {
        // Ready sockets would end a blocking epoll_wait at once, every time: wait for the wake-up only.
        pollfd p{m_wakeFd, POLLIN, 0};
        if (::poll(&p, 1, timeoutMs) > 0) {
            drainWakeUp();
            ++handled;
        }
    }
    if (includeTimers)
        handled += activateTimers();
    return handled > 0;
}

void EpollEventDispatcher::drainWakeUp()
{
    quint64 value = 0;
    // Read before clearing the flag: a wakeUp() in between then finds the flag set and skips its write,
    // but what it announced was posted before it, and the next pass sends posted events before it waits.
    while (::read(m_wakeFd, &value, sizeof value) < 0 && errno == EINTR) { }
    m_wakeUps.store(0, std::memory_order_release);
}

void EpollEventDispatcher::wakeUp()
{
    if (m_wakeUps.exchange(1, std::memory_order_acq_rel) != 0)
        return;
    const quint64 one = 1;
    while (::write(m_wakeFd, &one, sizeof one) < 0 && errno == EINTR) { }
}

void EpollEventDispatcher::interrupt()
{
    m_interrupted.store(true, std::memory_order_relaxed);
    wakeUp();
}

// ---- socket notifiers ----

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier* notifier)
{
    const int fd = int(notifier->socket());
    const int type = int(notifier->type());
    if (fd < 0 || type < 0 || type > 2)
        return;
    if (size_t(fd) >= m_fds.size())
        m_fds.resize(std::max(size_t(fd) + 1, m_fds.size() * 2));
    FdEntry& entry = m_fds[size_t(fd)];
    if (entry.notifiers[type] && entry.notifiers[type] != notifier)
        qCWarning(lcEpoll, "QSocketNotifier: Multiple socket notifiers for same socket %d and type %d", fd, type);
    entry.notifiers[type] = notifier;
    // Whether it is a DirectSocketNotifier is asked at its first activation: this runs from
    // QSocketNotifier's constructor, before a derived class exists.
    entry.direct[type] = nullptr;
    entry.directKnown[type] = false;
    updateEpoll(fd, entry);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier* notifier)
{
    const int fd = int(notifier->socket());
    const int type = int(notifier->type());
    if (fd < 0 || size_t(fd) >= m_fds.size() || type < 0 || type > 2)
        return;
    FdEntry& entry = m_fds[size_t(fd)];
    if (entry.notifiers[type] != notifier)
        return;
    entry.notifiers[type] = nullptr;
    entry.direct[type] = nullptr;
    entry.directKnown[type] = false;
    updateEpoll(fd, entry);
}

void EpollEventDispatcher::updateEpoll(int fd, FdEntry& entry)
{
    quint32 want = 0;
    if (entry.notifiers[QSocketNotifier::Read])
        want |= EPOLLIN;
    if (entry.notifiers[QSocketNotifier::Write])
        want |= EPOLLOUT;
    if (entry.notifiers[QSocketNotifier::Exception])
        want |= EPOLLPRI;
    if (want == entry.mask)
        return;
    if (want == 0) {
        // No entry with an empty mask: epoll reports HUP and ERR whatever the mask, and nobody would read
        // them. ENOENT and EBADF mean the descriptor was closed first (the kernel dropped the entry).
        if (::epoll_ctl(m_epollFd, EPOLL_CTL_DEL, fd, nullptr) != 0 && errno != ENOENT && errno != EBADF)
            qCWarning(lcEpoll, "epoll_ctl(DEL, %d): %s", fd, strerror(errno));
        entry.mask = 0;
        --m_watched;
        return;
    }
    epoll_event ev{};
    ev.events = want;
    if (entry.mask == 0) {
        ++entry.generation;
        ev.data.u64 = epollTag(fd, entry.generation);
        int rc = ::epoll_ctl(m_epollFd, EPOLL_CTL_ADD, fd, &ev);
        if (rc != 0 && errno == EEXIST) // a descriptor number reused before its old notifier went
            rc = ::epoll_ctl(m_epollFd, EPOLL_CTL_MOD, fd, &ev);
        if (rc != 0) {
            qCWarning(lcEpoll, "epoll_ctl(ADD, %d): %s", fd, strerror(errno));
            return;
        }
        ++m_watched;
    } else {
        ev.data.u64 = epollTag(fd, entry.generation);
        int rc = ::epoll_ctl(m_epollFd, EPOLL_CTL_MOD, fd, &ev);
        if (rc != 0 && errno == ENOENT) // closed and reopened under the same number meanwhile
            rc = ::epoll_ctl(m_epollFd, EPOLL_CTL_ADD, fd, &ev);
        if (rc != 0) {
            qCWarning(lcEpoll, "epoll_ctl(MOD, %d): %s", fd, strerror(errno));
            return;
        }
    }
    entry.mask = want;
}

int EpollEventDispatcher::activateSocketNotifiers(int ready)
{
    int activated = 0;
    m_readyReported += quint64(ready);
    for (int i = 0; i < ready; ++i) {
        const quint64 tag = m_ready[size_t(i)].data.u64;
        if (tag == kWakeTag) {
            drainWakeUp();
            ++activated;
            continue;
        }
        const int fd = int(quint32(tag));
        const quint32 generation = quint32(tag >> 32);
        const quint32 events = m_ready[size_t(i)].events;
        for (int type = QSocketNotifier::Read; type <= QSocketNotifier::Exception; ++type) {
            // Looked up afresh for each type: the previous handler may have deleted or disabled this
            // notifier, or registered others (which can grow the table).
            if (size_t(fd) >= m_fds.size())
                break;
            FdEntry& entry = m_fds[size_t(fd)];
            if (entry.generation != generation || entry.mask == 0)
                break;
            QSocketNotifier* notifier = entry.notifiers[type];
            if (!notifier)
                continue;
            bool fire = false;
            if (type == QSocketNotifier::Read)
                fire = events & (EPOLLIN | EPOLLHUP | EPOLLERR);
            else if (type == QSocketNotifier::Write) // a hang-up nobody reads would be reported forever
                fire = events & (EPOLLOUT | EPOLLERR) || (events & EPOLLHUP && !entry.notifiers[QSocketNotifier::Read]);
            else
                fire = events & EPOLLPRI;
            if (!fire)
                continue;
            if (!entry.directKnown[type]) { // once per registration, not per event
                entry.direct[type] = dynamic_cast<DirectSocketNotifier*>(notifier);
                entry.directKnown[type] = true;
            }
            if (DirectSocketNotifier* direct = entry.direct[type]) {
                direct->onReady();
            } else {
                QEvent event(QEvent::SockAct);
                QCoreApplication::sendEvent(notifier, &event);
            }
            ++activated;
        }
    }
    return activated;
}

// ---- timers ----

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject* object)
{
    if (timerId < 1 || interval < 0 || !object)
        return;
    int slot = 0;
    if (!m_freeTimerSlots.empty()) {
        slot = m_freeTimerSlots.back();
        m_freeTimerSlots.pop_back();
    } else {
        slot = int(m_timers.size());
        m_timers.emplace_back();
    }
    Timer& t = m_timers[size_t(slot)];
    t = Timer{};
    t.id = timerId;
    t.intervalMs = interval;
    t.type = timerType;
    t.object = object;
    t.registration = ++m_timerRegistrations;
    armTimer(t, steadyNowNs());
    m_timerSlotById.insert(timerId, slot);
    heapPush(slot);
}

void EpollEventDispatcher::armTimer(Timer& t, qint64 fromNs)
{
    t.deadlineNs = fromNs + intervalNs(t.type, t.intervalMs);
    t.order = ++m_timerOrder;
}

bool EpollEventDispatcher::unregisterTimer(int timerId)
{
    const auto it = m_timerSlotById.constFind(timerId);
    if (it == m_timerSlotById.cend())
        return false;
    const int slot = *it;
    m_timerSlotById.erase(it);
    heapRemove(slot);
    releaseTimerSlot(slot);
    return true;
}

bool EpollEventDispatcher::unregisterTimers(QObject* object)
{
    // A scan: Qt calls this only for an object with timers still running when it is destroyed or moved.
    bool any = false;
    for (const Timer& t : m_timers) {
        if (t.id != 0 && t.object == object) {
            unregisterTimer(t.id); // leaves m_timers' size alone: the loop stays valid
            any = true;
        }
    }
    return any;
}

QList<QAbstractEventDispatcher::TimerInfo> EpollEventDispatcher::registeredTimers(QObject* object) const
{
    QList<TimerInfo> list;
    for (const Timer& t : m_timers) {
        if (t.id != 0 && t.object == object)
            list.append(TimerInfo(t.id, int(t.intervalMs), t.type));
    }
    return list;
}

int EpollEventDispatcher::remainingTime(int timerId)
{
    const auto it = m_timerSlotById.constFind(timerId);
    if (it == m_timerSlotById.cend())
        return -1;
    const qint64 leftNs = m_timers[size_t(*it)].deadlineNs - steadyNowNs();
    return leftNs <= 0 ? 0 : int(std::min<qint64>((leftNs + kNsPerMs - 1) / kNsPerMs, INT_MAX));
}

int EpollEventDispatcher::timerWaitMs() const
{
    if (m_heap.empty())
        return -1;
    const qint64 leftNs = m_timers[size_t(m_heap.front())].deadlineNs - steadyNowNs();
    if (leftNs <= 0)
        return 0;
    // Rounded up: waking a little early would only mean another pass with nothing due.
    return int(std::min<qint64>((leftNs + kNsPerMs - 1) / kNsPerMs, INT_MAX));
}

int EpollEventDispatcher::activateTimers()
{
    if (m_heap.empty())
        return 0;
    const qint64 now = steadyNowNs();
    const quint64 pass = ++m_pass;
    int fired = 0;
    while (!m_heap.empty()) {
        const int slot = m_heap.front();
        Timer& t = m_timers[size_t(slot)];
        // A timer already fired in this pass (or in a nested one) waits for the next: a zero timer
        // would otherwise fire forever here.
        if (t.deadlineNs > now || t.firedInPass >= pass)
            break;
        t.firedInPass = pass;
        // Re-armed before the event goes out, like QTimerInfoList: the handler may kill or restart it.
        // Behind schedule by more than an interval, the next expiry counts from now (no burst to catch up).
        const qint64 step = intervalNs(t.type, t.intervalMs);
        t.deadlineNs = t.deadlineNs + step < now ? now + step : t.deadlineNs + step;
        t.order = ++m_timerOrder;
        siftDown(t.heapIndex);
        if (t.inHandler) // its handler runs a nested loop: do not re-enter it
            continue;
        t.inHandler = true;
        const int id = t.id;
        const quint64 registration = t.registration;
        QObject* object = t.object;
        QTimerEvent event(id);
        QCoreApplication::sendEvent(object, &event);
        ++fired;
        const auto it = m_timerSlotById.constFind(id);
        if (it != m_timerSlotById.cend() && m_timers[size_t(*it)].registration == registration)
            m_timers[size_t(*it)].inHandler = false;
    }
    return fired;
}

void EpollEventDispatcher::releaseTimerSlot(int slot)
{
    m_timers[size_t(slot)] = Timer{};
    m_freeTimerSlots.push_back(slot);
}

bool EpollEventDispatcher::heapLess(int a, int b) const
{
    const Timer& x = m_timers[size_t(m_heap[size_t(a)])];
    const Timer& y = m_timers[size_t(m_heap[size_t(b)])];
    return x.deadlineNs != y.deadlineNs ? x.deadlineNs < y.deadlineNs : x.order < y.order;
}

void EpollEventDispatcher::heapSwap(int i, int j)
{
    std::swap(m_heap[size_t(i)], m_heap[size_t(j)]);
    m_timers[size_t(m_heap[size_t(i)])].heapIndex = i;
    m_timers[size_t(m_heap[size_t(j)])].heapIndex = j;
}

void EpollEventDispatcher::siftUp(int i)
{
    while (i > 0) {
        const int parent = (i - 1) / 2;
        if (!heapLess(i, parent))
            break;
        heapSwap(i, parent);
        i = parent;
    }
}

void EpollEventDispatcher::siftDown(int i)
{
    const int n = int(m_heap.size());
    for (;;) {
        const int left = 2 * i + 1;
        if (left >= n)
            break;
        int smallest = left;
        if (left + 1 < n && heapLess(left + 1, left))
            smallest = left + 1;
        if (!heapLess(smallest, i))
            break;
        heapSwap(i, smallest);
        i = smallest;
    }
}

void EpollEventDispatcher::heapPush(int slot)
{
    m_heap.push_back(slot);
    m_timers[size_t(slot)].heapIndex = int(m_heap.size()) - 1;
    siftUp(int(m_heap.size()) - 1);
}

void EpollEventDispatcher::heapRemove(int slot)
{
    const int i = m_timers[size_t(slot)].heapIndex;
    if (i < 0)
        return;
    const int last = int(m_heap.size()) - 1;
    if (i != last)
        heapSwap(i, last);
    m_heap.pop_back();
    m_timers[size_t(slot)].heapIndex = -1;
    if (i < last) {
        siftDown(i);
        siftUp(i);
    }
}

} // namespace lab
