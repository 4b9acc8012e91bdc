#include "DrainThenStop.h"

#include "backend/Backend.h"
#include "fakebackend/FakeBackend.h"

#include <QTimer>

namespace lab {

DrainThenStop::DrainThenStop(QObject* parent)
    : QObject(parent)
    , m_timer(new QTimer(this))
{
    m_timer->setInterval(kPollMs);
    connect(m_timer, &QTimer::timeout, this, &DrainThenStop::poll);
}

bool DrainThenStop::begin(BackendId id, std::shared_ptr<Backend> backend, FakeBackend* server, int drainMs)
{
    if (m_waiting.contains(id))
        return false;
    Waiting w{std::move(backend), server, QDeadlineTimer(qMax(0, drainMs))};
    const int inFlight = w.backend ? w.backend->activeRequests.load() : 0;
    if (drainMs <= 0 || inFlight == 0) {
        finish(id, w, false);
        return true;
    }
    w.backend->enabled.store(false);
    m_waiting.insert(id, std::move(w));
    m_timer->start();
    return false;
}

void DrainThenStop::cancel(BackendId id)
{
    const auto it = m_waiting.constFind(id);
    if (it != m_waiting.cend() && it->backend)
        it->backend->enabled.store(true); // a drain that will not end in a stop must not leave it drained
    m_waiting.remove(id);
    if (m_waiting.isEmpty())
        m_timer->stop();
}

void DrainThenStop::clear()
{
    m_waiting.clear();
    m_timer->stop();
}

void DrainThenStop::poll()
{
    // Collected first: a receiver of stopped() may begin or cancel drains.
    QList<BackendId> due;
    for (auto it = m_waiting.cbegin(); it != m_waiting.cend(); ++it) {
        if (it->backend->activeRequests.load() == 0 || it->deadline.hasExpired())
            due << it.key();
    }
    for (BackendId id : std::as_const(due)) {
        const auto it = m_waiting.constFind(id);
        if (it == m_waiting.cend())
            continue;
        const Waiting w = *it;
        m_waiting.erase(it);
        finish(id, w, true);
    }
    if (m_waiting.isEmpty())
        m_timer->stop();
}

void DrainThenStop::finish(BackendId id, const Waiting& w, bool waited)
{
    const int cutOff = waited && w.backend ? w.backend->activeRequests.load() : 0;
    const Outcome outcome = !waited ? Outcome::AtOnce : cutOff ? Outcome::CutOff : Outcome::Drained;
    if (w.backend)
        w.backend->enabled.store(true); // Start brings it straight back into rotation
    if (w.server && w.server->isStarted())
        w.server->stop();
    Q_EMIT stopped(id, outcome, cutOff);
}

} // namespace lab
