#pragma once

#include <QAbstractTableModel>
#include <QList>

namespace lab {

class Lab;

// The backend board: one row per backend of the lab. Fed by refresh(), which a timer in the window calls
// ~10 times a second: it reads a snapshot of the lab's counters and emits dataChanged only for rows that
// changed, so no per-request signal ever reaches the GUI thread.
class BackendTableModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { State, Name, Address, Weight, Connections, Requests, Action, ColumnCount };

    explicit BackendTableModel(Lab* lab, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void refresh();

    enum class RowState { Up, Stopped, Refusing, External };
    struct Row {
        RowState state = RowState::External;
        int activeConnections = 0;
        quint64 requests = 0;
        bool operator==(const Row&) const = default;
    };
    const Row& row(int i) const { return m_rows[i]; }
    static QString stateText(RowState s);

private:
    Row snapshot(int i) const;

    Lab* m_lab;
    QList<Row> m_rows;
};

} // namespace lab
