#pragma once

#include "metrics/RequestTrace.h"

#include <QAbstractTableModel>

namespace lab {

// Recent requests through the proxy, newest at the bottom, as the proxy's sampled trace records them.
// append() takes a batch (what the trace recorded since the last poll) and trims to kMaxRows.
class TraceModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Time, Method, Path, Status, Latency, ServedBy, Attempts, ColumnCount };
    static constexpr int kMaxRows = 500;

    explicit TraceModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void append(const QList<TraceEntry>& batch);
    void clear();
    const TraceEntry& entry(int row) const { return m_entries[row]; }
    quint64 lastSequence() const { return m_lastSequence; }
    // A multi-line description of one request for the details pane.
    static QString describe(const TraceEntry& e);

private:
    QList<TraceEntry> m_entries;
    quint64 m_lastSequence = 0;
};

} // namespace lab
