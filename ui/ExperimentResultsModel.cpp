#include "ExperimentResultsModel.h"

namespace lab {

ExperimentResultsModel::ExperimentResultsModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void ExperimentResultsModel::clear()
{
    beginResetModel();
    m_arms.clear();
    endResetModel();
}

void ExperimentResultsModel::append(const ArmResult& arm)
{
    beginInsertRows({}, int(m_arms.size()), int(m_arms.size()));
    m_arms << arm;
    endInsertRows();
    Q_EMIT headerDataChanged(Qt::Horizontal, TheoryP99, TheoryP99);
}

int ExperimentResultsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_arms.size());
}

int ExperimentResultsModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ExperimentResultsModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= m_arms.size())
        return {};
    const ArmResult& a = m_arms[index.row()];
    if (role == Qt::TextAlignmentRole)
        return index.column() == Arm ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                     : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && index.column() == TheoryP99)
        return a.theory ? tr("%1, rho %2: mean %3 ms, p95 %4 ms, p99 %5 ms (the backends measured mean %6 ms)")
                              .arg(a.theory->model)
                              .arg(a.theory->utilisation, 0, 'f', 2)
                              .arg(a.theory->meanResponseMs, 0, 'f', 1)
                              .arg(a.theory->p95Ms, 0, 'f', 1)
                              .arg(a.theory->p99Ms, 0, 'f', 1)
                              .arg(a.queueMeanMs, 0, 'f', 1)
                        : tr("No M/M/c prediction: %1").arg(a.theoryNote);
    if (role != Qt::DisplayRole)
        return {};
    const auto ms = [](double v) {
        return QString::number(v, 'f', 1);
    };
    switch (Column(index.column())) {
    case Arm: return a.name;
    case Completed: return QString::number(a.completed);
    case Throughput: return ms(a.throughputPerSecond);
    case Mean: return ms(a.meanMs);
    case P50: return ms(a.percentileMs(50));
    case P95: return ms(a.percentileMs(95));
    case P99: return ms(a.percentileMs(99));
    case P999: return ms(a.percentileMs(99.9));
    case Errors5xx: return QString::number(a.byClass[5]);
    case Failed: return QString::number(a.resets + a.timeouts + a.connectFailures);
    case Retries: return QString::number(a.retries);
    case MaxQueue: return QString::number(a.maxQueue);
    case Jain: return QString::number(a.jainIndex, 'f', 2);
    case TheoryP99: return a.theory ? ms(a.theory->p99Ms) : tr("n/a");
    case ColumnCount: break;
    }
    return {};
}

QVariant ExperimentResultsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    static const char* const names[ColumnCount] = {"arm",     "ok",        "req/s", "mean",     "p50",
                                                   "p95",     "p99",       "p99.9", "5xx",      "fail",
                                                   "retries", "max queue", "Jain",  "M/M/c p99"};
    static const char* const tips[ColumnCount] = {
        "The arm: an algorithm or proxy settings",
        "Responses that arrived (any status)",
        "Responses per second",
        "Mean client latency (ms), from each request's planned arrival to its last byte",
        "Median client latency (ms)",
        "95th percentile (ms)",
        "99th percentile (ms)",
        "99.9th percentile (ms)",
        "Responses with a 5xx status",
        "Requests without a response: reset, timeout or no connection",
        "Attempts the proxy made after the first",
        "The longest line of requests waiting for a worker at any backend",
        "Jain's fairness index over the backends' shares (1 = even)",
        "The M/M/c prediction of the p99 (Erlang C), when the experiment is an M/M/c system"};
    if (section < 0 || section >= ColumnCount)
        return {};
    // With several backends the prediction takes each one as fed at random at its share: say so in the
    // header, since round robin and the adaptive algorithms beat that model.
    bool split = false;
    for (const ArmResult& a : m_arms)
        split = split || (a.theory && a.theory->model.contains(QLatin1String("per backend")));
    if (role == Qt::DisplayRole && section == TheoryP99 && split)
        return tr("p99 if split at random (M/M/c)");
    if (role == Qt::DisplayRole)
        return tr(names[section]);
    if (role == Qt::ToolTipRole)
        return tr(tips[section]);
    return {};
}

} // namespace lab
