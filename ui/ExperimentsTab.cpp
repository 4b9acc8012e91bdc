#include "ExperimentsTab.h"

#include "ExperimentResultsModel.h"
#include "ExperimentResultsView.h"
#include "FlowLayout.h"
#include "experiment/ExperimentRunner.h"
#include "experiment/ResultsReport.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QStyle>
#include <QTabBar>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <QWheelEvent>

namespace lab {

namespace {

// The picker's name for an experiment: its title up to the colon ("One slow backend"), short enough for
// a 1024 px window; the whole title is the item's tooltip and the tab's heading.
QString shortName(const QString& title)
{
    const QString head = title.section(QLatin1Char(':'), 0, 0).trimmed();
    return head.isEmpty() ? title : head;
}

} // namespace

ExperimentsTab::ExperimentsTab(QWidget* parent)
    : QWidget(parent)
    , m_saveDir(QDir::homePath())
    , m_model(new ExperimentResultsModel(this))
    , m_choice(new QComboBox)
    , m_open(new QPushButton(tr("Open…")))
    , m_run(new QPushButton(tr("Run")))
    , m_progress(new QProgressBar)
    , m_png(new QPushButton(tr("Save PNG…")))
    , m_csv(new QPushButton(tr("Save CSV…")))
    , m_about(new QToolButton)
    , m_title(new QLabel)
    , m_summary(new QLabel)
    , m_status(new QLabel)
    , m_saved(new QLabel)
    , m_verdictBox(new QWidget)
    , m_verdict(new QLabel)
    , m_resultsArea(new QScrollArea)
    , m_table(new QTableView)
    , m_theoryLegend(new QLabel)
    , m_results(new ExperimentResultsView)
{
    for (const ExperimentInfo& e : builtInExperiments()) {
        m_choice->addItem(shortName(e.title), e.file);
        m_choice->setItemData(m_choice->count() - 1, e.title, Qt::ToolTipRole);
    }
    m_choice->setSizeAdjustPolicy(QComboBox::AdjustToContents); // the short names fit a 1024 px window
    m_open->setToolTip(tr("Run an experiment file of your own (docs/experiments.md)"));
    m_run->setToolTip(tr("Each arm in turn in a fresh lab on free ports, with the same seeded traffic"));
    m_progress->setTextVisible(true);
    m_progress->setFormat(QStringLiteral("%p%"));
    m_progress->setFixedWidth(160);
    m_progress->hide();
    for (QPushButton* save : {m_png, m_csv})
        save->setToolTip(tr("Enabled once the experiment shown has results"));
    // Two short rows rather than one long one: the tab's minimum width is the main area's.
    // The controls are one line where the tab is wide and wrap where it is narrow (FlowLayout): every
    // line saved at 768 px goes to the chart. Each group stays together.
    const auto group = [](std::initializer_list<QWidget*> widgets) {
        auto* g = new QWidget;
        auto* row = new QHBoxLayout(g);
        row->setContentsMargins(0, 0, 0, 0);
        for (QWidget* w : widgets)
            row->addWidget(w);
        return g;
    };
    auto* controls = new QWidget;
    auto* flow = new FlowLayout(controls, 12, 2);
    flow->setContentsMargins(0, 0, 0, 0);
    // The label, the picker and Open... apart: the tab fits the 360 px its views get in a 1024 px window
    // beside the lesson dock (the picker alone is 280 px wide), with the label above the picker there.
    flow->addWidget(new QLabel(tr("Experiment:")));
    flow->addWidget(m_choice);
    flow->addWidget(m_open);
    flow->addWidget(group({m_run, m_progress}));
    flow->addWidget(group({m_png, m_csv}));
    // The description folds away (the title stays), leaving its lines to the results on a 768 px screen.
    m_about->setCheckable(true);
    m_about->setChecked(true);
    m_about->setArrowType(Qt::DownArrow);
    m_about->setAutoRaise(true);
    m_about->setToolTip(tr("Show or hide the experiment's description"));
    m_title->setWordWrap(true);
    m_title->setTextFormat(Qt::PlainText);
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    auto* heading = new QHBoxLayout;
    heading->addWidget(m_about, 0, Qt::AlignTop);
    heading->addWidget(m_title, 1);
    m_summary->setObjectName(QStringLiteral("experimentSummary"));
    m_summary->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setWordWrap(true); // a long arm list must not widen the window
    m_saved->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_saved->setWordWrap(true);
    m_saved->hide();
    m_table->setModel(m_model);
    m_table->setObjectName(QStringLiteral("experimentTable"));
    // The arm is the row's header (frozen at the left when the figures scroll sideways), not a column.
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff); // sized to show every arm
    // The verdict first, framed: what the run found, in the command's words.
    m_verdictBox->setObjectName(QStringLiteral("verdictBox"));
    m_verdictBox->setAttribute(Qt::WA_StyledBackground);
    m_verdictBox->setStyleSheet(
        QStringLiteral("#verdictBox { background: #eef4fb; border: 1px solid #8fb3dc; border-radius: 3px; }"));
    auto* verdictHeading = new QLabel(tr("Verdict"));
    verdictHeading->setFont(bold);
    m_verdict->setObjectName(QStringLiteral("verdict"));
    m_verdict->setTextFormat(Qt::PlainText);
    m_verdict->setWordWrap(true);
    m_verdict->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* verdictRow = new QHBoxLayout(m_verdictBox);
    verdictRow->setContentsMargins(6, 3, 6, 3);
    verdictRow->addWidget(verdictHeading, 0, Qt::AlignTop);
    verdictRow->addWidget(m_verdict, 1);
    m_verdictBox->hide();
    m_theoryLegend->setObjectName(QStringLiteral("theoryLegend"));
    m_theoryLegend->setTextFormat(Qt::PlainText);
    m_theoryLegend->setWordWrap(true);
    m_theoryLegend->setToolTip(theoryAssumptions());
    // In the table's own font size: the learner took the footnote-sized line for fine print and read the
    // percentages as the theory's error.
    m_theoryLegend->hide();
    // No splitter between the table and the charts: the table is as tall as its rows (fitTableToRows),
    // the charts take every other pixel down to their least readable height (ExperimentResultsView), and
    // below that the page scrolls up and down instead of squeezing the charts to stamps.
    auto* page = new QWidget;
    auto* pageLayout = new QVBoxLayout(page);
    pageLayout->setContentsMargins(0, 0, 0, 0);
    pageLayout->setSpacing(3);
    pageLayout->addLayout(heading);
    pageLayout->addWidget(m_summary);
    pageLayout->addWidget(m_status);
    pageLayout->addWidget(m_saved);
    pageLayout->addWidget(m_verdictBox);
    pageLayout->addWidget(m_table);
    pageLayout->addWidget(m_theoryLegend);
    pageLayout->addWidget(m_results, 1);
    m_resultsArea->setObjectName(QStringLiteral("resultsArea"));
    m_resultsArea->setWidget(page);
    m_resultsArea->setWidgetResizable(true);
    m_resultsArea->setFrameShape(QFrame::NoFrame);
    m_resultsArea->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff); // the table scrolls sideways itself
    // Only the controls stay put: below them everything scrolls as one page, the verdict at its top.
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(3);
    layout->addWidget(controls);
    layout->addWidget(m_resultsArea, 1);

    // The scroll bar's range follows the columns and the width, after the layout: the height follows it.
    connect(m_table->horizontalScrollBar(), &QScrollBar::rangeChanged, this, &ExperimentsTab::fitTableToRows);
    // Scrolling down the page with the wheel passes over the sub-tab bar: it must not switch tabs there.
    // A click on a tab keeps the page where it is (restored after the new page's layout, which can
    // change the page's height).
    m_results->views()->tabBar()->installEventFilter(this);
    connect(m_results->views()->tabBar(), &QTabBar::tabBarClicked, this, [this] {
        const int at = m_resultsArea->verticalScrollBar()->value();
        QTimer::singleShot(0, this, [this, at] { m_resultsArea->verticalScrollBar()->setValue(at); });
    });
    connect(m_choice, &QComboBox::activated, this, &ExperimentsTab::chooseBuiltIn);
    connect(m_open, &QPushButton::clicked, this, &ExperimentsTab::openFile);
    connect(m_run, &QPushButton::clicked, this, [this] { isRunning() ? stop() : (void)run(); });
    connect(m_png, &QPushButton::clicked, this, &ExperimentsTab::savePng);
    connect(m_csv, &QPushButton::clicked, this, &ExperimentsTab::saveCsv);
    connect(m_about, &QToolButton::toggled, this, [this](bool open) {
        m_summary->setVisible(open);
        m_about->setArrowType(open ? Qt::DownArrow : Qt::RightArrow);
    });
    // The experiment the issue is about first: one slow backend.
    const int slow = qMax(0, m_choice->findData(QStringLiteral(":/experiments/slow-backend.json")));
    m_choice->setCurrentIndex(slow);
    if (m_choice->count() > 0)
        chooseBuiltIn(slow);
    updateActions();
}

