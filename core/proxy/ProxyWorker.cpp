#include "ProxyWorker.h"

#include "ConnectionGate.h"
#include "HttpSession.h"
#include "TcpSession.h"
#include "TlsTerminator.h"
#include "UpstreamAttempt.h"
#include "UpstreamPool.h"

#include <QTcpServer>
#include <QTimer>
#include <sys/socket.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace lab {

namespace {

// A worker gives the allocator's free memory back to the system after a burst of at least this many
// sessions, once it is down to a quarter of that peak, kTrimDelayMs later (so at most once a second).
constexpr int kTrimAfterSessions = 256;
constexpr int kTrimDelayMs = 1000;

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

// A worker's listening socket. Connections past the gate's caps are closed here, before the worker
// spends anything on them. When the process is out of descriptors, QTcpServer stops accepting for good
// (pauseAccepting on any error but a temporary one); the listener resumes after 100 ms, so it outlives
// the shortage.
class WorkerListener final : public QTcpServer {
public:
    explicit WorkerListener(ProxyWorker* worker)
        : QTcpServer(worker)
        , m_worker(worker)
    {
        connect(this, &QTcpServer::acceptError, this, [this] {
            m_worker->gate().noteAcceptFailure(errorString());
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
        if (!m_worker->gate().admit(client)) {
            ::close(int(fd));
            return;
        }
        m_worker->adopt(fd, client);
    }

private:
    ProxyWorker* m_worker;
};

ProxyWorker::ProxyWorker(int index, std::shared_ptr<const ProxySettings> settings, std::shared_ptr<BackendPool> pool,
                         std::shared_ptr<RequestTrace> trace, std::shared_ptr<EventLog> events,
                         std::shared_ptr<ConnectionGate> gate, std::shared_ptr<LifecycleStream> lifecycle,
                         std::shared_ptr<StepGate> stepGate, std::shared_ptr<RateLimiter> rateLimiter)
    : m_index(index)
    , m_settings(std::move(settings))
    , m_pool(std::move(pool))
    , m_trace(std::move(trace))
    , m_events(std::move(events))
    , m_gate(std::move(gate))
    , m_lifecycle(std::move(lifecycle))
    , m_stepGate(std::move(stepGate))
    , m_rateLimiter(std::move(rateLimiter))
    , m_metrics(std::make_unique<MetricsShard>())
    , m_upstreams(
          new UpstreamPool(m_settings->upstreamMaxIdlePerBackend, m_settings->upstreamIdleMs, m_metrics.get(), this))
    , m_deadlines(this)
{
}

ProxyWorker::~ProxyWorker()
{
    // The sessions are children, which QObject would delete after this worker's members: they use the
    // deadline list and the metrics shard on their way out.
    closeEverything();
}

void ProxyWorker::adopt(qintptr fd, const QHostAddress& client, ClientStream stream)
{
    const bool accepted = stream == ClientStream::Accepted;
    if (m_shuttingDown) {
        ::close(int(fd));
        if (accepted)
            m_gate->release(client);
        return;
    }
    QObject* session = nullptr;
    if (m_settings->kind == ListenerKind::Tcp) {
        session = new TcpSession(fd, this);
    } else if (accepted && m_settings->tls) {
        session = new TlsTerminator(fd, client, this);
    } else {
        new HttpSession(fd, client, stream, this); // gives the gate's slot back itself (when it holds it)
        return;
    }
    if (!accepted)
        return; // the terminator holds the gate's slot
    connect(
        session, &QObject::destroyed, this, [gate = m_gate, client] { gate->release(client); }, Qt::DirectConnection);
}

bool ProxyWorker::listen(qintptr listeningFd, QString* error)
{
    if (!m_listener)
        m_listener = new WorkerListener(this);
    if (m_listener->setSocketDescriptor(listeningFd))
        return true;
    if (error)
        *error = m_listener->errorString();
    ::close(int(listeningFd));
    return false;
}

void ProxyWorker::closeListener()
{
    if (m_listener)
        m_listener->close();
}

void ProxyWorker::releaseHeld(quint64 requestId, const QString& reason)
{
    if (HttpSession* s = m_held.take(requestId))
        s->releaseFromHold(reason);
}

UpstreamAttempt* ProxyWorker::takeAttempt()
{
    if (m_freeAttempts.empty()) {
        m_attemptsMade.fetch_add(1, std::memory_order_relaxed);
        return new UpstreamAttempt(this, this);
    }
    UpstreamAttempt* a = m_freeAttempts.back();
    m_freeAttempts.pop_back();
    return a;
}

void ProxyWorker::giveAttempt(UpstreamAttempt* attempt)
{
    if (int(m_freeAttempts.size()) < kKeptAttempts) {
        m_freeAttempts.push_back(attempt);
        return;
    }
    attempt->deleteLater(); // (possibly given back from inside one of its own calls)
}

void ProxyWorker::sessionOpened()
{
    const int n = ++m_openSessions;
    m_peakSessions = std::max(m_peakSessions, n);
}

void ProxyWorker::sessionClosed()
{
    const int n = --m_openSessions;
    // After a burst the allocator keeps what the sessions freed (glibc gives a heap back only from its
    // top, and a few live buffers pin the rest): RSS would stay at the burst's peak. malloc_trim walks
    // every arena, so only after a burst worth it and at most once per kTrimDelayMs.
    if (m_trimScheduled || m_shuttingDown || m_peakSessions < kTrimAfterSessions || n > m_peakSessions / 4)
        return;
    m_trimScheduled = true;
    QTimer::singleShot(kTrimDelayMs, this, [this] {
        m_trimScheduled = false;
        m_peakSessions = m_openSessions.load();
#ifdef __GLIBC__
        ::malloc_trim(0);
#endif
        m_memoryTrims.fetch_add(1, std::memory_order_relaxed);
    });
}

void ProxyWorker::beginShutdown()
{
    m_shuttingDown = true;
    // Each session is told directly: a signal connection per session would cost every idle connection
    // a connection record (and the worker a list of 10 000). A session may close (deleteLater) here.
    const auto sessions = findChildren<HttpSession*>(Qt::FindDirectChildrenOnly);
    for (HttpSession* s : sessions)
        s->beginShutdown();
    Q_EMIT shutdownRequested();
}

void ProxyWorker::closeEverything()
{
    const auto sessions = findChildren<HttpSession*>(Qt::FindDirectChildrenOnly);
    for (HttpSession* s : sessions)
        delete s;
    const auto relays = findChildren<TcpSession*>(Qt::FindDirectChildrenOnly);
    for (TcpSession* s : relays)
        delete s;
    const auto terminators = findChildren<TlsTerminator*>(Qt::FindDirectChildrenOnly);
    for (TlsTerminator* t : terminators)
        delete t;
    // After the sessions, which gave theirs back; before the pool, whose connections they may hold.
    for (UpstreamAttempt* a : std::exchange(m_freeAttempts, {}))
        delete a;
    m_upstreams->closeAll();
}

} // namespace lab
