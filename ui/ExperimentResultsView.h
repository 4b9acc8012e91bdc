#pragma once

#include "experiment/ExperimentResults.h"

#include <QList>
#include <QWidget>

class QChartView;
class QCheckBox;
class QPlainTextEdit;
class QTabWidget;

namespace lab {

// The Experiments tab's lower half: a checkbox per arm in the arm's colour and dash (untick to hide its
// line and bars), and sub-tabs with the latency by percentile, each backend's share and the queueing
// theory as text. One chart at a time, each the whole width: side by side at 1366x768 both were too small
// to read (axis labels elided). The charts are rebuilt from the results whenever an arm finishes or a
// checkbox changes (ExperimentCharts.h), a handful of series each: cheap. Each chart has a least height at
// which it reads (the share chart's grows with its bars); the tab scrolls below it.
class ExperimentResultsView final : public QWidget {
    Q_OBJECT
public:
    explicit ExperimentResultsView(QWidget* parent = nullptr);
    Q_DISABLE_COPY_MOVE(ExperimentResultsView)

    // The experiment's arms, in order: one checkbox each, all ticked, and no results yet.
    void setArmNames(const QStringList& names);
    // The arms measured so far (arm i of the experiment is results[i]).
    void setResults(const QList<ArmResult>& results);
    void setDetails(const QString& text);
    QString details() const;

    void setArmShown(int arm, bool shown);
    const QList<bool>& shown() const { return m_shown; }
    int cdfSeriesCount() const;
    int shareBarSetCount() const;
    // The sub-tabs (latency, shares, theory): the tab's scrolling page steers their bar's wheel.
    QTabWidget* views() const { return m_views; }
    // No more than its readable minimum: in the tab's scrolling results the charts take whatever room is
    // left, and a scroll area's height-for-width adds up preferred heights (QChartView prefers ~480 px).
    QSize sizeHint() const override;

private:
    void rebuildCharts();
    void updateMinimumHeights();

    QList<ArmResult> m_results;
    QList<bool> m_shown;
    QWidget* m_toggles;
    QList<QCheckBox*> m_toggleBoxes;
    QTabWidget* m_views;
    QChartView* m_cdf;
    QChartView* m_shares;
    QPlainTextEdit* m_details;
};

} // namespace lab
