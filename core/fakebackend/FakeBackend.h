#pragma once

#include "FaultProfile.h"
#include "ServiceQueue.h"

#include <QHostAddress>
#include <QMutex>
#include <QObject>
#include <QString>
#include <atomic>

class QThread;

namespace lab {

class FakeBackendServer;

// Live counters of a fake backend, written by its thread, read from anywhere.
struct FakeBackendCounters {
    std::atomic<quint64> requests{0}; // requests answered (any status)
    std::atomic<quint64> errors{0}; // answered 5xx by a fault knob
    std::atomic<int> activeRequests{0}; // head received, answer not yet written
    std::atomic<int> queued{0}; // waiting for a worker (FaultProfile::workers)
    std::atomic<int> inService{0}; // holding a worker for their service time
    std::atomic<quint64> queueFull{0}; // answered 503 because every worker was busy and the queue full
    std::atomic<quint64> serviced{0}; // requests that got a worker (for any service time, 0 included)
    std::atomic<quint64> serviceMicros{0}; // the service times they were given (drawn or X-Lab-Cost-Ms)
    std::atomic<int> activeConnections{0};
    std::atomic<quint64> connections{0};
};

// A small HTTP/1.1 server used as a backend in the lab: answers JSON that says who it is, echoes request
// bodies, and misbehaves on demand through its FaultProfile. It runs on a thread of its own, so injected
// latency never stalls the caller. All public methods are thread-safe; start() and stop() block until
// the backend thread has done them.
//
// Capacity: FaultProfile's workers, queue and service time make it a small queueing system (M/M/c for
// exponential service), so its latency grows with load like a real server's; see FaultProfile.
//
// Endpoints: GET /health -> {"status":"ok","server_id":NAME}; any other GET/HEAD -> a hello with the
// method, path and headers it received; POST/PUT/PATCH/DELETE -> the same plus "your_data" (the body).
class FakeBackend final : public QObject {
    Q_OBJECT
public:
    FakeBackend(QString name, QHostAddress address, quint16 port, FaultProfile faults = {}, QObject* parent = nullptr);
    ~FakeBackend() override;
    Q_DISABLE_COPY_MOVE(FakeBackend)

    // Listens on the address and port (port 0: a free one, kept for later restarts). On failure returns
    // false and puts a sentence naming the address and port into *error.
    bool start(QString* error = nullptr);
    // Stops listening and closes every open connection.
    void stop();

    bool isListening() const { return m_listening.load(); }
    // The operator wants it running (it may still refuse connections through the refuse fault).
    bool isStarted() const { return m_started.load(); }
    QString name() const { return m_name; }
    QHostAddress address() const { return m_address; }
    quint16 port() const { return m_port.load(); }

    FaultProfile faults() const;
    // Applies to the next request; switching `refuse` closes or reopens the listening socket.
    void setFaults(const FaultProfile& faults);

    const FakeBackendCounters& counters() const { return m_counters; }

Q_SIGNALS:
    // Emitted in the thread that called start(), stop() or setFaults().
    void listeningChanged(bool listening);

private:
    friend class FakeBackendServer;
    friend class FakeBackendConnection;
    bool listenOnThread(QString* error);
    void closeOnThread();

    const QString m_name;
    const QHostAddress m_address;
    std::atomic<quint16> m_port;
    std::atomic<bool> m_listening{false};
    std::atomic<bool> m_started{false};
    mutable QMutex m_faultsMutex;
    FaultProfile m_faults;
    FakeBackendCounters m_counters;
    ServiceQueue m_service{m_counters}; // used on m_thread only
    QThread* m_thread = nullptr;
    FakeBackendServer* m_server = nullptr; // lives on m_thread
};

} // namespace lab
