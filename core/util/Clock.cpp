#include "Clock.h"

#include <chrono>
#include <ctime>

namespace lab {

std::shared_ptr<const Clock> Clock::steady()
{
    static const std::shared_ptr<const Clock> clock = std::make_shared<SteadyClock>();
    return clock;
}

qint64 readSteadyNs(bool keep)
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    const qint64 ns = qint64(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    if (keep)
        t_loopNowNs = ns;
    return ns;
}

qint64 SteadyClock::nowMs() const
{
    if (const qint64 ns = loopNowNs()) // on an epoll worker: its loop's reading (see loopNowNs)
        return ns / 1'000'000;
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

QDateTime SteadyClock::wallNow() const
{
    return QDateTime::currentDateTime();
}

ManualClock::ManualClock(qint64 startMs)
    : m_startMs(startMs)
    , m_wallAtStart(QDateTime(QDate(2024, 1, 1), QTime(12, 0)))
    , m_nowMs(startMs)
{
}

QDateTime ManualClock::wallNow() const
{
    return m_wallAtStart.addMSecs(nowMs() - m_startMs);
}

qint64 steadyNowMs()
{
    static const SteadyClock clock;
    return clock.nowMs();
}

} // namespace lab
