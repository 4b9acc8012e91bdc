#pragma once

#include "ConnectionDeadlines.h"
#include "ProxySettings.h"
#include "TlsTerminator.h"
#include "metrics/Metrics.h"

#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <atomic>
#include <memory>
#include <vector>

namespace lab {

class BackendPool;
class ConnectionGate;
class EventLog;
class HttpSession;
class StepGate;
class RateLimiter;
class LifecycleStream;
class RequestTrace;
class UpstreamAttempt;
class UpstreamPool;
class WorkerListener;

// How a descriptor reached a worker: straight from the listener, or as the plaintext end of a socketpair
// whose other end a TlsTerminator on this worker relays to a TLS client. A TlsPlaintext session's peer is
// the pair, not the client: the client's address comes with adopt(), and the session must forward
// X-Forwarded-Proto: https for it.
enum class ClientStream { Accepted, TlsPlaintext };

// One event-loop thread's share of a proxy: its descriptor of the listening socket (one of the proxy's
// SO_REUSEPORT group by default, see AcceptDealing; the worker accepts on it itself), the client connections it
// accepted, its keep-alive pool of backend connections, and its metrics shard. Everything here is touched only by its
// own thread, except the shard (read by snapshots) and the counters below.
class ProxyWorker final : public QObject {
    Q_OBJECT
public:
    ProxyWorker(int index, std::shared_ptr<const ProxySettings> settings, std::shared_ptr<BackendPool> pool,
                std::shared_ptr<RequestTrace> trace, std::shared_ptr<EventLog> events,
                std::shared_ptr<ConnectionGate> gate, std::shared_ptr<LifecycleStream> lifecycle,
                std::shared_ptr<StepGate> stepGate, std::shared_ptr<RateLimiter> rateLimiter);
    ~ProxyWorker() override;
    Q_DISABLE_COPY_MOVE(ProxyWorker)

    // Called on the worker's thread with a freshly accepted descriptor the gate admitted for `client`;
    // the gate gets it back when the session ends. On a listener with TLS an Accepted descriptor gets a
    // TlsTerminator first, which adopts the plaintext end of its pair as TlsPlaintext (the gate's slot stays
    // with the terminator, which lives as long as the client's connection).
    void adopt(qintptr socketDescriptor, const QHostAddress& client, ClientStream stream = ClientStream::Accepted);
    // On the worker's thread: accepts on `listeningFd` (taken over; closed by closeListener) and adopts
    // what the gate admits. False with the reason in *error when Qt cannot use the descriptor.
    bool listen(qintptr listeningFd, QString* error);
    void closeListener();
    // Closes connections that are between requests; those mid-request finish and then close.
    void beginShutdown();
    void closeEverything();
    void resume() { m_shuttingDown = false; }

    int index() const { return m_index; }
    const ProxySettings& settings() const { return *m_settings; }
    const std::shared_ptr<const ProxySettings>& settingsPtr() const { return m_settings; }
    // On the worker's thread: exchanges that start from now on use these settings.
    void setSettings(std::shared_ptr<const ProxySettings> settings) { m_settings = std::move(settings); }
    EventLog& events() { return *m_events; }
    BackendPool& pool() { return *m_pool; }
    RequestTrace& trace() { return *m_trace; }
    LifecycleStream& lifecycle() { return *m_lifecycle; }
    StepGate& stepGate() { return *m_stepGate; }
    RateLimiter& rateLimiter() { return *m_rateLimiter; }
    // Step mode: sessions on this worker waiting in the gate, by request id. releaseHeld() is what the
    // gate posts here when it lets one go; a session that left meanwhile is simply not found.
    void addHeld(quint64 requestId, HttpSession* session) { m_held.insert(requestId, session); }
    void removeHeld(quint64 requestId) { m_held.remove(requestId); }
    void releaseHeld(quint64 requestId, const QString& reason);
    UpstreamPool& upstreams() { return *m_upstreams; }
    // Attempts for the exchanges in flight on this worker: a session takes one when a request head
    // arrives and gives it back when the exchange ends, so an idle connection holds none. LIFO (the one
    // given back last, warm in the cache, goes out first); at most kKeptAttempts are kept free.
    UpstreamAttempt* takeAttempt();
    void giveAttempt(UpstreamAttempt* attempt);
    static constexpr int kKeptAttempts = 1024;
    int attemptsMade() const { return m_attemptsMade.load(std::memory_order_relaxed); }
    // The connections' timeouts (client side and attempts), one timer for all of them (see ConnectionDeadlines).
    ConnectionDeadlines& deadlines() { return m_deadlines; }
    ConnectionGate& gate() { return *m_gate; }
    MetricsShard& metrics() { return *m_metrics; }
    TlsCounters& tlsCounters() { return m_tlsCounters; }
    const TlsCounters& tlsCounters() const { return m_tlsCounters; }
    const MetricsShard& metrics() const { return *m_metrics; }
    bool shuttingDown() const { return m_shuttingDown; }
    int activeExchanges() const { return m_activeExchanges.load(); }

    void sessionOpened();
    void sessionClosed();
    // Times this worker gave freed memory back to the system after a burst of connections.
    int memoryTrims() const { return m_memoryTrims.load(std::memory_order_relaxed); }
    void exchangeStarted() { ++m_activeExchanges; }
    // Bytes TCP relays on this worker hold in user space (backpressure keeps it bounded).
    void addRelayBuffered(qint64 delta) { m_relayBuffered.fetch_add(delta, std::memory_order_relaxed); }
    qint64 relayBuffered() const { return m_relayBuffered.load(std::memory_order_relaxed); }
    void exchangeEnded() { --m_activeExchanges; }

Q_SIGNALS:
    void shutdownRequested();

private:
    const int m_index;
    std::shared_ptr<const ProxySettings> m_settings;
    std::shared_ptr<BackendPool> m_pool;
    std::shared_ptr<RequestTrace> m_trace;
    std::shared_ptr<EventLog> m_events;
    std::shared_ptr<ConnectionGate> m_gate;
    std::shared_ptr<LifecycleStream> m_lifecycle;
    std::shared_ptr<StepGate> m_stepGate;
    std::shared_ptr<RateLimiter> m_rateLimiter;
    QHash<quint64, HttpSession*> m_held;
    std::unique_ptr<MetricsShard> m_metrics;
    TlsCounters m_tlsCounters;
    UpstreamPool* m_upstreams;
    std::vector<UpstreamAttempt*> m_freeAttempts; // children of this worker
    // A child (parented in the constructor), so that moveToThread takes it to the worker's thread; as a
    // member it leaves the children list before ~QObject would delete it.
    ConnectionDeadlines m_deadlines;
    WorkerListener* m_listener = nullptr;
    bool m_shuttingDown = false;
    std::atomic<int> m_openSessions{0};
    std::atomic<int> m_activeExchanges{0};
    std::atomic<qint64> m_relayBuffered{0};
    int m_peakSessions = 0; // since the last trim
    bool m_trimScheduled = false;
    std::atomic<int> m_memoryTrims{0};
    std::atomic<int> m_attemptsMade{0};
};

} // namespace lab
