#pragma once

#include "experiment/Experiment.h"

#include <QWidget>
#include <memory>

class QChartView;
class QComboBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTableView;

namespace lab {

class ExperimentResultsModel;
class ExperimentRunner;

// The window's Experiments tab: pick a built-in experiment (or open a file), run it, and see the arms
// side by side as `balancer-lab experiment` prints them: a table, each arm's latency CDF overlaid, each
// backend's share per arm as bars, and the queueing theory beside the measurement. Export as PNG (the
// tab as it is) or CSV. The runs use labs of their own on free ports (ExperimentRunner), never the
// window's lab, so an experiment does not disturb what the board shows and the board does not disturb it.
class ExperimentsTab final : public QWidget {
    Q_OBJECT
public:
    explicit ExperimentsTab(QWidget* parent = nullptr);
    ~ExperimentsTab() override;
    Q_DISABLE_COPY_MOVE(ExperimentsTab)

    // Shows `experiment` as the one to run (the selector is left as it is).
    void setExperiment(const Experiment& experiment, const QString& source);
    // Runs the experiment shown; false when one is running or none is loaded.
    bool run();
    void stop();
    bool isRunning() const;

    ExperimentResultsModel* model() const { return m_model; }
    QString statusText() const;
    QString detailsText() const;
    int cdfSeriesCount() const;
    int shareBarSetCount() const;
    bool exportPng(const QString& file) const;
    // The arms as arms.csv, and backends.csv beside it (FILE-backends.csv).
    bool exportCsv(const QString& file, QString* error = nullptr) const;

Q_SIGNALS:
    void runFinished();

private:
    void chooseBuiltIn(int index);
    void openFile();
    void onArmFinished(int arm);
    void onFinished();
    void rebuildCharts();
    void savePng();
    void saveCsv();

    Experiment m_experiment;
    bool m_loaded = false;
    std::unique_ptr<ExperimentRunner> m_runner;
    ExperimentResultsModel* m_model;
    QComboBox* m_choice;
    QPushButton* m_open;
    QPushButton* m_run;
    QPushButton* m_png;
    QPushButton* m_csv;
    QLabel* m_summary;
    QLabel* m_status;
    QTableView* m_table;
    QChartView* m_cdf;
    QChartView* m_shares;
    QPlainTextEdit* m_details;
};

} // namespace lab
