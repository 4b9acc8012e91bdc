#include "BackendTableModel.h"

#include "backends/FakeBackend.h"
#include "lab/Lab.h"

#include <QBrush>
#include <QColor>

namespace lab {

BackendTableModel::BackendTableModel(Lab* lab, QObject* parent)
    : QAbstractTableModel(parent)
    , m_lab(lab)
{
    for (int i = 0; i < m_lab->backendCount(); ++i)
        m_rows << snapshot(i);
}

int BackendTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int BackendTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString BackendTableModel::stateText(RowState s)
{
    switch (s) {
    case RowState::Up: return tr("up");
    case RowState::Stopped: return tr("stopped");
    case RowState::Refusing: return tr("refusing");
    case RowState::External: return tr("external");
    }
    return {};
}

BackendTableModel::Row BackendTableModel::snapshot(int i) const
{
    Row r;
    if (const FakeBackend* b = m_lab->embeddedBackend(i)) {
        r.state = b->isListening() ? RowState::Up : b->isStarted() ? RowState::Refusing : RowState::Stopped;
        r.activeConnections = b->counters().activeConnections.load(std::memory_order_relaxed);
        r.requests = b->counters().requests.load(std::memory_order_relaxed);
    }
    return r;
}

void BackendTableModel::refresh()
{
    for (int i = 0; i < int(m_rows.size()); ++i) {
        Row r = snapshot(i);
        if (r == m_rows[i])
            continue;
        m_rows[i] = r;
        Q_EMIT dataChanged(index(i, 0), index(i, ColumnCount - 1));
    }
}

QVariant BackendTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& r = m_rows[index.row()];
    const BackendConfig& cfg = m_lab->backendConfig(index.row());
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case State: return stateText(r.state);
        case Name: return cfg.name;
        case Address: return QStringLiteral("%1:%2").arg(cfg.host).arg(cfg.port);
        case Weight: return cfg.weight;
        case Connections: return r.activeConnections;
        case Requests: return r.requests;
        case Action: return {};
        }
    }
    if (role == Qt::BackgroundRole && index.column() == State) {
        switch (r.state) {
        case RowState::Up: return QBrush(QColor(0xc8, 0xf0, 0xc8));
        case RowState::Stopped: return QBrush(QColor(0xf6, 0xb8, 0xb8));
        case RowState::Refusing: return QBrush(QColor(0xf8, 0xd8, 0xa0));
        case RowState::External: return QBrush(QColor(0xe4, 0xe4, 0xe4));
        }
    }
    if (role == Qt::TextAlignmentRole && (index.column() == Connections || index.column() == Requests ||
                                          index.column() == Weight))
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && index.column() == State) {
        switch (r.state) {
        case RowState::Up: return tr("Listening: the backend accepts connections and answers requests.");
        case RowState::Stopped: return tr("Stopped by the operator: connections to its port are refused.");
        case RowState::Refusing: return tr("The 'refuse' fault is on: the port is closed until it is lifted.");
        case RowState::External: return tr("A backend outside the lab; its state comes from health checks.");
        }
    }
    return {};
}

QVariant BackendTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case State: return tr("State");
        case Name: return tr("Name");
        case Address: return tr("Address");
        case Weight: return tr("Weight");
        case Connections: return tr("Connections");
        case Requests: return tr("Requests");
        case Action: return tr("Action");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case State: return tr("Whether the backend is listening, stopped, or refusing on purpose.");
        case Name: return tr("The backend's name; proxied responses carry it in X-Served-By.");
        case Address: return tr("Where the backend listens (host:port).");
        case Weight: return tr("Relative share of traffic for weighted algorithms.");
        case Connections: return tr("TCP connections open to the backend right now.");
        case Requests: return tr("Requests the backend has answered since it was created.");
        case Action: return tr("Start or stop an embedded backend.");
        }
    }
    return {};
}

} // namespace lab
