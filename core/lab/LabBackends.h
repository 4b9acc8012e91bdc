#pragma once

#include "config/LabConfig.h"
#include "lab/BackendId.h"

#include <QList>
#include <QObject>
#include <QStringList>
#include <memory>
#include <vector>

namespace lab {

class BackendPool;
class EventLog;
class FakeBackend;
struct Backend;

// The lab's backends: one record per backend, keyed by its BackendId, holding the config it runs with,
// its embedded fake server (none for an external backend) and its entry in the pool (none for an
// embedded backend configured on port 0 until it has started and has a port). The three parts of a
// record are created, started, stopped and dropped together here, so they never disagree.
//
// Records keep the order backends were configured and added in: the board's order and the order
// File > Save writes. Lookups by id are linear; a lab holds at most kMaxBackendIds backends and the
// window asks a few hundred times a second at most. Lives on the lab's thread; logs what it starts and
// stops to the lab's event log.
class LabBackends final : public QObject {
    Q_OBJECT
public:
    struct Record {
        BackendId id;
        BackendConfig config;
        std::unique_ptr<FakeBackend> embedded;
        std::shared_ptr<Backend> pooled;
    };

    explicit LabBackends(std::shared_ptr<EventLog> events, QObject* parent = nullptr);
    ~LabBackends() override;
    Q_DISABLE_COPY_MOVE(LabBackends)

    // Drops every record (stopping their servers) and makes fresh ones for `configs` in `pool`, with new
    // ids. Servers are not started; backends with a known port join the pool at once.
    void rebuild(const QList<BackendConfig>& configs, std::shared_ptr<BackendPool> pool);

    int count() const { return int(m_records.size()); }
    QList<BackendId> ids() const;
    void ids(QList<BackendId>& into) const; // the same into a list whose storage is reused
    QList<BackendConfig> configs() const;
    // Null for an id that is not (or no longer) in the lab.
    const Record* find(BackendId id) const;
    Record* find(BackendId id);
    BackendId idOf(const QString& name) const;
    // The record's place in the order (the board's row); -1 when the id is not in the lab.
    int positionOf(BackendId id) const;
    // The port for the next embedded backend: above the highest embedded one, from `base` upwards,
    // skipping ports other programs hold; 0 (any free port) when base is 0.
    int nextEmbeddedPort(int base) const;
    // `base`, or `base-2`, `base-3`, ... whichever no backend is named yet.
    QString uniqueName(const QString& base) const;

    // Starts an embedded backend's server and, when it had no port yet, puts it into the pool. False
    // (logged, with a sentence in *error) when the server cannot listen or the id is not embedded.
    bool start(BackendId id, QString* error);
    // Stops an embedded backend's server at once; false when it was not running.
    bool stop(BackendId id);
    void stopAll();
    // Adds a record at the end and puts it into the pool; an invalid id (and nothing added) when the pool
    // refuses it (name taken, ids used up), with the reason in *error.
    BackendId append(const BackendConfig& config, std::unique_ptr<FakeBackend> embedded, QString* error);
    // Applies every knob of `faults` to an embedded backend's server and config; returns one clause per
    // knob that changed ("latency 120 ms"), empty when nothing changed or the id is not embedded.
    QStringList setFaults(BackendId id, const FaultProfile& faults);
    // Takes the backend out of the pool (requests on it finish) and stops its server; false for an
    // unknown id.
    bool remove(BackendId id);

Q_SIGNALS:
    // An embedded server started or stopped listening (also a 'refuse' fault turned on or off).
    void listeningChanged(BackendId id);
    // A backend entered the pool (the health checker probes it from now on).
    void joinedPool(BackendId id);

private:
    bool registerInPool(Record& r, QString* error);
    void watch(Record& r);

    std::shared_ptr<EventLog> m_events;
    std::shared_ptr<BackendPool> m_pool;
    std::vector<Record> m_records;
    int m_nextId = 0; // never reset: ids are not reused, not even by rebuild()
};

} // namespace lab
