#pragma once

#include "config/LabConfig.h"

#include <QByteArray>
#include <QMutex>
#include <QString>
#include <atomic>
#include <memory>
#include <span>
#include <vector>

namespace lab {

class Balancer;
struct PickContext;

// A backend as the proxy sees it: fixed identity and address, plus live state written from any thread.
// "enabled" is the operator's choice; "passively down" is the proxy's own verdict after a refused
// connection. The health checker (a later layer) adds its verdict next to these, never on top of them.
struct Backend {
    int id = 0; // index for per-worker metrics; never reused within a pool
    QString name;
    QByteArray nameUtf8;
    QString host;
    quint16 port = 0;
    QByteArray hostHeader; // "host:port", sent when the client gave no Host (HTTP/1.0)

    std::atomic<int> weight{1};
    std::atomic<bool> enabled{true};           // false: draining (no new requests; in-flight ones finish)
    std::atomic<qint64> passiveDownUntilMs{0}; // steady-clock ms; skipped until then
    std::atomic<int> activeRequests{0};        // in flight on any worker

    bool passivelyDown(qint64 nowMs) const { return passiveDownUntilMs.load(std::memory_order_relaxed) > nowMs; }
};

using BackendPtr = std::shared_ptr<Backend>;

// The set of backends behind one proxy and the balancer that picks among them. Thread-safe: workers
// pick under a short lock (the balancer's shared state — the round-robin cursor — lives behind it, so
// every worker advances the same cursor and a learner sees the textbook order).
class BackendPool final {
public:
    static constexpr int kMaxBackends = 256;
    // After a refused connection a backend is skipped for this long (passive check), then tried again.
    static constexpr int kPassiveHoldMs = 2000;

    BackendPool(const QList<BackendConfig>& backends, const QString& algorithm);
    ~BackendPool();
    Q_DISABLE_COPY_MOVE(BackendPool)

    // Adds a backend at the end of the rotation. Null with a sentence in *error when the name is taken or
    // the pool has used up its kMaxBackends ids (ids index per-worker metrics and are never reused).
    BackendPtr add(const BackendConfig& config, QString* error = nullptr);
    // Takes a backend out of the pool. Requests already on it finish (they hold a reference).
    bool remove(const QString& name);
    // Swaps the balancing algorithm between two picks; false (and nothing changes) for an unknown name.
    bool setAlgorithm(const QString& algorithm);

    // Picks a backend for a request that has already tried `tried` (ids). Prefers backends that are
    // enabled and not passively down; when only passively-down ones remain, tries one of them rather than
    // failing (it may be back). Returns null when none is left.
    BackendPtr pick(const PickContext& context, std::span<const int> tried);

    std::vector<BackendPtr> backends() const;
    BackendPtr byName(const QString& name) const;
    int size() const;
    QString algorithm() const;

    void markConnectFailure(Backend& b) const;
    void markSuccess(Backend& b) const;

private:
    mutable QMutex m_mutex;
    std::vector<BackendPtr> m_backends;
    std::unique_ptr<Balancer> m_balancer;
    int m_nextId = 0;
};

qint64 steadyNowMs();

} // namespace lab
