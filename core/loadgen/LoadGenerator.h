#pragma once

#include "loadgen/UserTraffic.h"
#include "metrics/Metrics.h"

#include <QByteArray>
#include <QHostAddress>
#include <QMap>
#include <QMutex>
#include <QObject>
#include <QString>
#include <atomic>

class QThread;

namespace lab {

class LoadRun;

// What to send: a bounded burst of HTTP/1.1 requests over keep-alive connections.
struct LoadSpec {
    static constexpr int kMaxConcurrency = 1000;
    static constexpr int kMaxDurationMs = 10 * 60 * 1000;
    static constexpr int kConnectTimeoutMs = 2000;
    // finish(): how long the requests in flight get to be answered after the user stops the traffic.
    static constexpr int kStopGraceMs = 5000;

    QHostAddress address = QHostAddress::LocalHost;
    quint16 port = 8000;
    // Where the plain client's connections come from (a loopback address such as 127.0.0.20, so a rate
    // limit or ip-hash sees this run as its own client); null: the system's choice. Users bind their own.
    QHostAddress sourceAddress;
    QByteArray method = "GET";
    QByteArray path = "/";
    QByteArray body; // sent with Content-Length when non-empty
    int concurrency = 10; // connections, each with one request in flight
    int ratePerSecond = 0; // 0: closed loop, each connection sends its next request as soon as the last is answered
    int durationMs = 10'000; // the run always ends by itself (at most kMaxDurationMs)
    quint64 maxRequests = 0; // 0: until the duration ends
    // Simulated users (users.count >= 2): one connection per user, so concurrency is not used; in rate
    // mode the users' arrivals follow users.arrival, in closed loop each user sends, waits for its
    // answer, thinks users.thinkMs and sends again.
    UserSpec users;

    // Empty when the spec is usable; else one sentence naming the field and what is allowed.
    QString validate() const;
};

// Where a run stands. A plain copy, taken as often as the window likes.
struct LoadTotals {
    bool running = false;
    bool stoppedByUser = false; // the run ended by stop() or finish(), not at its duration or request count
    qint64 elapsedMs = 0;
    qint64 durationMs = 0;
    quint64 sent = 0;
    quint64 completed = 0; // a whole response arrived
    std::array<quint64, 6> byClass{}; // [1..5] = 1xx..5xx of completed responses
    quint64 socketErrors = 0; // requests sent that got no response (= resets + cut)
    quint64 resets = 0; // requests whose connection was closed or reset before the answer
    quint64 cut = 0; // requests still unanswered 2 s after the run's duration ended by itself
    // Requests in flight when someone stopped the run (stop(), or finish() whose grace ran out): the user
    // ended them, so they are not failures and not in socketErrors.
    quint64 cancelled = 0;
    quint64 refused = 0; // connection attempts refused: nothing listens on the target port
    quint64 connectTimeouts = 0; // connection attempts without an answer within kConnectTimeoutMs
    quint64 connectErrors = 0; // other failed connection attempts (unreachable, ...)
    QString lastError; // the last socket error, as the system said it ("Connection refused")
    quint64 notSent = 0; // rate mode: the moment came but no connection was ready (busy or failing)
    QMap<QString, quint64> byBackend; // X-Served-By of completed responses
    QMap<int, quint64> byStatus; // completed responses by status code (429 from a rate limit, ...)
    // Simulated users only: user ("u3") → backend → completed responses, and the backend of each user's
    // latest answer (what the hash view compares before and after a change).
    QMap<QString, QMap<QString, quint64>> byUser;
    QMap<QString, QString> lastBackendOfUser;
    // Simulated users only: the backend of each path's latest answer and the answers per path (the keys
    // of a "path" hash key), for the first kMaxTrackedPaths distinct paths of the run.
    static constexpr int kMaxTrackedPaths = 1000;
    QMap<QString, QString> lastBackendOfPath;
    QMap<QString, quint64> answersOfPath;
    LatencySummary latency;

    quint64 finishedRequests() const { return completed + socketErrors; }
    quint64 failedConnects() const { return refused + connectTimeouts + connectErrors; }
    double progress() const { return durationMs > 0 ? qMin(1.0, double(elapsedMs) / double(durationMs)) : 0; }
};

// The lab's built-in traffic generator, so charts move without any outside tool. Runs on a thread of its
// own with its own sockets; the caller (the window) reads totals() on a timer and gets finished() once.
// Every run stops by itself: after durationMs, or after maxRequests, whichever comes first; requests in
// flight at the end get up to two seconds to finish, then are cut and counted as socket errors. A run the
// user stops is not a failure: finish() lets what is in flight be answered, and what stop() (or the end
// of finish()'s grace) aborts is counted as cancelled, apart from the socket errors. A target
// that refuses, resets or never answers connections is counted and named in the totals, not mistaken for
// a slow one.
class LoadGenerator final : public QObject {
    Q_OBJECT
public:
    explicit LoadGenerator(QObject* parent = nullptr);
    ~LoadGenerator() override;
    Q_DISABLE_COPY_MOVE(LoadGenerator)

    // False with a sentence in *error when the spec is invalid or a run is going.
    bool start(const LoadSpec& spec, QString* error = nullptr);
    // Ends the run now (blocks until its connections are closed); requests in flight are cancelled.
    void stop();
    // Stops sending now and lets the requests in flight be answered, for up to kStopGraceMs; those still
    // unanswered then are cancelled. Returns at once; finished() comes when the last one is done.
    void finish();
    // A run going keeps sending for at least `moreMs` from now (at most kMaxDurationMs from now), so a
    // caller that does not know how long it is needed never sees a gap; it still ends by itself.
    // Nothing when no run is going or it already stopped sending.
    void extend(int moreMs);
    bool isRunning() const { return m_running.load(); }
    // finish() was called and the run waits for its last answers.
    bool isFinishing() const { return m_running.load() && m_finishing.load(); }
    LoadTotals totals() const;

Q_SIGNALS:
    // Once per run, from the generator's thread.
    void finished();

private:
    friend class LoadRun;
    struct Shared;
    std::unique_ptr<Shared> m_shared;
    std::atomic<bool> m_running{false};
    std::atomic<bool> m_finishing{false};
    QThread* m_thread;
    LoadRun* m_run = nullptr; // lives on m_thread
};

} // namespace lab
