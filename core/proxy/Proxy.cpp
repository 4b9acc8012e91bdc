#include "Proxy.h"

#include "ConnectionGate.h"
#include "ProxyWorker.h"
#include "RateLimiter.h"
#include "StepGate.h"
#include "backend/BackendPool.h"
#include "metrics/EventLog.h"
#include "metrics/Lifecycle.h"
#include "metrics/RequestTrace.h"

#include <QLoggingCategory>
#include <QTcpServer>
#include <QThread>
#include <QTimer>
#include <sys/socket.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcProxy, "lab.proxy")

namespace lab {

namespace {

QHostAddress peerOf(qintptr fd)
{
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(int(fd), reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        return {};
    QHostAddress a;
    a.setAddress(reinterpret_cast<const sockaddr*>(&ss));
    bool mapped = false;
    const QHostAddress v4(a.toIPv4Address(&mapped));
    return mapped ? v4 : a;
}

} // namespace

// The listening socket; lives on its own thread so that accepting never waits for the GUI or a worker.
// Connections past the gate's caps are closed here, before a worker spends anything on them. When the
// process is out of descriptors, QTcpServer stops accepting for good (pauseAccepting on any error but
// a temporary one); the acceptor resumes after 100 ms, so the listener outlives the shortage.
class ProxyAcceptor final : public QTcpServer {
public:
    ProxyAcceptor(std::vector<ProxyWorker*> workers, std::shared_ptr<ConnectionGate> gate)
        : m_workers(std::move(workers))
        , m_gate(std::move(gate))
    {
        connect(this, &QTcpServer::acceptError, this, [this] {
            m_gate->noteAcceptFailure(errorString());
            QTimer::singleShot(100, this, [this] {
                if (isListening())
                    resumeAccepting();
            });
        });
    }

protected:
    void incomingConnection(qintptr fd) override
    {
        const QHostAddress client = peerOf(fd);
        if (!m_gate->admit(client)) {
            ::close(int(fd));
            return;
        }
        ProxyWorker* w = m_workers[m_next++ % m_workers.size()];
        QMetaObject::invokeMethod(
            w, [w, fd, client] { w->adopt(fd, client); }, Qt::QueuedConnection);
    }

private:
    std::vector<ProxyWorker*> m_workers;
    std::shared_ptr<ConnectionGate> m_gate;
    size_t m_next = 0;
};

Proxy::Proxy(ProxySettings settings, std::shared_ptr<BackendPool> pool, std::shared_ptr<EventLog> events,
             QObject* parent)
    : QObject(parent)
    , m_settings(std::make_shared<const ProxySettings>(std::move(settings)))
    , m_pool(std::move(pool))
    , m_trace(std::make_shared<RequestTrace>())
    , m_lifecycle(std::make_shared<LifecycleStream>(4096, 60, m_pool->clock()))
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
        auto* w =
            new ProxyWorker(i, m_settings, m_pool, m_trace, m_events, m_gate, m_lifecycle, m_stepGate, m_rateLimiter);
        w->moveToThread(t);
        t->start();
        m_threads.push_back(t);
        m_workers.push_back(w);
    }
    auto* t = new QThread;
    t->setObjectName(QStringLiteral("proxy acceptor"));
    m_acceptor = new ProxyAcceptor(m_workers, m_gate);
    // A drain polls the workers' atomic counts; a finished exchange has no signal of its own to wait on.
    m_drainTimer = new QTimer(m_acceptor);
    m_drainTimer->setInterval(5);
    connect(m_drainTimer, &QTimer::timeout, m_acceptor, [this] { checkDrain(); });
    m_acceptor->moveToThread(t);
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
        m_acceptor, [this] { delete m_acceptor; }, Qt::BlockingQueuedConnection);
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
    QMetaObject::invokeMethod(
        m_acceptor,
        [&] {
            if (!m_acceptor->isListening()) // Qt's default of 50 drops SYNs in a burst of connects
                m_acceptor->setListenBacklogSize(backlog);
            ok = m_acceptor->isListening() || m_acceptor->listen(m_settings->address, m_port.load());
            if (!ok)
                why = m_acceptor->errorString();
            else
                m_port = m_acceptor->serverPort();
        },
        Qt::BlockingQueuedConnection);
    if (!ok) {
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
            QMetaObject::invokeMethod(m_acceptor, [this] { checkDrain(); });
            return;
        }
        m_stopPhase = StopPhase::Stopping;
        m_stopDeadline = deadline;
        ++m_stopsBegun;
    }
    // Blocking, but only for the acceptor's thread to close its socket: when this returns no new
    // connection is taken.
    QMetaObject::invokeMethod(
        m_acceptor, [this] { m_acceptor->close(); }, Qt::BlockingQueuedConnection);
    m_listening = false;
    for (ProxyWorker* w : m_workers)
        QMetaObject::invokeMethod(w, [w] { w->beginShutdown(); });
    // Queued after the workers' beginShutdown(), so the first look at their counts comes after it.
    QMetaObject::invokeMethod(m_acceptor, [this] { checkDrain(); });
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
        QMetaObject::invokeMethod(
            m_acceptor, [this] { m_acceptor->close(); }, Qt::BlockingQueuedConnection);
    m_listening = false;
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

Proxy::TlsStats Proxy::tlsStats() const
{
    TlsStats s;
    for (const ProxyWorker* w : m_workers) {
        s.handshakes += w->tlsCounters().handshakes.load(std::memory_order_relaxed);
        s.failedHandshakes += w->tlsCounters().failedHandshakes.load(std::memory_order_relaxed);
    }
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
