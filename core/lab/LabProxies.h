#pragma once

#include "config/LabConfig.h"
#include "metrics/Metrics.h"
#include "proxy/Proxy.h"
#include "proxy/StepGate.h"

#include <QObject>
#include <QSet>
#include <memory>
#include <vector>

namespace lab {

class BackendPool;
class EventLog;
class Proxy;

// The lab's proxies, one per listener in the config's order, over one backend pool. Starting is
// synchronous (a listener either listens or says why); stopping is not: stop() closes every listener
// before it returns and allStopped() follows once the last proxy's requests in flight have finished or
// been cut off, so the GUI thread never waits for a slow request. stopAndWait() is the blocking form for
// shutdown paths. Lives on the lab's thread; logs starts and stops to the lab's event log.
class LabProxies final : public QObject {
    Q_OBJECT
public:
    explicit LabProxies(std::shared_ptr<EventLog> events, QObject* parent = nullptr);
    ~LabProxies() override;
    Q_DISABLE_COPY_MOVE(LabProxies)

    // Starts a proxy on every listener of `config` (made on the first call, reused after a stop). False
    // with a sentence naming the listener and port in *error; the others are stopped again then.
    // Every listener is tried; each failure's sentence goes to *failures (when given), joined into *error.
    bool start(const LabConfig& config, const std::shared_ptr<BackendPool>& pool, QString* error,
               QStringList* failures = nullptr);
    void stop(int timeoutMs);
    void stopAndWait(int timeoutMs);
    // Drops every proxy (stopping them at once): before the pool they share is replaced.
    void clear();

    bool running() const;
    bool stopping() const { return !m_awaitingStop.isEmpty(); }
    const std::vector<std::unique_ptr<Proxy>>& all() const { return m_proxies; }
    Proxy* firstHttp() const;
    // Step mode on every HTTP proxy (Lab::setStepScope tells the rules); stepOnce() releases the request
    // that has waited longest across them.
    void setStepScope(StepScope scope);
    StepScope stepScope() const;
    bool stepOnce();
    QList<HeldRequest> heldRequests() const;
    // New settings for every running proxy from `config`; false with the first failure in *error.
    bool applySettings(const LabConfig& config, QString* error = nullptr);
    // A reload's listeners that come and go, matched by name against `running` (the listeners the proxies
    // run now, in order): a proxy whose listener is not in `next` stops (its requests in flight get
    // drainMs) and is deleted when its stop is over; a listener new in `next` gets a proxy, started when
    // the others run. Removals go first, so a new listener may take a port a removed one had. Returns the
    // listeners that now have a proxy, in next's order (the proxies follow it); a new one that cannot
    // listen is left out, with a sentence naming it and the port in *problems.
    QList<ListenerConfig> reconcile(const QList<ListenerConfig>& running, const LabConfig& next,
                                    const std::shared_ptr<BackendPool>& pool, int drainMs, QStringList* problems);
    // Lab::setProxyOptions' work: writes retries, timeouts and the first HTTP listener's address into
    // *config and applies them to the running proxies. *changes gets a phrase per changed part (empty
    // when nothing changed, or when an address that is not an IP was refused: false then).
    bool applyOptions(LabConfig* config, const RetryConfig& retry, const TimeoutsConfig& timeouts,
                      const ListenerConfig& listener, QStringList* changes, QString* error);

    // Validates `rateLimit`, stores it in `config` and applies it to every proxy (their buckets keep
    // their tokens), with a line in the event log. False with a sentence in *error; nothing changes then.
    bool setRateLimit(LabConfig& config, const RateLimitConfig& rateLimit, QString* error);
    // Every proxy's metrics summed, one entry per backend of `pool`.
    MetricsSnapshot snapshot(const BackendPool& pool) const;

Q_SIGNALS:
    void allStopped();

private:
    void onStopped(Proxy* proxy, int unfinished);
    void logStopped(const Proxy& proxy, int unfinished);
    void logListening(const ListenerConfig& l, const Proxy& proxy, const BackendPool& pool);
    Proxy* make(const LabConfig& config, const ListenerConfig& l, const std::shared_ptr<BackendPool>& pool,
                ProxyStreams streams);
    void retire(std::unique_ptr<Proxy> proxy, int drainMs);
    void keepTotals(const Proxy& proxy);

    std::shared_ptr<EventLog> m_events;
    std::vector<std::unique_ptr<Proxy>> m_proxies;
    QSet<Proxy*> m_awaitingStop;
    // Proxies a reload removed, finishing their requests in flight; snapshot() still counts them.
    std::vector<std::unique_ptr<Proxy>> m_retiring;
    // What removed proxies counted before they went, so the lab's totals never fall (the window's rates
    // are differences of totals).
    MetricsSnapshot m_retired;
};

} // namespace lab
