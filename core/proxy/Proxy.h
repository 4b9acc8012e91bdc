#pragma once

#include "ProxySettings.h"
#include "TlsStats.h"
#include "metrics/Metrics.h"

#include <QDeadlineTimer>
#include <QMutex>
#include <QObject>
#include <QWaitCondition>
#include <atomic>
#include <memory>
#include <vector>

class QThread;
class QTimer;

namespace lab {

class BackendPool;
class ConnectionGate;
class ProxyControl;
class ProxyWorker;
class EventLog;
class RequestTrace;
class LifecycleStream;
class StepGate;
class RateLimiter;

// A load-balancing proxy on one listener: HTTP/1.1 (HttpSession) or a TCP byte relay (TcpSession),
// by the listener's kind. Each of the N worker threads accepts on its own descriptor of the listening
// socket, on its own event loop (no acceptor thread waking a worker per connection); the kernel deals the
// connections by a hash (SO_REUSEPORT; AcceptDealing in net/ReusePortListener.h has the other way: the
// first worker awake takes each). Each connection then lives on its worker (an HttpSession) with no
// locks beyond the pool's pick and relaxed atomics for metrics. Public methods are thread-safe and may be
// called from any thread that is not one of the proxy's own (the GUI, main).
//
// Stopping is asynchronous (beginStop): the listener closes at once, requests in flight finish on the
// workers' threads while the proxy's control thread watches the deadline, and stopped() says how it ended, so
// the GUI thread never waits for a slow exchange. stop() is the blocking form for `serve`'s SIGTERM path
// and destructors: it waits on a condition, not in a sleep loop.
// The request trace and lifecycle stream a proxy's workers write to: its own, or another proxy's, so that
// one trace list and one flow view show every listener of a lab (LabProxies: its HTTP and HTTPS
// listeners share the first one's). Both take writes from many workers already.
struct ProxyStreams {
    std::shared_ptr<RequestTrace> trace;
    std::shared_ptr<LifecycleStream> lifecycle;
};

class Proxy final : public QObject {
    Q_OBJECT
public:
    // Failovers are reported to `events` (a private log when null). `streams` null: the proxy's own.
    Proxy(ProxySettings settings, std::shared_ptr<BackendPool> pool, std::shared_ptr<EventLog> events = nullptr,
          QObject* parent = nullptr, ProxyStreams streams = {});
    ~Proxy() override;
    Q_DISABLE_COPY_MOVE(Proxy)

    // Listens; false with a sentence naming the address and port in *error.
    bool start(QString* error = nullptr);
    // Stops accepting before it returns; requests in flight get up to timeoutMs to finish, then every
    // connection closes and stopped() is emitted. Called again while stopping, it only brings the
    // deadline forward (never back). Also closes leftover connections when the proxy was not listening.
    void beginStop(int timeoutMs = 5000);
    // beginStop(), then waits until the stop is over (no polling). Returns the number of exchanges that
    // were still running when time ran out. Not for the GUI thread's event handlers: use beginStop().
    int stop(int timeoutMs = 5000);
    bool isListening() const { return m_listening.load(); }
    // Between beginStop() and stopped(): no longer accepting, requests in flight finishing.
    bool isStopping() const;
    quint16 port() const { return m_port.load(); }
    const ProxySettings& settings() const { return *m_settings; }
    // Applies new settings. Retries, retry conditions and timeouts apply to the next request on every
    // connection; a new address or port re-listens (connections already open stay). Limits, connection caps,
    // worker count and keep-alive pool sizes are fixed at construction. False with a sentence in *error when
    // the new address cannot be listened on (the proxy then stays stopped).
    bool updateSettings(const ProxySettings& settings, QString* error = nullptr);
    BackendPool& pool() const { return *m_pool; }
    RequestTrace& trace() const { return *m_trace; }
    // Request lifecycle events (picked, attempt failed, finished, ...) for the flow view.
    LifecycleStream& lifecycle() const { return *m_lifecycle; }
    ProxyStreams streams() const { return {m_trace, m_lifecycle}; }
    // Step mode: holds new requests before their pick until step() (thread-safe; see StepGate).
    StepGate& stepGate() const { return *m_stepGate; }
    EventLog& events() const { return *m_events; }
    // The per-client token buckets every worker consults (settings().rateLimit configures them).
    RateLimiter& rateLimiter() const { return *m_rateLimiter; }

    // Sums every worker's shard: cheap enough for 10 calls a second from the GUI.
    MetricsSnapshot snapshot() const;
    int activeExchanges() const;
    // TCP listeners: bytes the relays hold in user space right now (bounded by backpressure).
    qint64 relayBufferedBytes() const;
    // The caps on connections and on unfinished request heads, with their live counts.
    const ConnectionGate& gate() const { return *m_gate; }
    // Times the workers gave freed memory back to the system after a burst of connections.
    int memoryTrims() const;
    // UpstreamAttempts the workers ever made: as many as exchanges were in flight at once at the most,
    // not one per connection (they are pooled per worker).
    int upstreamAttemptsMade() const;
    // TLS listeners: handshakes completed and failed by class, connections open, bytes (TlsStats.h).
    TlsStats tlsStats() const;

Q_SIGNALS:
    // The stop begun by beginStop() or stop() is over: every connection is closed; unfinishedExchanges
    // were cut off when the deadline came. Emitted on the proxy's control thread: connect with a receiver
    // object (the call is then queued to its thread).
    void stopped(int unfinishedExchanges);

private:
    enum class StopPhase { Idle, Stopping };
    void closeListeners();
    // On the control thread: ends the stop when nothing is in flight or the deadline passed.
    void checkDrain();
    void finishStop();

    std::shared_ptr<const ProxySettings> m_settings;
    std::shared_ptr<BackendPool> m_pool;
    std::shared_ptr<RequestTrace> m_trace;
    std::shared_ptr<LifecycleStream> m_lifecycle;
    std::shared_ptr<StepGate> m_stepGate;
    std::shared_ptr<RateLimiter> m_rateLimiter;
    std::shared_ptr<EventLog> m_events;
    std::shared_ptr<ConnectionGate> m_gate;
    std::vector<QThread*> m_threads; // [0] = control, then workers
    std::vector<ProxyWorker*> m_workers;
    ProxyControl* m_control = nullptr; // on m_threads[0]
    std::atomic<bool> m_listening{false};
    std::atomic<quint16> m_port{0};

    // Once a second, one event line for the rate limiter's 429s of that second (none when there were none).
    static constexpr int kRefusalSummaryMs = 1000;
    void summariseRefusals();
    QTimer* m_refusalTimer = nullptr; // on the proxy's own thread
    QTimer* m_drainTimer = nullptr; // on the control thread, runs only while stopping
    mutable QMutex m_stopMutex; // guards the five below
    QWaitCondition m_stopFinished;
    StopPhase m_stopPhase = StopPhase::Idle;
    QDeadlineTimer m_stopDeadline; // the earliest any caller asked for
    quint64 m_stopsBegun = 0;
    quint64 m_stopsFinished = 0;
    int m_lastUnfinished = 0;
};

} // namespace lab
