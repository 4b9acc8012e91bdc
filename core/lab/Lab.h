#pragma once

#include "config/LabConfig.h"

#include <QObject>
#include <memory>
#include <vector>

namespace lab {

class BackendPool;
class FakeBackend;
class Proxy;

// A running lab: the configuration plus everything it starts in-process (embedded fake backends now;
// the proxy listeners join in the proxy core). The window and `balancer-lab serve` both drive one Lab.
// Lives on the thread that created it; the things it starts run on threads of their own.
class Lab final : public QObject {
    Q_OBJECT
public:
    explicit Lab(LabConfig config, QObject* parent = nullptr);
    ~Lab() override;
    Q_DISABLE_COPY_MOVE(Lab)

    const LabConfig& config() const { return m_config; }

    // Starts every embedded backend. On the first failure stops the ones already started and returns
    // false with a sentence naming the port in *error.
    bool startEmbeddedBackends(QString* error);
    void stopAll();

    int backendCount() const { return int(m_config.backends.size()); }
    const BackendConfig& backendConfig(int index) const { return m_config.backends[index]; }
    // nullptr for an external backend.
    FakeBackend* embeddedBackend(int index) const { return m_embedded[size_t(index)].get(); }

    bool startBackend(int index, QString* error);
    void stopBackend(int index);

    // Builds the backend pool (after embedded backends have their ports) and starts a proxy on every
    // HTTP listener. False with a sentence naming the port in *error.
    bool startProxies(QString* error);
    // Stops accepting and lets requests in flight finish for up to timeoutMs.
    void stopProxies(int timeoutMs = 5000);
    const std::vector<std::unique_ptr<Proxy>>& proxies() const { return m_proxies; }
    Proxy* proxy() const { return m_proxies.empty() ? nullptr : m_proxies.front().get(); }
    std::shared_ptr<BackendPool> pool() const { return m_pool; }

Q_SIGNALS:
    // A line for the event log ("backend-8002 stopped by the operator").
    void eventLogged(const QString& text);
    void backendStateChanged(int index);

private:
    LabConfig m_config;
    std::vector<std::unique_ptr<FakeBackend>> m_embedded; // parallel to m_config.backends
    std::shared_ptr<BackendPool> m_pool;
    std::vector<std::unique_ptr<Proxy>> m_proxies;
};

} // namespace lab
