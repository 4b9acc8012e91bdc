#include "Proxy.h"

#include "ConnectionGate.h"
#include "ProxyWorker.h"
#include "RateLimiter.h"
#include "StepGate.h"
#include "backend/BackendPool.h"
#include "metrics/EventLog.h"
#include "metrics/Lifecycle.h"
#include "metrics/RequestTrace.h"
#include "net/EpollEventDispatcher.h"
#include "net/ReusePortListener.h"

#include <QLoggingCategory>
#include <QSemaphore>
#include <QThread>
#include <QTimer>
#include <sys/socket.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcProxy, "lab.proxy")

namespace lab {

namespace {

// Workers run on EpollEventDispatcher: with Qt's own (glib's g_poll) every wake-up walks every socket,
// so 10 000 idle keep-alive connections made each request ~8x dearer. LAB_EVENT_DISPATCHER=qt keeps
// Qt's, for a before/after benchmark in one build or to rule the dispatcher out when hunting a bug.
bool useEpollDispatcher()
{
    static const bool epoll = qEnvironmentVariable("LAB_EVENT_DISPATCHER") != QLatin1String("qt");
    return epoll;
}

// How the workers share the listener's connections (ReusePortListener.h): the kernel's SO_REUSEPORT
// hash by default. LAB_ACCEPT_DEALING=first makes the first awake worker take each one, as nginx's
// workers do, for a before/after benchmark in one build (bench/README.md: not better on the loaded
// 2-core machine it was measured on, so not the default).
AcceptDealing acceptDealing()
{
    static const AcceptDealing dealing = qEnvironmentVariable("LAB_ACCEPT_DEALING") == QLatin1String("first")
        ? AcceptDealing::FirstAwake
        : AcceptDealing::KernelHash;
    return dealing;
}

} // namespace

// The proxy's own thread: it watches a drain's deadline and emits stopped(), so that neither waits for
// the GUI or for a worker. It accepts nothing: each worker accepts on its own descriptor (ReusePortGroup).
class ProxyControl final : public QObject {
public:
    ProxyControl() = default;
};

Proxy::Proxy(ProxySettings settings, std::shared_ptr<BackendPool> pool, std::shared_ptr<EventLog> events,
             QObject* parent, ProxyStreams streams)
    : QObject(parent)
    , m_settings(std::make_shared<const ProxySettings>(std::move(settings)))
    , m_pool(std::move(pool))
    , m_trace(streams.trace ? std::move(streams.trace) : std::make_shared<RequestTrace>())
    , m_lifecycle(streams.lifecycle ? std::move(streams.lifecycle)
                                    : std::make_shared<LifecycleStream>(4096, 60, m_pool->clock()))
    , m_stepGate(std::make_shared<StepGate>(m_pool->clock()))
    , m_rateLimiter(std::make_shared<RateLimiter>(m_pool->clock()))
    , m_events(events ? std::move(events) : std::make_shared<EventLog>())
    , m_port(m_settings->port)
{
    m_rateLimiter->configure(m_settings->rateLimit);
    m_refusalTimer = new QTimer(this);
    m_refusalTimer->setInterval(kRefusalSummaryMs);
    connect(m_refusalTimer, &QTimer::timeout, this, &Proxy::summariseRefusals);
    m_refusalTimer->start();
    ConnectionGate::Limits limits;
    limits.maxConnections =
        m_settings->maxConnections > 0 ? m_settings->maxConnections : defaultMaxConnections(descriptorLimit(), 1);
    limits.maxConnectionsPerClient = m_settings->maxConnectionsPerClient;
    limits.maxHeadBufferBytes = m_settings->maxHeadBufferBytes;
    m_gate = std::make_shared<ConnectionGate>(limits, m_events);
    const int n = qMax(1, m_settings->workers);
    for (int i = 0; i < n; ++i) {
        auto* t = new QThread;
        t->setObjectName(QStringLiteral("proxy worker %1").arg(i));
        if (useEpollDispatcher())
            t->setEventDispatcher(new EpollEventDispatcher);
        auto* w =
            new ProxyWorker(i, m_settings, m_pool, m_trace, m_events, m_gate, m_lifecycle, m_stepGate, m_rateLimiter);
        w->moveToThread(t);
        t->start();
        m_threads.push_back(t);
        m_workers.push_back(w);
    }
    auto* t = new QThread;
    t->setObjectName(QStringLiteral("proxy control"));
    t->setEventDispatcher(new EpollEventDispatcher);
    m_control = new ProxyControl;
    // A drain polls the workers' atomic counts; a finished exchange has no signal of its own to wait on.
    m_drainTimer = new QTimer(m_control);
    m_drainTimer->setInterval(5);
    connect(m_drainTimer, &QTimer::timeout, m_control, [this] { checkDrain(); });
    m_control->moveToThread(t);
    t->start();
    m_threads.insert(m_threads.begin(), t);
}

void Proxy::summariseRefusals()
{
    const RateLimiter::RefusalSummary s = m_rateLimiter->takeRefusals();
    if (s.refused == 0)
        return;
    QString text = QStringLiteral("rate limit: %1 %2 answered 429 in the last second")
                       .arg(s.refused)
                       .arg(s.refused == 1 ? QStringLiteral("request") : QStringLiteral("requests"));
    if (s.keys > 1)
        text += QStringLiteral(", top client %1 (%2)").arg(QString::fromUtf8(s.topKey)).arg(s.topRefused);
    else if (s.keys == 1)
        text += QStringLiteral(", all from %1").arg(QString::fromUtf8(s.topKey));
    m_events->append(LabEvent::Kind::Proxy, text);
}

Proxy::~Proxy()
{
    stop(0);
    QMetaObject::invokeMethod(
        m_control, [this] { delete m_control; }, Qt::BlockingQueuedConnection);
    for (ProxyWorker* w : m_workers)
        QMetaObject::invokeMethod(
            w, [w] { delete w; }, Qt::BlockingQueuedConnection);
    for (QThread* t : m_threads) {
        t->quit();
        t->wait();
        delete t;
    }
}

bool Proxy::start(QString* error)
{
    if (!m_settings->tlsProblem.isEmpty()) { // never plaintext on a port configured for TLS
        if (error)
            *error = m_settings->tlsProblem;
        return false;
    }
    if (isStopping()) // a drain still running ends now: what it has not finished is cut off
        stop(0);
    bool ok = false;
    QString why;
    const int backlog = m_settings->listenBacklog > 0 ? m_settings->listenBacklog : systemListenBacklogMax();
    for (ProxyWorker* w : m_workers)
        QMetaObject::invokeMethod(
            w, [w] { w->resume(); }, Qt::BlockingQueuedConnection);
    if (m_listening.load())
        return true;
    // Qt's default queue of 50 drops SYNs in a burst of connects: the system's maximum, on every socket.
    ReusePortGroup group =
        openReusePortGroup(m_settings->address, m_port.load(), int(m_workers.size()), backlog, &why, acceptDealing());
    ok = !group.fds.empty();
    for (size_t i = 0; ok && i < m_workers.size(); ++i) {
        ProxyWorker* w = m_workers[i];
        const qintptr fd = group.fds[i];
        QMetaObject::invokeMethod(
            w, [&, w, fd] { ok = w->listen(fd, &why); }, Qt::BlockingQueuedConnection);
        if (!ok) { // the descriptors not handed over yet are closed here, those handed over by their worker
            for (size_t j = i + 1; j < group.fds.size(); ++j)
                ::close(group.fds[j]);
            for (size_t j = 0; j < i; ++j)
                QMetaObject::invokeMethod(
                    m_workers[j], [w = m_workers[j]] { w->closeListener(); }, Qt::BlockingQueuedConnection);
        }
    }
    if (ok)
        m_port = group.port;
    else {
        if (error)
            *error = QStringLiteral("cannot listen on %1 port %2: %3; is another program using port %2?")
                         .arg(m_settings->address.toString())
                         .arg(m_port.load())
                         .arg(why);
        return false;
    }
    m_listening = true;
    qCInfo(lcProxy, "proxy listening on %s:%u with %zu workers, at most %d connections (listen queue %d)",
           qPrintable(m_settings->address.toString()), m_port.load(), m_workers.size(), m_gate->limits().maxConnections,
           backlog);
    return true;
}

void Proxy::beginStop(int timeoutMs)
{
    const QDeadlineTimer deadline(qMax(0, timeoutMs));
    {
        QMutexLocker lock(&m_stopMutex);
        if (m_stopPhase == StopPhase::Stopping) {
            if (deadline < m_stopDeadline)
                m_stopDeadline = deadline;
            lock.unlock();
            QMetaObject::invokeMethod(m_control, [this] { checkDrain(); });
            return;
        }
        m_stopPhase = StopPhase::Stopping;
        m_stopDeadline = deadline;
        ++m_stopsBegun;
    }
    closeListeners();
    for (ProxyWorker* w : m_workers)
        QMetaObject::invokeMethod(w, [w] { w->beginShutdown(); });
    // Queued after the workers' beginShutdown(), so the first look at their counts comes after it.
    QMetaObject::invokeMethod(m_control, [this] { checkDrain(); });
}

void Proxy::closeListeners()
{
    // Blocking, but only for the workers to close their sockets (each between two of its events), all at
    // once, so the caller waits for the slowest worker rather than for the sum: when this returns no new
    // connection is taken.
    QSemaphore closed;
    for (ProxyWorker* w : m_workers)
        QMetaObject::invokeMethod(w, [w, &closed] {
            w->closeListener();
            closed.release();
        });
    closed.acquire(int(m_workers.size()));
    m_listening = false;
}

void Proxy::checkDrain()
{
    QMutexLocker lock(&m_stopMutex);
    if (m_stopPhase != StopPhase::Stopping)
        return;
    const bool expired = m_stopDeadline.hasExpired();
    lock.unlock();
    if (activeExchanges() > 0 && !expired) {
        if (!m_drainTimer->isActive())
            m_drainTimer->start();
        return;
    }
    finishStop();
}

void Proxy::finishStop()
{
    m_drainTimer->stop();
    const int unfinished = activeExchanges();
    for (ProxyWorker* w : m_workers)
        QMetaObject::invokeMethod(
            w, [w] { w->closeEverything(); }, Qt::BlockingQueuedConnection);
    quint64 finished = 0;
    {
        QMutexLocker lock(&m_stopMutex);
        m_stopPhase = StopPhase::Idle;
        m_lastUnfinished = unfinished;
        finished = m_stopsBegun;
    }
    Q_EMIT stopped(unfinished);
    // Waiters wake only after the signal went out, so a destructor waiting in stop() never runs while
    // this thread still emits on the object.
    QMutexLocker lock(&m_stopMutex);
    m_stopsFinished = finished;
    m_stopFinished.wakeAll();
}

int Proxy::stop(int timeoutMs)
{
    beginStop(timeoutMs);
    QMutexLocker lock(&m_stopMutex);
    const quint64 ticket = m_stopsBegun;
    while (m_stopsFinished < ticket)
        m_stopFinished.wait(&m_stopMutex);
    return m_lastUnfinished;
}

bool Proxy::isStopping() const
{
    QMutexLocker lock(&m_stopMutex);
    return m_stopPhase == StopPhase::Stopping;
}

bool Proxy::updateSettings(const ProxySettings& settings, QString* error)
{
    if (!settings.tlsProblem.isEmpty()) { // the running certificate stays
        if (error)
            *error = settings.tlsProblem;
        return false;
    }
    auto next = std::make_shared<ProxySettings>(settings);
    // Fixed at construction: the workers and their pools exist already.
    next->workers = m_settings->workers;
    next->limits = m_settings->limits;
    next->upstreamMaxIdlePerBackend = m_settings->upstreamMaxIdlePerBackend;
    next->upstreamIdleMs = m_settings->upstreamIdleMs;
    next->listenBacklog = m_settings->listenBacklog;
    next->maxConnections = m_settings->maxConnections;
    next->maxConnectionsPerClient = m_settings->maxConnectionsPerClient;
    next->maxHeadBufferBytes = m_settings->maxHeadBufferBytes;
    const bool moved =
        next->address != m_settings->address || (next->port != m_port.load() && next->port != m_settings->port);
    if (next->rateLimit != m_settings->rateLimit)
        m_rateLimiter->configure(next->rateLimit);
    m_settings = next;
    for (ProxyWorker* w : m_workers)
        QMetaObject::invokeMethod(
            w, [w, next] { w->setSettings(next); }, Qt::BlockingQueuedConnection);
    if (!moved)
        return true;
    const bool wasListening = isListening();
    if (wasListening)
        closeListeners();
    m_port = next->port;
    return !wasListening || start(error);
}

qint64 Proxy::relayBufferedBytes() const
{
    qint64 n = 0;
    for (const ProxyWorker* w : m_workers)
        n += w->relayBuffered();
    return n;
}

int Proxy::memoryTrims() const
{
    int n = 0;
    for (const ProxyWorker* w : m_workers)
        n += w->memoryTrims();
    return n;
}

int Proxy::upstreamAttemptsMade() const
{
    int n = 0;
    for (const ProxyWorker* w : m_workers)
        n += w->attemptsMade();
    return n;
}

TlsStats Proxy::tlsStats() const
{
    TlsStats s;
    for (const ProxyWorker* w : m_workers)
        w->tlsCounters().addTo(s);
    return s;
}

int Proxy::activeExchanges() const
{
    int n = 0;
    for (const ProxyWorker* w : m_workers)
        n += w->activeExchanges();
    return n;
}

MetricsSnapshot Proxy::snapshot() const
{
    MetricsSnapshot s;
    s.takenAtMs = steadyNowMs();
    const auto backends = m_pool->backends();
    for (const BackendPtr& b : backends)
        s.backends.append({b->id, b->name, {}});
    for (const ProxyWorker* w : m_workers) {
        const MetricsShard& shard = w->metrics();
        s.listener.add(shard.listener);
        for (BackendStats& bs : s.backends)
            bs.traffic.add(shard.backends[size_t(bs.id)]);
    }
    s.listener.refusedConnections = m_gate->refusedConnections();
    return s;
}

} // namespace lab
