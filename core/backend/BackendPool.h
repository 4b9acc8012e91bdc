#pragma once

#include "backend/BackendIds.h"
#include "balancing/Balancer.h"
#include "config/LabConfig.h"
#include "health/CircuitBreaker.h"

#include <QByteArray>
#include <QMutex>
#include <QString>
#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <span>
#include <vector>

namespace lab {

class EventLog;
qint64 steadyNowMs();

// One mark on a backend's health timeline (what the window draws: probe ticks and state bands).
struct HealthMark {
    enum class Kind {
        ProbePassed,
        ProbeFailed,
        Down,
        Up,
        Ejected,
        Returned,
        BreakerOpen,
        BreakerHalfOpen,
        BreakerClosed,
        SlowStart
    };
    qint64 atMs = 0; // steady clock
    Kind kind = Kind::ProbePassed;
};

// A backend as the proxy sees it: fixed identity and address, plus live state written from any thread.
// Three verdicts are kept apart and combined only when picking: "enabled" is the operator's choice
// (false = draining); "healthy" is the active probes'; "ejected" / the circuit breaker / the short
// passive hold after a refused connection are the proxy's own verdicts from real traffic.
struct Backend {
    int id = 0; // index for per-worker metrics; never reused within a pool
    QString name;
    QByteArray nameUtf8;
    QString host;
    quint16 port = 0;
    QByteArray hostHeader; // "host:port", sent when the client gave no Host (HTTP/1.0)

    std::atomic<int> weight{1};
    std::atomic<bool> enabled{true}; // false: draining (no new requests; in-flight ones finish)
    std::atomic<qint64> passiveDownUntilMs{0}; // steady-clock ms; skipped until then
    std::atomic<int> activeRequests{0}; // in flight on any worker
    std::atomic<bool> healthy{true}; // the active checks' verdict
    std::atomic<qint64> ejectedUntilMs{0}; // outlier detection: not picked until then
    std::atomic<int> ejections{0}; // how many times so far (the next one lasts longer)
    std::atomic<int> consecutiveFailures{0}; // on real traffic, reset by any success
    std::atomic<bool> ejectionRefused{false}; // the max-ejection share kept it in; logged once, reset by a success
    std::atomic<qint64> slowStartSinceMs{0}; // ramping up since then; 0 = full share
    std::atomic<int> breakerState{0}; // CircuitBreaker::State, mirrored for lock-free readers
    std::atomic<double> latencyEwmaMs{0}; // peak EWMA of observed latency (least-latency)
    std::atomic<qint64> latencyUpdatedMs{0};

    mutable QMutex breakerMutex;
    CircuitBreaker breaker; // guarded by breakerMutex

    bool passivelyDown(qint64 nowMs) const { return passiveDownUntilMs.load(std::memory_order_relaxed) > nowMs; }
    bool ejected(qint64 nowMs) const { return ejectedUntilMs.load(std::memory_order_relaxed) > nowMs; }
    CircuitBreaker::State breakerNow() const
    {
        return CircuitBreaker::State(breakerState.load(std::memory_order_relaxed));
    }

    // The health timeline, bounded; any thread appends, the window reads.
    void mark(HealthMark::Kind kind, qint64 atMs);
    std::vector<HealthMark> marksSince(qint64 fromMs) const;

private:
    mutable QMutex m_timelineMutex;
    std::deque<HealthMark> m_timeline;
};

using BackendPtr = std::shared_ptr<Backend>;
class BackendPool;

// One attempt of one request on one backend, from the pick to its outcome: the only way an outcome
// reaches the pool's passive health (outlier count, circuit breaker). Every attempt reports exactly one
// outcome: succeeded(), failed() or abandon() (the first call counts, later ones do nothing); a ticket
// destroyed or overwritten without one reports "abandoned", which frees a half-open trial slot without
// counting for or against the backend. Move-only; an empty ticket (no backend picked) is false.
// Precondition: the pool outlives its tickets (sessions end before their proxy lets the pool go).
class AttemptTicket final {
public:
    AttemptTicket() = default;
    AttemptTicket(BackendPool* pool, BackendPtr backend, CircuitBreaker::Trial trial);
    AttemptTicket(AttemptTicket&& other) noexcept;
    AttemptTicket& operator=(AttemptTicket&& other) noexcept;
    ~AttemptTicket();
    AttemptTicket(const AttemptTicket&) = delete;
    AttemptTicket& operator=(const AttemptTicket&) = delete;

    explicit operator bool() const { return bool(m_backend); }
    Backend* operator->() const { return m_backend.get(); }
    const BackendPtr& backend() const { return m_backend; }
    CircuitBreaker::Trial trial() const { return m_trial; }
    bool pending() const { return m_backend && !m_done; } // picked, no outcome yet

    // Refused, reset, timed out or 5xx: a failure. Anything the backend answered otherwise: a success.
    void succeeded();
    void failed(const QString& reason);
    void abandon();

private:
    enum class Outcome { Success, Failure, Abandoned };
    void finish(Outcome outcome, const QString& reason = {});

    BackendPool* m_pool = nullptr;
    BackendPtr m_backend;
    CircuitBreaker::Trial m_trial;
    bool m_done = false;
};

// The set of backends behind one proxy and the balancer that picks among them. Thread-safe: workers
// pick under a short lock (the balancer's shared state — the round-robin cursor — lives behind it, so
// every worker advances the same cursor and a learner sees the textbook order).
//
// Circuit breakers: a breaker's state changes only under its backend's breakerMutex, and every change
// goes through publishBreaker(), which updates the lock-free mirror (Backend::breakerState), the timeline
// band and the event log in that same critical section. Time-driven changes happen in advanceBreaker(),
// called from pick/pickByName (when the mirror says not closed) and from housekeeping().
class BackendPool final {
public:
    // Ids index per-worker metrics; a pool hands out at most this many over its life (see BackendIds.h).
    static constexpr int kMaxBackends = kMaxBackendIds;
    // After a refused connection a backend is skipped for this long (passive check), then tried again.
    static constexpr int kPassiveHoldMs = 2000;
    // Below this share of healthy backends, unhealthy ones are tried too (panic routing).
    static constexpr int kPanicPercent = 50;

