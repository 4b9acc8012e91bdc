#pragma once

#include "ProxySettings.h"
#include "metrics/Metrics.h"

#include <QObject>
#include <atomic>
#include <memory>
#include <vector>

class QThread;

namespace lab {

class BackendPool;
class ConnectionGate;
class ProxyAcceptor;
class ProxyWorker;
class EventLog;
class RequestTrace;
class LifecycleStream;
class StepGate;

// A load-balancing proxy on one listener: HTTP/1.1 (HttpSession) or a TCP byte relay (TcpSession),
// by the listener's kind. An acceptor thread takes connections and
// deals them to N worker threads in turn; each connection then lives on its worker (an HttpSession) with
// no locks beyond the pool's pick and relaxed atomics for metrics. Public methods are thread-safe and
// may be called from any thread that is not one of the proxy's own (the GUI, main).
class Proxy final : public QObject {
    Q_OBJECT
public:
    // Failovers are reported to `events` (a private log when null).
    Proxy(ProxySettings settings, std::shared_ptr<BackendPool> pool, std::shared_ptr<EventLog> events = nullptr,
          QObject* parent = nullptr);
    ~Proxy() override;
    Q_DISABLE_COPY_MOVE(Proxy)

    // Listens; false with a sentence naming the address and port in *error.
    bool start(QString* error = nullptr);
    // Stops accepting, lets requests in flight finish for up to timeoutMs, then closes everything.
    // Returns the number of exchanges that were still running when time ran out.
    int stop(int timeoutMs = 5000);
    bool isListening() const { return m_listening.load(); }
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
    // Step mode: holds new requests before their pick until step() (thread-safe; see StepGate).
    StepGate& stepGate() const { return *m_stepGate; }
    EventLog& events() const { return *m_events; }

    // Sums every worker's shard: cheap enough for 10 calls a second from the GUI.
    MetricsSnapshot snapshot() const;
    int activeExchanges() const;
    // TCP listeners: bytes the relays hold in user space right now (bounded by backpressure).
    qint64 relayBufferedBytes() const;
    // The caps on connections and on unfinished request heads, with their live counts.
    const ConnectionGate& gate() const { return *m_gate; }
    // Times the workers gave freed memory back to the system after a burst of connections.
    int memoryTrims() const;

private:
    std::shared_ptr<const ProxySettings> m_settings;
    std::shared_ptr<BackendPool> m_pool;
    std::shared_ptr<RequestTrace> m_trace;
    std::shared_ptr<LifecycleStream> m_lifecycle;
    std::shared_ptr<StepGate> m_stepGate;
    std::shared_ptr<EventLog> m_events;
    std::shared_ptr<ConnectionGate> m_gate;
    std::vector<QThread*> m_threads; // [0] = acceptor, then workers
    std::vector<ProxyWorker*> m_workers;
    ProxyAcceptor* m_acceptor = nullptr;
    std::atomic<bool> m_listening{false};
    std::atomic<quint16> m_port{0};
};

} // namespace lab
