#pragma once

#include "config/LabConfig.h"
#include "metrics/EventLog.h"
#include "metrics/Metrics.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <memory>
#include <optional>
#include <vector>

namespace lab {

class ActiveHealthChecker;
class BackendPool;
class FakeBackend;
class Proxy;
struct Backend;
} // namespace lab
class QTimer;
namespace lab {

// A running lab: the configuration plus everything it starts in-process: embedded fake backends, the
// backend pool and a proxy per HTTP listener. The window and `balancer-lab serve` both drive one Lab.
// Lives on the thread that created it (the GUI or main thread); the things it starts run on threads of
// their own. Every change an operator makes goes through here, is applied live, is kept in config() (so
// File > Save writes what runs) and is told to the event log.
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

    EventLog& events() const { return *m_events; }
    // Logs an operator-level event. Every event (also those from proxy workers and health checks) is
    // re-emitted as eventLogged within ~100 ms, on the lab's thread, for the headless command.
    void logEvent(LabEvent::Kind kind, const QString& text);
    ActiveHealthChecker* healthChecker() const { return m_checker.get(); }

    // ---- backends -----------------------------------------------------------------------------------
    int backendCount() const { return int(m_config.backends.size()); }
    const BackendConfig& backendConfig(int index) const { return m_config.backends[index]; }
    // nullptr for an external backend.
    FakeBackend* embeddedBackend(int index) const { return m_embedded[size_t(index)].get(); }
    // The proxy's view of the backend (live weight, draining, in-flight requests); null for an embedded
    // backend configured on port 0 that has not been started yet.
    std::shared_ptr<Backend> poolBackend(int index) const { return m_pooled[size_t(index)]; }
    int indexOf(const QString& name) const;

    // Starts every embedded backend, then a proxy on every listener. When any port fails, stops what did
    // start and returns false with a sentence per failed port ("; "-separated) in *error: a second copy
    // of a running lab names every port in use, not only the first.
    bool start(QString* error);
    // Starts every embedded backend. When any fails, stops the ones started and returns false with a
    // sentence naming each failed port in *error.
    bool startEmbeddedBackends(QString* error);
    void stopAll();
    bool startBackend(int index, QString* error);
    void stopBackend(int index);

    // Embedded backends added from the window take the next free port from this base upwards (default
    // 8001, like the default lab); 0 means any free port (tests).
    void setEmbeddedPortBase(int port) { m_portBase = port; }
    // Adds and starts an embedded backend; returns its row or -1 with a sentence in *error.
    int addEmbeddedBackend(QString* error);
    // Adds an external backend (host:port reached over the network); returns its row or -1.
    int addExternalBackend(const QString& host, int port, QString* error);
    void removeBackend(int index);

    void setWeight(int index, int weight);
    void setFaults(int index, const FaultProfile& faults);
    // Draining: no new requests go to the backend; requests in flight finish.
    void setDraining(int index, bool draining);
    bool isDraining(int index) const;
    // Stops an embedded backend after draining it: no new requests, and the ones in flight get up to
    // drainMs to finish (0: stop at once). True when it stopped right away (nothing was in flight).
    bool drainAndStop(int index, int drainMs);
    bool isStopping(int index) const;
    // Active-check settings: the lab's defaults, and one backend's own (nullopt: the lab's).
    void setHealthDefaults(const HealthConfig& config);
    void setBackendHealth(int index, const std::optional<HealthConfig>& config);

    // ---- proxy ----------------------------------------------------------------------------------------
    // Starts a proxy on every listener. False with a sentence naming each failed port in *error (the
    // proxies that did start are stopped).
    bool startProxies(QString* error);
    // Stops accepting and lets requests in flight finish for up to timeoutMs.
    void stopProxies(int timeoutMs = 5000);
    bool proxiesRunning() const;
    const std::vector<std::unique_ptr<Proxy>>& proxies() const { return m_proxies; }
    // The proxy of the first HTTP listener, whatever its place in the list: the one the console, the
    // traffic generator and the trace talk to. Null when the lab has no HTTP listener (TCP relays only)
    // or its proxies were never started.
    Proxy* httpProxy() const;
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

    // Every proxy's metrics summed, one entry per backend in the pool. Cheap: ~10 calls a second.
    MetricsSnapshot snapshot() const;

Q_SIGNALS:
    // A line for the event log ("backend-8002 stopped by the operator").
    void eventLogged(const QString& text);
    void backendStateChanged(int index);
    void backendInserted(int index);
    void backendRemoved(int index);
    void labReset();
    void proxyStateChanged();

private:
    void build();
    void housekeeping();
    void startChecking();
    void applyProxySettings();
    bool registerInPool(int index, QString* error);
    // Try every embedded backend / every listener; one sentence naming the port per failure (empty: all
    // up). On a failure the backends started are stopped, and so are the proxies.
    QStringList startBackendsNamingFailures();
    QStringList startProxiesNamingFailures();
    QString uniqueName(const QString& base) const;
    // Adds a row to the config, the embedded list and the pool together; -1 (and nothing added) on failure.
    int appendBackend(const BackendConfig& c, std::unique_ptr<FakeBackend> fake, QString* error);

    LabConfig m_config;
    std::shared_ptr<EventLog> m_events;
    std::vector<std::unique_ptr<FakeBackend>> m_embedded; // parallel to m_config.backends
    std::vector<std::shared_ptr<Backend>> m_pooled; // parallel to m_config.backends
    std::shared_ptr<BackendPool> m_pool;
    std::vector<std::unique_ptr<Proxy>> m_proxies;
    std::unique_ptr<ActiveHealthChecker> m_checker;
    QTimer* m_housekeeping;
    quint64 m_forwardedEvent = 0;
    QHash<QString, qint64> m_stopping; // backend name -> drain deadline (steady ms)
    QSet<QString> m_drainReported;
    int m_portBase = 8001;
    bool m_checking = false;
};

} // namespace lab
