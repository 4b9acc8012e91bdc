#include "TraceModel.h"

#include <QBrush>
#include <QColor>

namespace lab {

TraceModel::TraceModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

int TraceModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

int TraceModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

void TraceModel::append(const QList<TraceEntry>& batch)
{
    QList<TraceEntry> fresh;
    for (const TraceEntry& e : batch) {
        if (e.sequence > m_lastSequence)
            fresh.append(e);
    }
    if (fresh.isEmpty())
        return;
    m_lastSequence = fresh.last().sequence;
    if (fresh.size() > kMaxRows)
        fresh = fresh.mid(fresh.size() - kMaxRows);
    const qsizetype overflow = m_entries.size() + fresh.size() - kMaxRows;
    if (overflow > 0) {
        const int pinned = rowOf(m_pinned);
        if (pinned >= 0 && pinned < overflow) {
            // The oldest rows go, the pinned one stays at the top: removed in two runs around it.
            if (pinned > 0) {
                beginRemoveRows({}, 0, pinned - 1);
                m_entries.remove(0, pinned);
                endRemoveRows();
            }
            const qsizetype rest = qMin<qsizetype>(overflow - pinned, m_entries.size() - 1);
            if (rest > 0) {
                beginRemoveRows({}, 1, int(rest));
                m_entries.remove(1, rest);
                endRemoveRows();
            }
            if (fresh.size() > kMaxRows - 1)
                fresh = fresh.mid(fresh.size() - (kMaxRows - 1));
        } else {
            const qsizetype n = qMin(overflow, m_entries.size());
            beginRemoveRows({}, 0, int(n) - 1);
            m_entries.remove(0, n);
            endRemoveRows();
        }
    }
    beginInsertRows({}, int(m_entries.size()), int(m_entries.size() + fresh.size()) - 1);
    m_entries.append(fresh);
    endInsertRows();
}

void TraceModel::clear()
{
    beginResetModel();
    m_entries.clear();
    m_pinned = 0;
    endResetModel();
}

void TraceModel::restart()
{
    clear();
    m_lastSequence = 0;
}

int TraceModel::rowOf(quint64 sequence) const
{
    if (sequence == 0)
        return -1;
    for (int i = 0; i < m_entries.size(); ++i) {
        if (m_entries[i].sequence == sequence)
            return i;
    }
    return -1;
}

QVariant TraceModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const TraceEntry& e = m_entries[index.row()];
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Time: return e.time.toString(QStringLiteral("HH:mm:ss.zzz"));
        case Method: return e.method;
        case Path: return e.path;
        case Status: return e.status ? QVariant(e.status) : QVariant(tr("none"));
        case Latency: return QString::number(e.latencyMs, 'f', 2);
        case ServedBy: return e.servedBy.isEmpty() ? QStringLiteral("–") : e.servedBy;
        case Attempts: return e.attempts;
        }
    }
    if (role == Qt::ForegroundRole && index.column() == Status && (e.status >= 500 || e.status == 0))
        return QBrush(QColor(0xb0, 0x20, 0x20));
    if (role == Qt::BackgroundRole && e.attempts.contains(QStringLiteral("→")))
        return QBrush(QColor(0xfd, 0xf3, 0xd8)); // a failover happened: worth a look
    if (role == Qt::ToolTipRole)
        return describe(e);
    if (role == Qt::TextAlignmentRole && (index.column() == Status || index.column() == Latency))
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant TraceModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Time: return tr("Time");
        case Method: return tr("Method");
        case Path: return tr("Path");
        case Status: return tr("Status");
        case Latency: return tr("ms");
        case ServedBy: return tr("Served by");
        case Attempts: return tr("Attempts");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Time: return tr("When the proxy finished the request.");
        case Method: return tr("The request method.");
        case Path: return tr("The request target as the client sent it.");
        case Status: return tr("The status the client got ('none' when it got no response).");
        case Latency: return tr("Time from the request head to the last response byte, in milliseconds.");
        case ServedBy: return tr("The backend whose response the client got.");
        case Attempts: return tr("Every backend tried, in order, with what happened there.");
        }
    }
    return {};
}

QString TraceModel::describe(const TraceEntry& e)
{
    QString s = tr("%1 %2 from %3\n").arg(e.method, e.path, e.client);
    s += tr("at %1, %2 ms\n")
             .arg(e.time.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz")))
             .arg(e.latencyMs, 0, 'f', 2);
    if (e.status)
        s += tr("status %1").arg(e.status);
    else if (e.attempts.contains(QStringLiteral("held in step mode")))
        s += tr("no response: the client closed while step mode held the request (the lab's traffic stopped "
                "or the client gave up)");
    else if (e.attempts.contains(QStringLiteral("client closed")))
        s += tr("no response: the client closed its connection before the answer was complete");
    else
        s += tr("no response: the proxy cut the connection before the answer was complete");
    s += e.servedBy.isEmpty() ? QString() : tr(", served by %1").arg(e.servedBy);
    s += tr("\nattempts: %1").arg(e.attempts.isEmpty() ? tr("none") : e.attempts);
    if (!e.why.isEmpty())
        s += tr("\nwhy: %1").arg(e.why);
    if (e.attempts.contains(QStringLiteral("→")))
        s += tr("\nThe first backend failed, so the proxy retried on the next one the balancer picked; "
                "the client saw only the final answer.");
    return s;
}

} // namespace lab