ExperimentsTab::~ExperimentsTab()
{
    // ~QWidget hides the children after this destructor has run, and the table's scroll bar signals its new
    // range then: by that time this is no longer an ExperimentsTab (UBSan: a downcast in the slot call).
    disconnect(m_table->horizontalScrollBar(), nullptr, this, nullptr);
    m_results->views()->tabBar()->removeEventFilter(this);
}

bool ExperimentsTab::eventFilter(QObject* watched, QEvent* event)
{
    if (event->type() == QEvent::Wheel && watched == m_results->views()->tabBar()) {
        QCoreApplication::sendEvent(m_resultsArea->verticalScrollBar(), event);
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

void ExperimentsTab::chooseBuiltIn(int index)
{
    const QString file = m_choice->itemData(index).toString();
    const ExperimentResult r = loadExperiment(file);
    if (!r.ok()) {
        m_status->setText(r.error);
        return;
    }
    setExperiment(r.experiment, file);
}

void ExperimentsTab::openFile()
{
    const QString file =
        QFileDialog::getOpenFileName(this, tr("Open experiment"), QString(), tr("Experiments (*.json)"));
    if (file.isEmpty())
        return;
    const ExperimentResult r = loadExperiment(file);
    if (!r.ok()) {
        QMessageBox::warning(this, tr("Invalid experiment"), r.error);
        return;
    }
    setExperiment(r.experiment, file);
}

void ExperimentsTab::setExperiment(const Experiment& experiment, const QString& source)
{
    if (isRunning())
        return;
    m_experiment = experiment;
    m_source = source;
    m_loaded = true;
    // The selector names what will run: a file of one's own gets an entry of its own.
    int index = m_choice->findData(source);
    if (index < 0) {
        const QString title = experiment.title.isEmpty() ? QFileInfo(source).fileName() : experiment.title;
        m_choice->addItem(shortName(title), source);
        index = m_choice->count() - 1;
        m_choice->setItemData(index, title, Qt::ToolTipRole);
    }
    m_choice->setCurrentIndex(index);
    m_choice->setToolTip(m_choice->itemData(index, Qt::ToolTipRole).toString());
    // The popup lists the names whole, however narrow the box is.
    m_choice->view()->setTextElideMode(Qt::ElideNone);
    int widest = 0;
    for (int i = 0; i < m_choice->count(); ++i)
        widest = qMax(widest, m_choice->fontMetrics().horizontalAdvance(m_choice->itemText(i)));
    m_choice->view()->setMinimumWidth(widest + 2 * m_choice->view()->frameWidth() +
                                      style()->pixelMetric(QStyle::PM_ScrollBarExtent) + 16);
    m_title->setText(experiment.title.isEmpty() ? QFileInfo(source).fileName() : experiment.title);
    m_summary->setText(experiment.summary);
    QStringList arms;
    for (const ExperimentArm& a : experiment.arms)
        arms << a.name;
    m_results->setArmNames(arms);
    m_saved->clear();
    m_saved->hide();
    m_about->setChecked(true); // every experiment starts with its description open (a run folds it)
    showRecord();
    m_table->horizontalScrollBar()->setValue(0); // the new experiment's table from its first column
}

// Shows the experiment's own last results, or none: never the previous experiment's.
void ExperimentsTab::showRecord()
{
    m_model->clear();
    const auto record = m_records.constFind(m_source);
    if (record != m_records.constEnd()) {
        for (const ArmResult& a : record->arms)
            m_model->append(a);
        m_results->setDetails(record->details);
        m_status->setText(
            tr("%1 (run at %2)").arg(record->status, record->finishedAt.toString(QStringLiteral("HH:mm:ss"))));
    } else {
        m_results->setDetails(QString());
        QStringList arms;
        for (const ExperimentArm& a : m_experiment.arms)
            arms << a.name;
        m_status->setText(tr("%1: %2 arms (%3), about %4 s of traffic each; not run yet")
                              .arg(QFileInfo(m_source).fileName(), QString::number(m_experiment.arms.size()),
                                   arms.join(QStringLiteral(", ")))
                              .arg(double(m_experiment.expectedDurationMs()) / 1000.0, 0, 'f', 1));
    }
    arrangeColumns();
    fitTableToRows();
    m_results->setResults(m_model->arms());
    showVerdict(m_model->arms());
    updateActions();
}

void ExperimentsTab::showVerdict(const QList<ArmResult>& arms)
{
    const QString verdict = experimentVerdict(arms);
    m_verdict->setText(verdict);
    m_verdictBox->setVisible(!verdict.isEmpty());
    const QString legend = ExperimentResultsModel::theoryLegend(arms);
    m_theoryLegend->setText(legend);
    m_theoryLegend->setVisible(!legend.isEmpty());
}

void ExperimentsTab::setArmShown(int arm, bool shown)
{
    m_results->setArmShown(arm, shown);
}

// The columns for the arms shown: the Arm column hidden (the row header names the arm), those n/a for
// every arm hidden (no M/M/c prediction for hashing, no busy share without worker limits), and for a
// hashing experiment the keys moved (with its ideal) first, since that is what it measures. With no arms
// yet every column is there: nothing is known to be n/a.
void ExperimentsTab::arrangeColumns()
{
    const QList<ArmResult>& arms = m_model->arms();
    QHeaderView* header = m_table->horizontalHeader();
    for (int c = 0; c < m_model->columnCount(); ++c) {
        const auto figure = ArmFigure(c);
        m_table->setColumnHidden(
            c, c == ExperimentResultsModel::Arm || (!arms.isEmpty() && !armFigureShown(figure, arms)));
    }
    if (m_model->columnCount() > ExperimentResultsModel::KeysMoved)
        header->moveSection(header->visualIndex(ExperimentResultsModel::KeysMoved),
                            header->visualIndex(ExperimentResultsModel::Arm) + 1);
    m_table->resizeColumnsToContents();
}

// The table shows every arm of the experiment: its height is the header and one row per arm (and the
// horizontal scroll bar's, when the columns are wider than the tab), and the charts below take the rest.
void ExperimentsTab::fitTableToRows()
{
    const int rows = qMax(1, qMax(int(m_experiment.arms.size()), m_model->rowCount()));
    const bool scrolls = m_table->horizontalScrollBar()->maximum() > 0;
    const int height = m_table->horizontalHeader()->sizeHint().height() +
        rows * m_table->verticalHeader()->defaultSectionSize() +
        (scrolls ? m_table->horizontalScrollBar()->sizeHint().height() : 0) + 2 * m_table->frameWidth();
    m_table->setFixedHeight(height);
}

bool ExperimentsTab::run()
{
    if (!m_loaded || isRunning())
        return false;
    m_records.remove(m_source);
    m_model->clear();
    m_results->setResults({});
    m_results->setDetails(QString());
    showVerdict({});
    m_saved->clear();
    m_saved->hide();
    m_runner = std::make_unique<ExperimentRunner>(m_experiment);
    const auto progressText = [this](int arm) {
        return tr("arm %1 of %2: %3").arg(arm + 1).arg(m_experiment.arms.size()).arg(m_experiment.arms[arm].name);
    };
    connect(m_runner.get(), &ExperimentRunner::armStarted, this,
            [this, progressText](int arm) { m_status->setText(progressText(arm) + QStringLiteral("…")); });
    connect(m_runner.get(), &ExperimentRunner::progress, this,
            [this, progressText](int arm, quint64 done, quint64 total) {
                m_status->setText(tr("%1, %2 of %3 requests done").arg(progressText(arm)).arg(done).arg(total));
                // The whole run, every arm's requests: the bar never goes back when the next arm starts.
                m_progress->setRange(0, int(qMin<quint64>(total * quint64(m_experiment.arms.size()), INT_MAX)));
                m_progress->setValue(int(qMin<quint64>(total * quint64(arm) + done, INT_MAX)));
            });
    connect(m_runner.get(), &ExperimentRunner::armFinished, this, &ExperimentsTab::onArmFinished);
    connect(m_runner.get(), &ExperimentRunner::finished, this, &ExperimentsTab::onFinished);
    m_run->setText(tr("Cancel"));
    m_run->setToolTip(tr("Stop the run: the arm going is given up, the arms done stay"));
    m_progress->setRange(0, 0); // busy until the first progress report
    m_about->setChecked(false); // the description gives its lines to the results (a click brings it back)
    m_progress->show();
    setEnabledKeepingFocus(m_choice, false);
    setEnabledKeepingFocus(m_open, false);
    updateActions();
    m_runner->start();
    return true;
}

void ExperimentsTab::stop()
{
    if (m_runner)
        m_runner->stop();
}

bool ExperimentsTab::isRunning() const
{
    return m_runner && m_runner->isRunning();
}

void ExperimentsTab::onArmFinished(int arm)
{
    m_model->append(m_runner->results().at(arm));
    arrangeColumns();
    fitTableToRows();
    m_results->setResults(m_model->arms());
    m_theoryLegend->setText(ExperimentResultsModel::theoryLegend(m_model->arms()));
    m_theoryLegend->setVisible(!m_theoryLegend->text().isEmpty());
}

void ExperimentsTab::setResults(const QList<ArmResult>& arms)
{
    if (isRunning() || !m_loaded)
        return;
    Record record;
    record.arms = arms;
    record.details = resultsTable(m_experiment, arms);
    record.status =
        tr("results of %1 arms, %2 requests each").arg(arms.size()).arg(arms.isEmpty() ? 0 : arms.first().requests);
    record.finishedAt = QDateTime::currentDateTime();
    m_records.insert(m_source, record);
    m_about->setChecked(false); // as a run does: the description gives its lines to the results
    showRecord();
}

void ExperimentsTab::onFinished()
{
    const QString error = m_runner->error();
    const bool complete = m_runner->results().size() == m_experiment.arms.size();
    Record record;
    record.arms = m_runner->results();
    record.details = resultsTable(m_experiment, m_runner->results());
    record.status = !error.isEmpty() ? error
        : complete ? tr("done: %1 arms, %2 requests each").arg(m_experiment.arms.size()).arg(m_runner->plan().size())
                   : tr("cancelled after %1 of %2 arms").arg(m_runner->results().size()).arg(m_experiment.arms.size());
    record.finishedAt = QDateTime::currentDateTime();
    m_results->setDetails(record.details);
    m_status->setText(record.status);
    showVerdict(record.arms);
    if (!record.arms.isEmpty())
        m_records.insert(m_source, record);
    m_run->setText(tr("Run"));
    m_run->setToolTip(tr("Each arm in turn in a fresh lab on free ports, with the same seeded traffic"));
    m_progress->setFixedWidth(160);
    m_progress->hide();
    m_choice->setEnabled(true);
    m_open->setEnabled(true);
    updateActions();
    // The runner is deleted later: this runs inside its finished() signal.
    m_runner.release()->deleteLater();
    Q_EMIT runFinished();
}

void ExperimentsTab::updateActions()
{
    const bool results = !isRunning() && m_model->rowCount() > 0;
    setEnabledKeepingFocus(m_png, results);
    setEnabledKeepingFocus(m_csv, results);
}

void ExperimentsTab::setEnabledKeepingFocus(QWidget* w, bool enabled)
{
    if (!enabled && w->hasFocus() && w != m_run)
        m_run->setFocus(Qt::OtherFocusReason);
    w->setEnabled(enabled);
}

QString ExperimentsTab::titleText() const
{
    return m_title->text();
}

QString ExperimentsTab::statusText() const
{
    return m_status->text();
}

QString ExperimentsTab::detailsText() const
{
    return m_results->details();
}

QString ExperimentsTab::verdictText() const
{
    return m_verdictBox->isHidden() ? QString() : m_verdict->text();
}

QString ExperimentsTab::theoryLegendText() const
{
    return m_theoryLegend->isHidden() ? QString() : m_theoryLegend->text();
}

QString ExperimentsTab::savedText() const
{
    return m_saved->text();
}

int ExperimentsTab::cdfSeriesCount() const
{
    return m_results->cdfSeriesCount();
}

int ExperimentsTab::shareBarSetCount() const
{
    return m_results->shareBarSetCount();
}

} // namespace lab
