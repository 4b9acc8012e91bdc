#pragma once

#include <QHash>
#include <QHostAddress>
#include <QMutex>
#include <atomic>
#include <memory>

namespace lab {

class EventLog;

// What the system allows a listener: read once, when a proxy is built.
int systemListenBacklogMax(); // net.core.somaxconn; 4096 when it cannot be read
int descriptorLimit(); // the soft RLIMIT_NOFILE
// Descriptors kept out of every listener's share so that health probes, the idle keep-alive pool,
// embedded backends, log files and Qt's own still get one when the connections are at their cap.
int descriptorReserve(int descriptorLimit);
// Default maxConnections: what is left after the reserve, split between the listeners, two descriptors
// per connection (the client's and the one to its backend).
int defaultMaxConnections(int descriptorLimit, int listeners);

// Admission control for one listener, shared by its acceptor thread and its workers (thread-safe).
//
// Caps: open connections (global and per client address) and the bytes of unfinished request heads all
// connections hold together. A connection past a connection cap is closed as soon as it is accepted,
// before a byte is read, the way HAProxy's `tcp-request connection reject` and nginx at
// worker_connections do: a 503 would first need the request head read, which costs the memory and the
// descriptor time the cap is there to protect, and a client that keeps sending into a closed socket
// loses the answer to a reset anyway. (HAProxy's global maxconn instead stops accepting and lets the
// kernel queue connections; we close, so that a client learns at once and can go elsewhere.) A head
// that would pass the head-bytes cap is answered 503 with Retry-After by its session: it is the one
// asking for more memory, and everything it sent has been read, so the answer arrives.
//
// Each refusal is counted; a burst of them is logged once (one line per second at most, with the count).
// Cost: two relaxed atomics per connection; the per-client map (a mutex) only when that cap is set.
class ConnectionGate final {
public:
    struct Limits {
        int maxConnections = 0; // > 0
        int maxConnectionsPerClient = 0; // 0 = no per-client cap
        qint64 maxHeadBufferBytes = 0; // 0 = no cap
    };

    ConnectionGate(Limits limits, std::shared_ptr<EventLog> events);
    Q_DISABLE_COPY_MOVE(ConnectionGate)

    const Limits& limits() const { return m_limits; }
    // True when a connection from `client` may open; every true needs one release(client) later.
    bool admit(const QHostAddress& client);
    void release(const QHostAddress& client);
    // The listener could not accept (no descriptor left): logged like a refusal.
    void noteAcceptFailure(const QString& why);

    int openConnections() const { return m_open.load(std::memory_order_relaxed); }
    qint64 headBytes() const { return m_headBytes.load(std::memory_order_relaxed); }
    quint64 refusedConnections() const { return m_refusedConnections.load(std::memory_order_relaxed); }
    quint64 refusedHeads() const { return m_refusedHeads.load(std::memory_order_relaxed); }

    // The head bytes one session holds; given back when the head is complete or the session ends.
    class HeadReservation final {
    public:
        explicit HeadReservation(ConnectionGate* gate)
            : m_gate(gate)
        {
        }
        ~HeadReservation() { clear(); }
        Q_DISABLE_COPY_MOVE(HeadReservation)
        // False (counted, logged, nothing more reserved) when the listener's cap would be passed.
        bool grow(qint64 bytes);
        void clear();

    private:
        ConnectionGate* m_gate;
        qint64 m_bytes = 0;
    };

private:
    void logRefusal(const QString& what);

    const Limits m_limits;
    std::shared_ptr<EventLog> m_events;
    std::atomic<int> m_open{0};
    std::atomic<qint64> m_headBytes{0};
    std::atomic<quint64> m_refusedConnections{0};
    std::atomic<quint64> m_refusedHeads{0};
    std::atomic<qint64> m_lastLogMs{-1'000'000};
    std::atomic<quint64> m_refusedSinceLog{0};
    QMutex m_perClientMutex;
    QHash<QHostAddress, int> m_perClient;
};

} // namespace lab
