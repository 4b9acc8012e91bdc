#include "Backend.h"

namespace lab {

void Backend::setPassiveCauses(const QString& ejection, const QString& lastFailure)
{
    QMutexLocker lock(&m_causeMutex);
    if (!ejection.isEmpty())
        m_ejectionCause = ejection;
    m_lastFailure = lastFailure;
}

QString Backend::ejectionCause() const
{
    QMutexLocker lock(&m_causeMutex);
    return m_ejectionCause;
}

QString Backend::lastFailure() const
{
    QMutexLocker lock(&m_causeMutex);
    return m_lastFailure;
}

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
