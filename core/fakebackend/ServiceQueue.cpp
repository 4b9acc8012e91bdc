#include "ServiceQueue.h"

#include "FakeBackend.h"
#include "FakeBackendConnection.h"

#include <algorithm>
#include <utility>

namespace lab {

ServiceQueue::ServiceQueue(FakeBackendCounters& counters)
    : m_counters(counters)
{
}

ServiceQueue::Admission ServiceQueue::admit(FakeBackendConnection* connection, int workers, int queueLimit)
{
    // A request waits only behind others: a free worker never leaves the head of the line waiting.
    if (workers <= 0 || (m_inService < workers && m_waiting.empty())) {
        ++m_inService;
        publish();
        return Admission::Serving;
    }
    if (int(m_waiting.size()) >= queueLimit)
        return Admission::Full;
    m_waiting.push_back(connection);
    publish();
    return Admission::Waiting;
}

void ServiceQueue::release(int workers, double overshootMs)
{
    if (m_inService > 0)
        --m_inService;
    fill(workers, overshootMs);
    publish();
}

void ServiceQueue::withdraw(FakeBackendConnection* connection)
{
    const auto it = std::find(m_waiting.begin(), m_waiting.end(), connection);
    if (it == m_waiting.end())
        return;
    m_waiting.erase(it);
    publish();
}

void ServiceQueue::fill(int workers, double overshootMs)
{
    while (!m_waiting.empty() && (workers <= 0 || m_inService < workers)) {
        FakeBackendConnection* next = m_waiting.front();
        m_waiting.pop_front();
        ++m_inService;
        publish();
        next->beginService(std::exchange(overshootMs, 0.0)); // only the freed worker's successor was late
    }
}

void ServiceQueue::publish()
{
    m_counters.queued.store(int(m_waiting.size()), std::memory_order_relaxed);
    m_counters.inService.store(m_inService, std::memory_order_relaxed);
}

} // namespace lab
