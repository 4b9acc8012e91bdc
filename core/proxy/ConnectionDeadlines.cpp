#include "ConnectionDeadlines.h"

#include "util/Clock.h"

#include <ctime>
#include <limits>

namespace lab {

namespace {

constexpr qint64 kNsPerMs = 1'000'000;

qint64 steadyNowNs()
{
    // A deadline armed per request: on an epoll worker the loop's reading of the clock (loopNowNs), so
    // the arm costs no clock_gettime. Behind by at most the pass being handled, which makes a deadline
    // that much earlier, never later; the timer that expires them starts from the real time.
    const qint64 loop = loopNowNs();
    return loop ? loop : readSteadyNs();
}

} // namespace

ConnectionDeadlines::ConnectionDeadlines(QObject* parent)
    : QObject(parent)
    , m_timer(this) // a child, so that moveToThread takes it along with its owner
{
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer); // the header and idle timeouts are the user's, to the ms
    connect(&m_timer, &QTimer::timeout, this, &ConnectionDeadlines::expire);
}

ConnectionDeadlines::~ConnectionDeadlines()
{
    // Sessions are the worker's children and go before it; whatever is left simply never fires.
    for (Lane& lane : m_lanes) {
        for (Entry* e = lane.head; e;) {
            Entry* next = e->m_next;
            e->m_prev = e->m_next = nullptr;
            e->m_lane = -1;
            e = next;
        }
    }
}

int ConnectionDeadlines::laneFor(qint64 durationMs)
{
    int empty = -1;
    for (int i = 0; i < int(m_lanes.size()); ++i) {
        if (m_lanes[size_t(i)].durationMs == durationMs)
            return i;
        if (empty < 0 && !m_lanes[size_t(i)].head)
            empty = i;
    }
    if (empty >= 0) { // a timeout no longer in use (settings changed): its lane takes the new one
        m_lanes[size_t(empty)].durationMs = durationMs;
        return empty;
    }
    m_lanes.push_back(Lane{durationMs, nullptr, nullptr});
    return int(m_lanes.size()) - 1;
}

void ConnectionDeadlines::arm(Entry& entry, qint64 durationMs)
{
    if (entry.armed())
        unlink(entry);
    durationMs = std::max<qint64>(durationMs, 0);
    const qint64 now = steadyNowNs();
    const int l = laneFor(durationMs);
    Lane& lane = m_lanes[size_t(l)];
    entry.m_lane = l;
    entry.m_deadlineNs = now + durationMs * kNsPerMs;
    entry.m_armedInPass = m_pass;
    entry.m_prev = lane.tail;
    entry.m_next = nullptr;
    (lane.tail ? lane.tail->m_next : lane.head) = &entry;
    lane.tail = &entry;
    ++m_armed;
    if (!m_timerActive || entry.m_deadlineNs < m_timerDeadlineNs)
        startTimer(entry.m_deadlineNs, now);
}

void ConnectionDeadlines::disarm(Entry& entry)
{
    if (entry.armed())
        unlink(entry);
}

void ConnectionDeadlines::unlink(Entry& entry)
{
    Lane& lane = m_lanes[size_t(entry.m_lane)];
    (entry.m_prev ? entry.m_prev->m_next : lane.head) = entry.m_next;
    (entry.m_next ? entry.m_next->m_prev : lane.tail) = entry.m_prev;
    entry.m_prev = entry.m_next = nullptr;
    entry.m_lane = -1;
    --m_armed;
}

void ConnectionDeadlines::startTimer(qint64 deadlineNs, qint64 nowNs)
{
    m_timerDeadlineNs = deadlineNs;
    m_timerActive = true;
    const qint64 leftNs = std::max<qint64>(deadlineNs - nowNs, 0);
    // Rounded up: waking before the deadline would only mean another pass with nothing due.
    m_timer.start(int(std::min<qint64>((leftNs + kNsPerMs - 1) / kNsPerMs, std::numeric_limits<int>::max())));
    ++m_timerStarts;
}

void ConnectionDeadlines::expire()
{
    m_timerActive = false; // the single-shot timer fired
    const quint64 pass = ++m_pass;
    const qint64 now = steadyNowNs();
    // Due entries fire in deadline order across lanes (the earliest head first). A handler may arm,
    // disarm or close any connection, so every head is read afresh. An entry armed during this pass (a
    // handler re-arming itself with 0 ms) waits for the next one.
    for (;;) {
        Entry* due = nullptr;
        for (const Lane& lane : m_lanes) {
            Entry* e = lane.head;
            if (e && e->m_deadlineNs <= now && e->m_armedInPass != pass &&
                (!due || e->m_deadlineNs < due->m_deadlineNs))
                due = e;
        }
        if (!due)
            break;
        unlink(*due);
        due->m_handler->onDeadline();
    }
    qint64 earliest = std::numeric_limits<qint64>::max();
    for (const Lane& lane : m_lanes) {
        if (lane.head)
            earliest = std::min(earliest, lane.head->m_deadlineNs);
    }
    // A handler's arm may have started the timer already, for its own deadline only.
    if (earliest != std::numeric_limits<qint64>::max() && (!m_timerActive || earliest < m_timerDeadlineNs))
        startTimer(earliest, steadyNowNs());
}

} // namespace lab
