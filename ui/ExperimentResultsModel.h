#pragma once

#include "experiment/ArmFigures.h"
#include "experiment/ExperimentResults.h"

#include <QAbstractTableModel>

namespace lab {

// The arms of an experiment as rows, the figures of `balancer-lab experiment`'s tables as columns: the
// same figures, headers and cell texts (ArmFigures.h), each M/M/c prediction right after the measurement
// it predicts. The keys-moved column exists only once an arm has it (a timeline that adds or stops a
// backend). Rows are appended as arms finish (beginInsertRows); a new run resets. The M/M/c headers have a
// second line the terminal's have not ("predicted (measured ±%)"): a learner read their brackets as
// unexplained percentages; theoryLegend() is the line the tab shows under the table. The vertical header
// is the arm's name too, so a view can hide the Arm column and keep the name in sight when it scrolls.
class ExperimentResultsModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    // One column per ArmFigure, in its order.
    enum Column {
        Arm = int(ArmFigure::Arm),
        Requests = int(ArmFigure::Requests),
        Ok = int(ArmFigure::Ok),
        Status4xx = int(ArmFigure::Status4xx),
        Backend5xx = int(ArmFigure::Backend5xx),
        Proxy5xx = int(ArmFigure::Proxy5xx),
        Timeouts = int(ArmFigure::Timeouts),
        Failed = int(ArmFigure::Failed),
        Throughput = int(ArmFigure::Throughput),
        Mean = int(ArmFigure::Mean),
        TheoryMean = int(ArmFigure::MmcMean),
        P50 = int(ArmFigure::P50),
        P95 = int(ArmFigure::P95),
        P99 = int(ArmFigure::P99),
        TheoryP99 = int(ArmFigure::MmcP99),
        P999 = int(ArmFigure::P999),
        Retries = int(ArmFigure::Retries),
        Attempts = int(ArmFigure::Attempts),
        Load = int(ArmFigure::Load),
        MaxQueue = int(ArmFigure::MaxQueue),
        Busiest = int(ArmFigure::Busiest),
        Jain = int(ArmFigure::Jain),
        KeysMoved = int(ArmFigure::KeysMoved),
        ColumnCount = int(ArmFigure::Count)
    };

    explicit ExperimentResultsModel(QObject* parent = nullptr);

    void clear();
    void append(const ArmResult& arm);
    const QList<ArmResult>& arms() const { return m_arms; }

    // What the M/M/c columns are, in a sentence or two for under the table: the model's assumptions (when
    // it applies), what the bracket is (with the first predicted arm's own figures as the example), and why
    // a balancer can measure below it. Why there is no prediction when no arm has one; empty without arms.
    static QString theoryLegend(const QList<ArmResult>& arms);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<ArmResult> m_arms;
    bool m_keysShown = false; // an arm has keys moved: the last column exists
};

} // namespace lab
