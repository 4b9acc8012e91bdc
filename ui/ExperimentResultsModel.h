#pragma once

#include "experiment/ExperimentResults.h"

#include <QAbstractTableModel>

namespace lab {

// The arms of an experiment as rows, the figures of `balancer-lab experiment`'s table as columns (and the
// M/M/c p99 when there is one). Rows are appended as arms finish (beginInsertRows); a new run resets.
class ExperimentResultsModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Arm,
        Completed,
        Throughput,
        Mean,
        P50,
        P95,
        P99,
        P999,
        Errors5xx,
        Failed,
        Retries,
        MaxQueue,
        Jain,
        TheoryP99,
        ColumnCount
    };

    explicit ExperimentResultsModel(QObject* parent = nullptr);

    void clear();
    void append(const ArmResult& arm);
    const QList<ArmResult>& arms() const { return m_arms; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<ArmResult> m_arms;
};

} // namespace lab