    BackendPool(const QList<BackendConfig>& backends, const QString& algorithm);
    ~BackendPool();
    Q_DISABLE_COPY_MOVE(BackendPool)

    // Adds a backend at the end of the rotation. Null with a sentence in *error when the name is taken or
    // the pool has used up its kMaxBackends ids (ids index per-worker metrics and are never reused).
    BackendPtr add(const BackendConfig& config, QString* error = nullptr);
    // How many more backends add() accepts: kMaxBackends minus every id handed out so far, removed
    // backends included. Callers that check before add() use this rule and idBudgetError()'s sentence.
    int idsLeft() const;
    static QString idBudgetError();
    // Takes a backend out of the pool. Requests already on it finish (they hold a reference).
    bool remove(const QString& name);
    // Swaps the balancing algorithm between two picks; false (and nothing changes) for an unknown name.
    // Hash-based algorithms take their key as `hashKey` says.
    bool setAlgorithm(const QString& algorithm, const HashKeySpec& hashKey = {});

    // Picks a backend for a request that has already tried `tried` (ids). Prefers backends that are
    // enabled, healthy, not ejected, not passively down and not held back by slow start; when only
    // held-back ones remain, tries one of them rather than failing (it may be back). In panic (fewer
    // than half healthy) the probes' verdict is ignored. Returns an empty ticket when none is left.
    // The ticket takes a half-open trial slot when the backend is half-open; its outcome gives it back.
    AttemptTicket pick(const PickContext& context, std::span<const int> tried);
    // The backend named by a sticky cookie, if it is fully eligible (enabled, healthy, circuit not
    // open, not ejected or held) and not tried yet; else an empty ticket and the caller picks normally.
    AttemptTicket pickByName(const QString& name, std::span<const int> tried);

    std::vector<BackendPtr> backends() const;
    BackendPtr byName(const QString& name) const;
    int size() const;
    QString algorithm() const;

    void markConnectFailure(Backend& b) const;
    void markSuccess(Backend& b) const;

    // ---- passive health: outlier ejection, circuit breaker, slow start --------------------------------
    void setEventLog(std::shared_ptr<EventLog> events);
    void setPassiveConfig(const OutlierConfig& outlier, const BreakerConfig& breaker, int slowStartMs);
    int slowStartMs() const { return m_slowStartMs.load(); }
    void setRandomSeed(quint32 seed);
    // The steady clock in ms that picks, outcomes and passive holds read (tests pass a manual one). Set it
    // before any traffic.
    void setClock(std::function<qint64()> nowMs);
    // A response's latency (least-latency's peak EWMA).
    static void reportLatency(Backend& b, double ms, qint64 nowMs);
    // The backend just became usable again (probes passed, ejection over): ramp its share up.
    void beginSlowStart(Backend& b, qint64 nowMs);
    // 0.1..1: the share of picks a backend in slow start gets relative to a settled one.
    double slowStartFactor(const Backend& b, qint64 nowMs) const;
    // Timed transitions (ejection over, breaker half-open or trials forgotten, slow start done), logged
    // as they happen. Called ~10 times a second by the health checker's thread.
    void housekeeping(qint64 nowMs);

private:
    friend class AttemptTicket;
    // The outcome of one attempt on real traffic (from its ticket). A success or failure feeds the
    // consecutive-failure count (ejection) and the circuit breaker; abandoned only frees a trial slot.
    void finishAttempt(Backend& b, CircuitBreaker::Trial trial, bool success, bool abandoned,
                       const QString& failureReason);
    // Whether the backend's circuit breaker lets a request through (after its timed transitions).
    // Lock-free while the breaker is closed.
    bool breakerAllows(Backend& b, qint64 nowMs);
    // Takes a half-open trial slot for a picked backend; round 0 when the breaker is closed (no lock).
    CircuitBreaker::Trial takeTrial(Backend& b, qint64 nowMs);
    // The breaker's timed transitions, published. Called with b.breakerMutex held.
    void advanceBreaker(Backend& b, qint64 nowMs);
    // The one place a breaker change becomes visible: the lock-free mirror, the timeline band and the
    // event. Called with b.breakerMutex held, right after the change. `detail` completes the event.
    void publishBreaker(Backend& b, CircuitBreaker::Change change, qint64 nowMs, const QString& detail = {});
    qint64 now() const { return m_clock ? m_clock() : steadyNowMs(); }
    void eject(Backend& b, qint64 nowMs, const QString& reason);
    void log(const QString& text) const;

    mutable QMutex m_mutex;
    std::vector<BackendPtr> m_backends;
    std::unique_ptr<Balancer> m_balancer;
    int m_nextId = 0;
    std::shared_ptr<EventLog> m_events;
    OutlierConfig m_outlier; // guarded by m_mutex
    BreakerConfig m_breakerConfig; // guarded by m_mutex
    std::atomic<int> m_slowStartMs{0};
    std::mt19937 m_random{12345}; // slow-start admission, guarded by m_mutex
    bool m_panic = false; // guarded by m_mutex
    std::function<qint64()> m_clock; // empty: steadyNowMs
};

} // namespace lab
