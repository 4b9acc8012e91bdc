#pragma once

#include "ExperimentWorkload.h"

#include <QHostAddress>
#include <QObject>
#include <QStringList>
#include <atomic>
#include <memory>
#include <vector>

class QThread;

namespace lab {

class DriverRun;

// What became of one planned request, as the client saw it.
struct RequestOutcome {
    enum class Failure : quint8 {
        None, // a whole response arrived (any status)
        Reset, // the connection closed or reset before the whole response
        Timeout, // no whole response within the workload's requestTimeoutMs of its arrival
        Connect, // the connection it was to go on could not be made
    };
    Failure failure = Failure::None;
    int status = 0; // 0 without a response
    double latencyMs = 0; // from its planned arrival to the last byte of the response
    double sendLagMs = 0; // how late after its planned arrival it was written (the driver's own delay)
    int backend = -1; // index into WorkloadDriver::backendNames() (X-Served-By); -1: none named
    double serviceMs = -1; // X-Lab-Service-Ms / X-Lab-Wait-Ms of the serving backend; -1: not said
    double waitMs = -1;
    // With echo on: what the backend said it received (its JSON echo): path, X-Lab-User, X-Lab-Cost-Ms,
    // and who it is (server_id; empty for an answer the proxy wrote).
    QByteArray echoServer;
    QByteArray echoPath;
    QByteArray echoUser;
    QByteArray echoCost;
};

// An open-loop client for an experiment: sends each planned request at its planned time whatever became
// of the earlier ones (a Poisson stream stays Poisson when the system is slow, as queueing theory
// assumes; a closed-loop client would slow down with it). Each request goes on an idle keep-alive
// connection of its user, or a new one; simulated users connect from their own loopback addresses like
// the traffic generator's (loadgen/UserTraffic.h). At most kMaxConnections are open; past that a request
// waits for one and its wait shows in its latency and sendLagMs. Runs on a thread of its own; every run
// ends by itself: each request is answered or given up after requestTimeoutMs.
class WorkloadDriver final : public QObject {
    Q_OBJECT
public:
    static constexpr int kMaxConnections = 1000;
    static constexpr int kWarmUpMs = 3000; // the longest wait for the first connections before the clock starts

    struct Options {
        QHostAddress address = QHostAddress::LocalHost;
        quint16 port = 0;
        int users = 0; // >= 2: simulated users (own addresses, X-Lab-User)
        QByteArray method = "GET";
        int requestTimeoutMs = 30'000;
        bool echo = false; // read the backend's JSON echo of each request (RequestOutcome::echo*)
    };

    explicit WorkloadDriver(QObject* parent = nullptr);
    ~WorkloadDriver() override;
    Q_DISABLE_COPY_MOVE(WorkloadDriver)

    // False when a run is going. The run opens its first connections, then starts its clock (started())
    // and sends each request at its time.
    bool start(std::vector<PlannedRequest> plan, const Options& options);
    // Ends the run now; requests not answered count as timeouts. Blocks until its sockets are closed.
    void stop();
    bool isRunning() const { return m_running.load(); }
    quint64 sent() const { return m_sent.load(std::memory_order_relaxed); }
    quint64 finished() const { return m_finished.load(std::memory_order_relaxed); }
    quint64 total() const { return m_total.load(std::memory_order_relaxed); }

    // After done(): one outcome per planned request, in plan order, and the backends they name.
    const std::vector<RequestOutcome>& outcomes() const { return m_outcomes; }
    const QStringList& backendNames() const { return m_backendNames; }
    // After done(): how long from the clock's start to the last request's end.
    double elapsedMs() const { return m_elapsedMs; }

Q_SIGNALS:
    // From the driver's thread: the clock started (the first request goes at its planned time from now).
    void started();
    // From the driver's thread, once per run: every request is answered or given up.
    void done();

private:
    friend class DriverRun;
    std::atomic<bool> m_running{false};
    std::atomic<quint64> m_sent{0};
    std::atomic<quint64> m_finished{0};
    std::atomic<quint64> m_total{0};
    std::vector<RequestOutcome> m_outcomes; // written by the run before done(), read after
    QStringList m_backendNames;
    double m_elapsedMs = 0;
    QThread* m_thread;
    DriverRun* m_run = nullptr; // lives on m_thread
};

} // namespace lab
