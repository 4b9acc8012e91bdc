#pragma once

#include "config/LabConfig.h"
#include "lab/BackendId.h"
#include "lab/DrainThenStop.h"
#include "metrics/EventLog.h"
#include "metrics/Metrics.h"
#include "proxy/StepGate.h"

#include <QObject>
#include <QSet>
#include <memory>
#include <optional>
#include <vector>

namespace lab {

class ActiveHealthChecker;
class BackendPool;
class FakeBackend;
class LabBackends;
class LabProxies;
class Proxy;
class LifecycleStream;
struct Backend;
} // namespace lab
class QTimer;
namespace lab {

// A running lab: the configuration plus everything it starts in-process: embedded fake backends, the
// backend pool and a proxy per HTTP listener. The window and `balancer-lab serve` both drive one Lab.
// Lives on the thread that created it (the GUI or main thread); the things it starts run on threads of
// their own. Every change an operator makes goes through here, is applied live, is kept in config() (so
// File > Save writes what runs) and is told to the event log.
//
// Backends are addressed by BackendId, never by a row: their records live in LabBackends, graceful stops
// in DrainThenStop, and the board maps its rows to ids. Proxies (LabProxies) stop asynchronously:
// stopProxies() returns at once and proxiesStopped() follows, so the GUI thread never waits for a slow
// request.
class Lab final : public QObject {
    Q_OBJECT
public:
    explicit Lab(LabConfig config, QObject* parent = nullptr);
    ~Lab() override;
    Q_DISABLE_COPY_MOVE(Lab)

    const LabConfig& config() const { return m_config; }
    // Replaces the whole lab (File > Open): stops everything, rebuilds from `config`, emits labReset().
    // The caller then starts backends and proxies again.
    void load(LabConfig config);
    // Live reload (`serve` on SIGHUP, File > Reload; LabReload.h): applies `next` to the running lab without
    // dropping a connection. Backends are matched by name: new ones start and join the pool, removed ones
    // leave rotation at once and go when their requests in flight are done (up to kReloadDrainMs), changed
    // ones take their new weight, faults and checks; algorithm and settings apply on the next pick or
    // request, and a listener whose address changed re-binds. *summary gets the event's line ("reload:
    // +backend-8004, -backend-8002, algorithm round-robin → least-connections"). False with a sentence in
    // *error when the config cannot be applied live (nothing changed then) or a part of it failed (the rest
    // is applied, and the summary says what was not).
    bool reload(const LabConfig& next, QString* summary, QString* error);
    static constexpr int kReloadDrainMs = 30000;

    EventLog& events() const { return *m_events; }
    // Logs an operator-level event. Every event (also those from proxy workers and health checks) is
    // re-emitted as eventLogged within ~100 ms, on the lab's thread, for the headless command.
    void logEvent(LabEvent::Kind kind, const QString& text);
    ActiveHealthChecker* healthChecker() const { return m_checker.get(); }

    // ---- backends (by id; the order is the board's and the saved config's) ----------------------------
    int backendCount() const;
    QList<BackendId> backendIds() const;
    // An invalid id when no backend has that name.
    BackendId idOf(const QString& name) const;
    bool hasBackend(BackendId id) const;
    // Precondition: hasBackend(id).
    const BackendConfig& backendConfig(BackendId id) const;
    // nullptr for an external backend (or an id not in the lab).
    FakeBackend* embeddedBackend(BackendId id) const;
    // The proxy's view of the backend (live weight, draining, in-flight requests); null for an embedded
    // backend configured on port 0 that has not been started yet.
    std::shared_ptr<Backend> poolBackend(BackendId id) const;

    // Starts every embedded backend, then a proxy on every listener. When any port fails, stops what did
    // start and returns false with a sentence per failed port ("; "-separated) in *error: a second copy
    // of a running lab names every port in use, not only the first.
    bool start(QString* error);
    // Starts every embedded backend. When any fails, stops the ones started and returns false with a
    // sentence naming each failed port in *error.
    bool startEmbeddedBackends(QString* error);
    void stopAll();
    bool startBackend(BackendId id, QString* error);
    // Stops at once (a drain under way for it is dropped).
    void stopBackend(BackendId id);

    // Embedded backends added from the window take the next free port from this base upwards (default
    // 8001, like the default lab); 0 means any free port (tests).
    void setEmbeddedPortBase(int port) { m_portBase = port; }
    // Adds and starts an embedded backend; returns its id, or an invalid one with a sentence in *error.
    // Named `name` when given (a lesson's "as"; made unique if the lab has it), else after its port.
    BackendId addEmbeddedBackend(QString* error, const QString& name = {});
    // Adds an external backend (host:port reached over the network); returns its id or an invalid one.
    BackendId addExternalBackend(const QString& host, int port, QString* error);
    void removeBackend(BackendId id);

