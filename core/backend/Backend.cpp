#include "Backend.h"

namespace lab {

void Backend::mark(HealthMark::Kind kind, qint64 atMs)
{
    QMutexLocker lock(&m_timelineMutex);
    m_timeline.push_back({atMs, kind});
    while (m_timeline.size() > 4000)
        m_timeline.pop_front();
}

std::vector<HealthMark> Backend::marksSince(qint64 fromMs) const
{
    QMutexLocker lock(&m_timelineMutex);
    std::vector<HealthMark> out;
    for (const HealthMark& m : m_timeline) {
        if (m.atMs >= fromMs)
            out.push_back(m);
    }
    return out;
}

} // namespace lab
