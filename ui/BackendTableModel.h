#pragma once

#include "health/Eligibility.h"
#include "lab/BackendId.h"

#include <QAbstractTableModel>
#include <QList>

namespace lab {

class Lab;
class MetricsHistory;

// The backend board: one row per backend of the lab. Fed by refresh(), which a timer in the window calls
// ~10 times a second with the metrics history: it builds each row from the lab and the latest snapshot
// and emits dataChanged only for rows that changed, so no per-request signal ever reaches the GUI thread.
// Each row carries its backend's BackendId and the lab is only ever asked by id (as qBittorrent's
// transfer list maps rows to torrent ids): rows follow the lab's backendInserted / backendRemoved by the
// id's row, so a removal in the middle never shifts a later change onto the wrong row. The Weight column
// is editable and applies to the running pool at once.
class BackendTableModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        State,
        Health,
        Name,
        Address,
        Weight,
        Active,
        Queue,
        Connections,
        Requests,
        Rate,
        Errors,
        P50,
        P95,
        P99,
        Action,
        ColumnCount
    };
    // The windows the live columns are computed over.
    static constexpr qint64 kRateWindowMs = 1000;
    static constexpr qint64 kLatencyWindowMs = 10'000;

    explicit BackendTableModel(Lab* lab, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void refresh(const MetricsHistory& history);
    // Refresh from the lab only (state, weight), keeping the traffic columns.
    void refreshState();

    enum class RowState {
        Up,
        Down,
        Draining,
        Drained,
        Stopped,
        Stopping,
        Refusing,
        Hanging,
        External,
        Unhealthy,
        Ejected,
        CircuitOpen,
        HalfOpen,
        SlowStart,
        PanicRouted // the probes say down, but the pool is in panic and still sends it requests
    };
    // The active probes' verdict on a row; the Health cell's colour follows this, never its (translated) text.
    enum class HealthVerdict { Unknown, Off, Pending, Passing, Failing };
    // Qt::UserRole on the Health column: the row's HealthVerdict as an int.
    static constexpr int HealthVerdictRole = Qt::UserRole;
    struct Row {
        BackendId id;
        RowState state = RowState::External;
        QString name;
        QString address;
        HealthVerdict healthVerdict = HealthVerdict::Unknown;
        QString health; // "ok", "ok · 1 of 3 failed", "fail · 1 of 2 passed", "off"
        QString healthDetail; // the last probe's result
        QString passiveCause; // why real traffic took it out: "ejected: 5 consecutive 5xx (queue full)"
        int weight = 1;
        bool embedded = false;
        int active = 0; // requests in flight through the proxy
        int queued = 0, inService = 0; // an embedded backend's waiting line and busy workers, live
        int queueLimit = 0, workers = 0; // its FaultProfile's (workers 0 = unlimited: nobody waits)
        int latencyMs = 0; // its latency fault: added after service, holding no worker
        qint64 connections = 0; // proxy connections open to the backend (busy + idle keep-alive)
        quint64 requests = 0; // attempts the proxy sent to it
        double rate = 0; // requests/s over the last second
        quint64 errors = 0; // 5xx answers and failed attempts (refused, reset, timeout)
        double p50 = 0, p95 = 0, p99 = 0; // ms over the last 10 s; 0 = no requests
        bool operator==(const Row&) const = default;
    };
    const Row& row(int i) const { return m_rows[i]; }
    // The backend on a row (invalid for a row out of range), and the row of a backend (-1: none).
    BackendId idAt(int row) const;
    int rowOf(BackendId id) const;
    // The state a running backend's row shows for the pool's verdict `e`; `running` is what the embedded
    // server says (Up, Hanging or External).
    static RowState rowStateFor(Eligibility e, RowState running);
    static QString stateText(RowState s);
    // The Queue cell ("3/8": waiting / queue limit; "–" with unlimited workers) and its tooltip.
    static QString queueText(const Row& r);
    static QString queueExplanation(const Row& r);
    static QString stateExplanation(RowState s);
    static QColor stateColor(RowState s);
    // The Health cell's background; invalid (no fill) unless the probes are failing.
    static QColor healthColor(HealthVerdict v);

Q_SIGNALS:
    // Rows were inserted, removed or reset: the window re-creates the Start/Stop buttons.
    void rowsRebuilt();

private:
    bool tcpOnly() const; // every listener relays bytes: "requests" are connections
    Row buildRow(BackendId id, const MetricsHistory* history) const;
    void rebuildAll();
    void updateRows(const MetricsHistory* history);

    Lab* m_lab;
    QList<Row> m_rows;
};

} // namespace lab
