#include "ExperimentResultsView.h"

#include "ExperimentCharts.h"
#include "FlowLayout.h"

#include <QAbstractBarSeries>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QFontDatabase>
#include <QPlainTextEdit>
#include <QTabWidget>
#include <QVBoxLayout>

namespace lab {

namespace {

// The charts' tabs, preferring their least height: the tab's scrolling page sizes itself by its layouts'
// height-for-width (the arm toggles wrap), which adds up the preferred heights of the rest, and a chart
// view prefers ~480 px. The charts still take all the room there is (the page's stretch).
class ChartTabs final : public QTabWidget {
public:
    QSize sizeHint() const override { return minimumSizeHint(); }
};

} // namespace

ExperimentResultsView::ExperimentResultsView(QWidget* parent)
    : QWidget(parent)
    , m_toggles(new QWidget)
    , m_views(new ChartTabs)
    , m_cdf(new QChartView)
    , m_shares(new QChartView)
    , m_details(new QPlainTextEdit)
{
    m_cdf->setObjectName(QStringLiteral("latencyChart"));
    m_shares->setObjectName(QStringLiteral("shareChart"));
    for (QChartView* view : {m_cdf, m_shares}) {
        view->setRenderHint(QPainter::Antialiasing);
        view->setMinimumSize(120, 80);
    }
    m_details->setMinimumHeight(30);
    m_details->setReadOnly(true);
    m_details->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_details->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_details->setPlaceholderText(tr("The shares, keys moved and the queueing theory appear here after a run."));
    m_views->setObjectName(QStringLiteral("experimentViews"));
    m_views->setDocumentMode(true);
    m_views->addTab(m_cdf, tr("Latency by percentile"));
    m_views->addTab(m_shares, tr("Backend shares"));
    m_views->addTab(m_details, tr("Theory and details"));
    connect(m_views, &QTabWidget::currentChanged, this, &ExperimentResultsView::updateMinimumHeights);
    new FlowLayout(m_toggles, 12, 0);
    m_toggles->setToolTip(tr("Untick an arm to hide its line and bars"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(m_toggles);
    layout->addWidget(m_views, 1);
    rebuildCharts();
}

void ExperimentResultsView::setArmNames(const QStringList& names)
{
    qDeleteAll(m_toggleBoxes);
    m_toggleBoxes.clear();
    m_shown = QList<bool>(names.size(), true);
    m_results.clear();
    for (int i = 0; i < names.size(); ++i) {
        auto* box = new QCheckBox(names[i]);
        box->setIcon(armIcon(i));
        box->setIconSize(QSize(32, 12));
        box->setChecked(true);
        box->setToolTip(tr("Show or hide %1's line and bars").arg(names[i]));
        connect(box, &QCheckBox::toggled, this, [this, i](bool on) { setArmShown(i, on); });
        m_toggles->layout()->addWidget(box);
        m_toggleBoxes << box;
    }
    rebuildCharts();
}

void ExperimentResultsView::setResults(const QList<ArmResult>& results)
{
    m_results = results;
    rebuildCharts();
}

void ExperimentResultsView::setDetails(const QString& text)
{
    m_details->setPlainText(text);
}

QString ExperimentResultsView::details() const
{
    return m_details->toPlainText();
}

void ExperimentResultsView::setArmShown(int arm, bool shown)
{
    if (arm < 0 || arm >= m_shown.size() || m_shown[arm] == shown)
        return;
    m_shown[arm] = shown;
    m_toggleBoxes[arm]->setChecked(shown);
    rebuildCharts();
}

int ExperimentResultsView::cdfSeriesCount() const
{
    return int(m_cdf->chart()->series().size());
}

int ExperimentResultsView::shareBarSetCount() const
{
    const QList<QAbstractSeries*> series = m_shares->chart()->series();
    return series.isEmpty() ? 0 : int(static_cast<QAbstractBarSeries*>(series.first())->count());
}

void ExperimentResultsView::rebuildCharts()
{
    for (QChartView* view : {m_cdf, m_shares}) {
        QChart* chart = view == m_cdf ? makeLatencyChart(m_results, m_shown) : makeShareChart(m_results, m_shown);
        QChart* old = view->chart();
        view->setChart(chart);
        delete old;
    }
    updateMinimumHeights();
}

// A tab widget is as tall as its tallest page's minimum, so only the page shown asks for a readable height
// (the others 80 px), and it asks for the same height whichever page it is: the larger of the latency
// chart's and the share chart's (taller with every bar). A page that got shorter on a tab's click took the
// scrolled page up with it (the learner clicked "Theory and details" and landed at the top).
void ExperimentResultsView::updateMinimumHeights()
{
    QWidget* shown = m_views->currentWidget();
    const int readable = qMax(kLatencyChartMinimumHeight, shareChartMinimumHeight(m_results, m_shown));
    m_cdf->setMinimumHeight(shown == m_cdf ? readable : 80);
    m_shares->setMinimumHeight(shown == m_shares ? readable : 80);
    m_details->setMinimumHeight(shown == m_details ? readable : 30);
}

QSize ExperimentResultsView::sizeHint() const
{
    return minimumSizeHint();
}

} // namespace lab
