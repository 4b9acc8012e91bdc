#include "ExperimentResultsModel.h"

#include <algorithm>
#include <cmath>

namespace lab {

static_assert(ExperimentResultsModel::KeysMoved == ExperimentResultsModel::ColumnCount - 1,
              "keys moved is the last column: it is inserted when the first arm has it");

ExperimentResultsModel::ExperimentResultsModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void ExperimentResultsModel::clear()
{
    beginResetModel();
    m_arms.clear();
    m_keysShown = false;
    endResetModel();
}

void ExperimentResultsModel::append(const ArmResult& arm)
{
    if (arm.keysMoved && !m_keysShown) {
        beginInsertColumns({}, KeysMoved, KeysMoved);
        m_keysShown = true;
        endInsertColumns();
    }
    beginInsertRows({}, int(m_arms.size()), int(m_arms.size()));
    m_arms << arm;
    endInsertRows();
}

int ExperimentResultsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_arms.size());
}

int ExperimentResultsModel::columnCount(const QModelIndex& parent) const
{
    if (parent.isValid())
        return 0;
    return m_keysShown ? ColumnCount : ColumnCount - 1;
}

QVariant ExperimentResultsModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= m_arms.size() || index.column() >= columnCount())
        return {};
    const ArmResult& a = m_arms[index.row()];
    const auto figure = ArmFigure(index.column());
    if (role == Qt::TextAlignmentRole)
        return index.column() == Arm ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                     : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && (index.column() == TheoryMean || index.column() == TheoryP99)) {
        if (!a.theory)
            return tr("No M/M/c prediction: %1").arg(a.theoryNote);
        return tr("%1, busiest backend's rho %2: mean %3 ms, p95 %4 ms, p99 %5 ms. The backends' own "
                  "figures (wait + service, without the proxy): mean %6 ms, p99 %7 ms")
            .arg(a.theory->model)
            .arg(a.theory->utilisation, 0, 'f', 2)
            .arg(a.theory->meanResponseMs, 0, 'f', 1)
            .arg(a.theory->p95Ms, 0, 'f', 1)
            .arg(a.theory->p99Ms, 0, 'f', 1)
            .arg(a.queueMeanMs, 0, 'f', 1)
            .arg(a.queueLatency.percentileMs(99), 0, 'f', 1);
    }
    if (role == Qt::ToolTipRole && index.column() == KeysMoved && a.keysMoved)
        return tr("%1 of %2 keys changed backend").arg(qRound(*a.keysMoved * a.keysCompared)).arg(a.keysCompared);
    if (role != Qt::DisplayRole)
        return {};
    return armFigureText(figure, a);
}

QString ExperimentResultsModel::theoryLegend(const QList<ArmResult>& arms)
{
    if (arms.isEmpty())
        return {};
    const auto predicted = std::find_if(arms.cbegin(), arms.cend(), [](const ArmResult& a) { return a.theory; });
    if (predicted == arms.cend()) {
        QStringList why;
        for (const ArmResult& a : arms) {
            if (!a.theoryNote.isEmpty() && !why.contains(a.theoryNote))
                why << a.theoryNote;
        }
        return tr("M/M/c columns: no prediction, as the queueing model needs Poisson arrivals, exponential "
                  "service and plain backends with c workers, and here %1.")
            .arg(why.isEmpty() ? tr("it does not apply") : why.join(QStringLiteral("; ")));
    }
    const ArmResult& a = *predicted;
    const double p = (a.meanMs - a.theory->meanResponseMs) / a.theory->meanResponseMs * 100;
    return tr("What the M/M/c columns are: queueing theory's (Erlang C) figure for each backend as its own "
              "line of c identical workers, fed at random at its share (Poisson arrivals, exponential service, "
              "FIFO) \u2014 a balancer that picks blindly. It is a yardstick, not the truth: the best any "
              "dispatcher could do is one shared line feeding every worker, which per-backend lines cannot "
              "reach. The bracket is measured against the prediction: %1's \"%2\" = predicted %3 ms, measured "
              "%4 % %5. Below (minus) = better than picking at random (round robin evens arrivals out, "
              "adaptive ones pick the shorter line); the further below, the better.")
        .arg(a.name, armFigureText(ArmFigure::MmcMean, a), QString::number(a.theory->meanResponseMs, 'f', 1),
             QString::number(std::abs(p), 'f', 0), p >= 0 ? tr("above (slower)") : tr("below (faster)"));
}

QVariant ExperimentResultsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Vertical) {
        // The arm's name as the row's header: it stays in sight when the table scrolls sideways.
        if (section < 0 || section >= m_arms.size())
            return {};
        if (role == Qt::DisplayRole)
            return m_arms[section].name;
        if (role == Qt::TextAlignmentRole)
            return QVariant(Qt::AlignLeft | Qt::AlignVCenter);
        if (role == Qt::ToolTipRole)
            return m_arms[section].algorithm;
        return {};
    }
    if (section < 0 || section >= columnCount())
        return {};
    const ArmFigureInfo& info = armFigureInfo(ArmFigure(section));
    const bool theory = section == TheoryMean || section == TheoryP99;
    if (role == Qt::DisplayRole)
        return QString(QString::fromLatin1(info.header) + (theory ? tr("\npredicted (measured ±%)") : QString()));
    if (role == Qt::ToolTipRole) {
        QString tip = QString::fromLatin1(info.tip);
        if (theory)
            tip += QStringLiteral(".\n\n") + theoryAssumptions();
        return tip;
    }
    return {};
}

} // namespace lab
