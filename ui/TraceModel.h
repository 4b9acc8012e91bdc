#pragma once

#include "metrics/RequestTrace.h"

#include <QAbstractTableModel>

namespace lab {

// Recent requests through the proxy, newest at the bottom, as the proxy's sampled trace records them.
// append() takes a batch (what the trace recorded since the last poll) and trims to kMaxRows, oldest
// first, except the pinned entry (the one selected in the window): it stays, so a selection and its
// details never jump to another request while traffic runs.
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
    // clear() for a new trace (another proxy after File > Open): its sequences start again from 1.
    void restart();
    // The entry to keep through trimming (0: none). The window pins the selected request.
    void setPinnedSequence(quint64 sequence) { m_pinned = sequence; }
    quint64 pinnedSequence() const { return m_pinned; }
    // The row of the entry with this sequence, -1 when it is not in the model.
    int rowOf(quint64 sequence) const;
    const TraceEntry& entry(int row) const { return m_entries[row]; }
    quint64 lastSequence() const { return m_lastSequence; }
    // A multi-line description of one request for the details pane.
    static QString describe(const TraceEntry& e);

private:
    QList<TraceEntry> m_entries;
    quint64 m_lastSequence = 0;
    quint64 m_pinned = 0;
};

} // namespace lab