    void setWeight(BackendId id, int weight);
    // Applies every knob of `faults` at once and logs the ones that changed.
    void setFaults(BackendId id, const FaultProfile& faults);
    // Draining: no new requests go to the backend; requests in flight finish.
    void setDraining(BackendId id, bool draining);
    bool isDraining(BackendId id) const;
    // Stops an embedded backend after draining it (DrainThenStop): no new requests, and the ones in
    // flight get up to drainMs to finish (0: stop at once). True when it stopped right away.
    bool drainAndStop(BackendId id, int drainMs);
    bool isStopping(BackendId id) const;
    // The traffic generator's settings (the window's Traffic tab), kept in config() so File > Save writes
    // the workload with the lab. Nothing runs differently: only the generator reads them, when it starts.
    void setTraffic(const TrafficConfig& traffic);
    // Active-check settings: the lab's defaults, and one backend's own (nullopt: the lab's).
    void setHealthDefaults(const HealthConfig& config);
    void setBackendHealth(BackendId id, const std::optional<HealthConfig>& config);

    // ---- proxy ----------------------------------------------------------------------------------------
    // Starts a proxy on every listener. False with a sentence naming each failed port in *error (the
    // proxies that did start are stopped).
    bool startProxies(QString* error);
    // Every proxy stops accepting before this returns; requests in flight get up to timeoutMs to finish
    // on the proxies' threads, then proxiesStopped() is emitted (once, when the last one is done).
    void stopProxies(int timeoutMs = 5000);
    // The blocking form, for `serve`'s SIGTERM path and File > Open: returns when every proxy has
    // stopped (it waits on each proxy's condition; it does not poll).
    void stopProxiesAndWait(int timeoutMs);
    bool proxiesRunning() const;
    // Some proxy is between stopProxies() and the end of its stop.
    bool proxiesStopping() const;
    const std::vector<std::unique_ptr<Proxy>>& proxies() const;
    // The proxy of the first HTTP listener, whatever its place in the list: the one the console, the
    // traffic generator and the trace talk to. Null when the lab has no HTTP listener (TCP relays only)
    // or its proxies were never started.
    Proxy* httpProxy() const;
    // That proxy's request lifecycle events (the flow view reads them); null when there is none.
    LifecycleStream* lifecycle() const;
    // Step mode on every HTTP proxy (StepGate): requests in scope wait before their pick until
    // stepOnce() lets the oldest held one go (false when none waits); Off releases them all. Proxies
    // started later begin with Off.
    void setStepScope(StepScope scope);
    StepScope stepScope() const;
    bool stepOnce();
    QList<HeldRequest> heldRequests() const;
    bool hasHttpListener() const;
    std::shared_ptr<BackendPool> pool() const { return m_pool; }

    bool setAlgorithm(const QString& algorithm, QString* error);
    // Where ring-hash and maglev take their key: client, path, header:NAME, cookie:NAME.
    bool setHashKey(const QString& hashKey, QString* error);
    bool setSticky(const StickyConfig& sticky, QString* error);
    // Retries, retry conditions, timeouts and the first HTTP listener's address, applied to running
    // proxies at once (a new address re-listens). False with a sentence in *error.
    bool setProxyOptions(const RetryConfig& retry, const TimeoutsConfig& timeouts, const ListenerConfig& listener,
                         QString* error);

    // The per-client token bucket (429 over it), applied to running proxies at once. False with a sentence.
    bool setRateLimit(const RateLimitConfig& rateLimit, QString* error);

    // Outlier ejection and the circuit breaker (LabReload.cpp), applied to the pool at once: its next pick
    // uses them. False with the key and its range in *error when a value is outside the schema's.
    bool setPassiveHealth(const OutlierConfig& outlier, const BreakerConfig& breaker, QString* error);

    // Every proxy's metrics summed, one entry per backend in the pool. Cheap: ~10 calls a second.
    MetricsSnapshot snapshot() const;

Q_SIGNALS:
    // A line for the event log ("backend-8002 stopped by the operator").
    void eventLogged(const QString& text);
    void backendStateChanged(lab::BackendId id);
    // Added at backendIds().indexOf(id) (the end, today).
    void backendInserted(lab::BackendId id);
    // Already gone from backendIds() when this is emitted.
    void backendRemoved(lab::BackendId id);
    void labReset();
    void proxyStateChanged();
    // The stop begun by stopProxies() is over for every proxy.
    void proxiesStopped();

private:
    void build();
    void housekeeping();
    void startChecking();
    // Tries every embedded backend; one sentence naming the port per failure (empty: all up). On a
    // failure the backends started are stopped.
    QStringList startBackendsNamingFailures();
    void onDrainStopped(BackendId id, DrainThenStop::Outcome outcome, int cutOff);
    // Mirrors the records' configs into m_config.backends, so config() is what runs.
    void publishBackends();
    // Reload's parts (LabReload.cpp): a backend exactly as configured, and a removal after a drain.
    BackendId addConfiguredBackend(const BackendConfig& config, QString* error);
    void removeAfterDrain(BackendId id);

    LabConfig m_config;
    std::shared_ptr<EventLog> m_events;
    LabBackends* m_backends;
    DrainThenStop* m_drain;
    LabProxies* m_proxies;
    std::shared_ptr<BackendPool> m_pool;
    std::unique_ptr<ActiveHealthChecker> m_checker;
    QTimer* m_housekeeping;
    quint64 m_forwardedEvent = 0;
    QSet<BackendId> m_drainReported;
    QList<BackendId> m_housekeepingIds;
    QSet<BackendId> m_removeAfterDrain; // reloaded away: removed when their drain is over
    int m_portBase = 8001;
    bool m_checking = false;
};

} // namespace lab
