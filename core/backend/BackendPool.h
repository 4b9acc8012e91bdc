#pragma once

#include "backend/Backend.h"
#include "backend/BackendIds.h"
#include "balancing/Balancer.h"
#include "config/LabConfig.h"
#include "health/CircuitBreaker.h"
#include "health/Eligibility.h"
#include "health/OutlierDetector.h"
#include "util/Clock.h"

#include <QMutex>
#include <QString>
#include <atomic>
#include <memory>
#include <random>
#include <span>
#include <vector>

namespace lab {

class EventLog;

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
// every worker advances the same cursor and a learner sees the textbook order). Nothing slow happens
// under that lock: the ring-hash and maglev tables are rebuilt after add(), remove(), setWeight() and
// setAlgorithm() on the caller's thread with the lock released, and published whole (Balancer::rebuild);
// a sampled request's explanation is recorded as numbers under the lock and formatted after it.
//
// Which backends may take a request is decided by classify() (health/Eligibility.h), for pick() and
// pickByName() alike, and the window's board reads the same function. The passive verdicts live in
// health/: OutlierDetector (ejection), SlowStart, CircuitBreaker; the pool feeds them outcomes and time
// and publishes what they change (timeline marks, events). Time is read only from the injected Clock.
//
// Circuit breakers are run through health/BackendBreaker (locking and publication in one place).
class BackendPool final {
public:
    // Ids index per-worker metrics; a pool hands out at most this many over its life (see BackendIds.h).
    static constexpr int kMaxBackends = kMaxBackendIds;
    // After a refused connection a backend is skipped for this long (passive check), then tried again.
    static constexpr int kPassiveHoldMs = 2000;

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
    // Hash-based algorithms take their key as `hashKey` says; their table is built before the swap.
    bool setAlgorithm(const QString& algorithm, const HashKeySpec& hashKey = {});
    // The operator's weight for `b` (a member). The only writer of Backend::weight after add(): the
    // table-based algorithms rebuild for it (a direct write is noticed by the next pick, which then asks
    // for a rebuild, but keys move one pick late).
    void setWeight(Backend& b, int weight);
    // How many lookup tables the current algorithm has built (0 for those without one): one per change
    // of membership or weight, never one per pick.
    quint64 tableBuilds() const;

    // Picks a backend for a request that has already tried `tried` (ids), by classify(): among the
    // Preferred ones (a backend in slow start after a coin with its ramp's odds); when none is left, among
    // the Fallback ones (ejected or held: it may be back) rather than failing. In panic (fewer than half
    // healthy) the probes' verdict is ignored. Returns an empty ticket when none is left.
    // The ticket takes a half-open trial slot when the backend is half-open; its outcome gives it back.
    // With context.avoidedKeepTheirTurn (HAProxy's retry rule) the balancer is also given the rotation
    // the pick would have without `tried` (PickContext::rotation), so it can use up an avoided turn.
    AttemptTicket pick(const PickContext& context, std::span<const int> tried);
    // The backend named by a sticky cookie, if pick() would prefer it now (the same rules: Preferred by
    // classify(), slow start's coin, a free trial slot) and it was not tried yet; else an empty ticket
    // and the caller picks normally.
    AttemptTicket pickByName(const QString& name, std::span<const int> tried);
    // Whether the pool routes in panic now (panicRouting() over the enabled backends), and the backend's
    // eligibility by that: what the board shows.
    bool panicNow() const;
    Eligibility eligibility(const Backend& b) const;

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
    // The clock that picks, outcomes, holds and housekeeping read (tests pass a ManualClock). Set it
    // before any traffic; the default is Clock::steady().
    void setClock(std::shared_ptr<const Clock> clock);
    std::shared_ptr<const Clock> clock() const;
    qint64 now() const { return m_clock->nowMs(); }
    // A response's latency, fed to least-latency's peak EWMA (LeastLatency::observe owns the rule).
    static void reportLatency(Backend& b, double ms, qint64 nowMs);
    // The backend just became usable again (probes passed, ejection over): ramp its share up.
    void beginSlowStart(Backend& b, qint64 nowMs);
    // The active probes say it works again: that outweighs an ejection (as Envoy does by default), so
    // it ends now and slow start begins.
    void probesPassed(Backend& b, qint64 nowMs);
    // 0.1..1: the share of picks a backend in slow start gets relative to a settled one.
    double slowStartFactor(const Backend& b, qint64 nowMs) const;
    // Timed transitions (ejection over, breaker half-open or trials forgotten, slow start done), logged
    // as they happen. Called ~10 times a second by the health checker's thread.
    void housekeeping(qint64 nowMs);
    // The event an ejection's end logs: "back in rotation", or why it stays out (probes, circuit, drain).
    static QString ejectionOverText(const Backend& b, qint64 nowMs);

private:
    friend class AttemptTicket;
    // The outcome of one attempt on real traffic (from its ticket). A success or failure feeds the
    // consecutive-failure count (ejection) and the circuit breaker; abandoned only frees a trial slot.
    void finishAttempt(Backend& b, CircuitBreaker::Trial trial, bool success, bool abandoned,
                       const QString& failureReason);
    // Panic routing by the enabled backends now; logs when it starts or ends. Called with m_mutex held.
    bool updatePanic();
    // How pick() treats `b` now (classify(), the breaker's slots, slow start's coin); `tried` ones are
    // Excluded. Called with m_mutex held.
    PickTier tierFor(Backend& b, qint64 nowMs, bool panic, std::span<const int> tried);
    void onFailure(Backend& b, qint64 nowMs, const QString& reason);
    void log(const QString& text) const;
    BackendPtr addLocked(const BackendConfig& config, QString* error);
    // Builds the current balancer's table for the current members, with m_mutex released. `wait`: after
    // a change (the rebuild must see it); a pick that found the table stale does not wait when another
    // rebuild is running (that one, or the next pick, catches up).
    void rebuildTable(bool wait);
    // The build itself, with m_rebuildMutex held by the caller. `onlyIfStale`: a pick asked for it, and a
    // change's own rebuild may have caught up since.
    void buildTableLocked(bool onlyIfStale = false);

    mutable QMutex m_mutex;
    QMutex m_rebuildMutex; // serialises rebuilds; never taken while m_mutex is held
    std::vector<BackendPtr> m_backends;
    std::vector<BackendPtr> m_housekeepingCopy; // housekeeping()'s, on its one thread
    std::shared_ptr<Balancer> m_balancer; // shared: a rebuild outside m_mutex keeps its balancer alive
    int m_nextId = 0;
    std::shared_ptr<EventLog> m_events;
    OutlierDetector m_outlier; // guarded by m_mutex
    BreakerConfig m_breakerConfig; // guarded by m_mutex
    std::atomic<int> m_slowStartMs{0};
    std::mt19937 m_random{12345}; // slow-start admission, guarded by m_mutex
    bool m_panic = false; // guarded by m_mutex
    std::shared_ptr<const Clock> m_clock = Clock::steady(); // set before traffic, then only read
};

} // namespace lab
