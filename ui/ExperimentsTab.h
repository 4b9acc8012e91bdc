#pragma once

#include "experiment/Experiment.h"
#include "experiment/ExperimentResults.h"

#include <QDateTime>
#include <QHash>
#include <QWidget>
#include <memory>

class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QScrollArea;
class QTableView;
class QToolButton;

namespace lab {

class ExperimentResultsModel;
class ExperimentResultsView;
class ExperimentRunner;

// The window's Experiments tab: pick a built-in experiment (or open a file), run it, and see the arms
// side by side as `balancer-lab experiment` prints them: the command's verdict (who won and why, the same
// words: experimentVerdict) above a table sized to show a row per arm, a line that says what the M/M/c
// columns are, and below it the charts and the theory (ExperimentResultsView). Below the controls the tab
// is one page that scrolls up and down rather than shrink: beside the lesson dock at 1024x768 the charts
// keep a readable height and the table its columns (it scrolls sideways by itself). Results are kept per experiment (by
// source): switching experiments shows the chosen one's last results or none, never another's under its title. Export
// as PNG (the results drawn whole at a size of their own, ExperimentCharts.h) or CSV; the tab names every file it
// wrote. The runs use labs of their own on free ports (ExperimentRunner), never the window's lab, so an experiment does
// not disturb what the board shows and the board does not disturb it.
class ExperimentsTab final : public QWidget {
    Q_OBJECT
public:
    explicit ExperimentsTab(QWidget* parent = nullptr);
    ~ExperimentsTab() override;
    Q_DISABLE_COPY_MOVE(ExperimentsTab)

    // Shows `experiment` as the one to run, with its own last results if it ran before (refused while a
    // run is going: the tab shows what runs).
    void setExperiment(const Experiment& experiment, const QString& source);
    // Runs the experiment shown; false when one is running or none is loaded.
    bool run();
    // Cancels: the arm going is given up, the arms done stay; runFinished() follows.
    void stop();
    bool isRunning() const;
    // Shows `arms` as the shown experiment's results, as a run that just finished them leaves them
    // (table, verdict, charts, details; kept for the experiment). For results measured elsewhere, and for
    // tests that need known figures. Refused while a run is going.
    void setResults(const QList<ArmResult>& arms);

    ExperimentResultsModel* model() const { return m_model; }
    QString titleText() const;
    QString statusText() const;
    QString detailsText() const;
    // The verdict shown above the results (experimentVerdict of the arms shown); empty without one.
    QString verdictText() const;
    // The line under the table that says what the M/M/c columns are (theoryLegend); empty without results.
    QString theoryLegendText() const;
    // The files the last save wrote, as the tab shows them.
    QString savedText() const;
    int cdfSeriesCount() const;
    int shareBarSetCount() const;
    // Shows or hides arm `arm`'s line and bars (its checkbox).
    void setArmShown(int arm, bool shown);
    // "<experiment file's name>-<when it ran>.png" / ".csv".
    QString defaultFileName(const QString& suffix) const;
    QImage resultsImage() const;
    bool exportPng(const QString& file, QString* error = nullptr);
    // The arms as FILE and each arm's backends beside it (FILE-backends.csv); `written` gets both paths.
    bool exportCsv(const QString& file, QString* error = nullptr, QStringList* written = nullptr);

Q_SIGNALS:
    void runFinished();

protected:
    // The wheel over the charts' sub-tab bar scrolls the page (a QTabBar would switch tabs under it).
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    // What the last run of one experiment left.
    struct Record {
        QList<ArmResult> arms;
        QString details;
        QString status;
        QDateTime finishedAt;
    };

    void chooseBuiltIn(int index);
    void openFile();
    void onArmFinished(int arm);
    void onFinished();
    void showRecord();
    // The verdict and the theory line for `arms` (hidden with none).
    void showVerdict(const QList<ArmResult>& arms);
    void arrangeColumns();
    void fitTableToRows();
    void updateActions();
    // Enables or disables `w`; a focused widget hands its focus to the Run button first, so the focus
    // never leaves the tab (Qt would give it to the next widget in the window's chain).
    void setEnabledKeepingFocus(QWidget* w, bool enabled);
    void savePng();
    void saveCsv();
    void showSaved(const QStringList& files);

    Experiment m_experiment;
    QString m_source;
    bool m_loaded = false;
    QHash<QString, Record> m_records; // by source
    std::unique_ptr<ExperimentRunner> m_runner;
    QString m_saveDir;
    ExperimentResultsModel* m_model;
    QComboBox* m_choice;
    QPushButton* m_open;
    QPushButton* m_run;
    QProgressBar* m_progress;
    QPushButton* m_png;
    QPushButton* m_csv;
    QToolButton* m_about;
    QLabel* m_title;
    QLabel* m_summary;
    QLabel* m_status;
    QLabel* m_saved;
    QWidget* m_verdictBox;
    QLabel* m_verdict;
    QScrollArea* m_resultsArea;
    QTableView* m_table;
    QLabel* m_theoryLegend;
    ExperimentResultsView* m_results;
};

} // namespace lab
