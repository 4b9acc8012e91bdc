#include "StepGate.h"

#include "ProxyWorker.h"
#include "util/Clock.h"

namespace lab {

StepGate::StepGate(std::shared_ptr<const Clock> clock)
    : m_clock(clock ? std::move(clock) : Clock::steady())
{
}

qint64 StepGate::nowMs() const
{
    return m_clock->nowMs();
}

void StepGate::post(const Entry& entry, const QString& reason)
{
    // The worker outlives its sessions; it finds the session by id, or nothing if the client left.
    ProxyWorker* w = entry.worker;
    const quint64 id = entry.request.requestId;
    QMetaObject::invokeMethod(
        w, [w, id, reason] { w->releaseHeld(id, reason); }, Qt::QueuedConnection);
}

void StepGate::setScope(StepScope scope)
{
    m_scope.store(scope, std::memory_order_relaxed);
    if (scope != StepScope::Off)
        return;
    QMutexLocker lock(&m_mutex);
    for (const Entry& e : m_held)
        post(e, QStringLiteral("step mode off"));
    m_held.clear();
}

bool StepGate::hold(HeldRequest request, ProxyWorker* worker)
{
    QMutexLocker lock(&m_mutex);
    if (m_held.size() >= size_t(kMaxHeld))
        return false;
    request.heldSinceMs = m_clock->nowMs();
    m_held.push_back({std::move(request), worker});
    return true;
}

bool StepGate::forget(quint64 requestId)
{
    QMutexLocker lock(&m_mutex);
    for (auto it = m_held.begin(); it != m_held.end(); ++it) {
        if (it->request.requestId == requestId) {
            m_held.erase(it);
            return true;
        }
    }
    return false;
}

bool StepGate::step()
{
    QMutexLocker lock(&m_mutex);
    if (m_held.empty())
        return false;
    post(m_held.front(), QStringLiteral("step"));
    m_held.pop_front();
    return true;
}

QList<HeldRequest> StepGate::held() const
{
    QMutexLocker lock(&m_mutex);
    QList<HeldRequest> out;
    out.reserve(qsizetype(m_held.size()));
    for (const Entry& e : m_held)
        out.append(e.request);
    return out;
}

qint64 StepGate::oldestHeldSinceMs() const
{
    QMutexLocker lock(&m_mutex);
    return m_held.empty() ? -1 : m_held.front().request.heldSinceMs;
}

} // namespace lab
