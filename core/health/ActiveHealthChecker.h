#pragma once

#include "config/LabConfig.h"

#include <QHash>
#include <QMutex>
#include <QObject>
#include <memory>
#include <optional>

class QThread;

namespace lab {

class BackendPool;
class EventLog;
class HealthWorker;

// Active health checks: one probe per backend of the pool, each on its own QTimer, all on one thread of
// their own (a slow or hanging backend never stalls the proxy or the window). A probe is an HTTP GET of
// the configured path (status in range, optional body substring) or a bare TCP connect. Each backend's
// verdict is a HealthState (rise/fall); only transitions are published: Backend::healthy, a mark on its
// timeline and an event with the reason ("3 consecutive probe failures: connection refused"). The same
// thread runs the pool's housekeeping (ejections ending, breakers half-opening, slow start finishing).
// Public methods are thread-safe.
class ActiveHealthChecker final : public QObject {
    Q_OBJECT
public:
    // What the window shows per backend.
    struct Status {
        QString name;
        bool checking = false; // probes enabled for it
        bool up = true;
        int rise = 2;
        int fall = 3;
        int passesInARow = 0; // while down, toward rise
        int failuresInARow = 0; // while up, toward fall
        QString lastDetail; // "200 in 0.4 ms", "connection refused"
        bool lastPassed = true;
        qint64 lastProbeMs = 0; // steady clock; 0 = not probed yet
        quint64 probes = 0;
        HealthConfig config;
    };

    ActiveHealthChecker(std::shared_ptr<BackendPool> pool, std::shared_ptr<EventLog> events, QObject* parent = nullptr);
    ~ActiveHealthChecker() override;
    Q_DISABLE_COPY_MOVE(ActiveHealthChecker)

    // Settings for backends without their own; applies to the next probe.
    void setDefaults(const HealthConfig& config);
    // A backend's own settings (nullopt: back to the defaults); applies to the next probe.
    void setBackendConfig(const QString& name, const std::optional<HealthConfig>& config);
    // Starts probing backends added to the pool and stops probing removed ones.
    void sync();

    QList<Status> status() const;
    std::optional<Status> status(const QString& name) const;

private:
    friend class HealthWorker;
    friend class Probe;
    void publish(const Status& s);
    void forget(const QString& name);

    QThread* m_thread;
    HealthWorker* m_worker; // lives on m_thread
    mutable QMutex m_mutex;
    QHash<QString, Status> m_status;
};

} // namespace lab
