#include "ExperimentsTab.h"

#include "ExperimentResultsModel.h"
#include "experiment/ExperimentRunner.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>
#include <QValueAxis>

namespace lab {

ExperimentsTab::ExperimentsTab(QWidget* parent)
    : QWidget(parent)
    , m_model(new ExperimentResultsModel(this))
    , m_choice(new QComboBox)
    , m_open(new QPushButton(tr("Open…")))
    , m_run(new QPushButton(tr("Run")))
    , m_png(new QPushButton(tr("Save PNG…")))
    , m_csv(new QPushButton(tr("Save CSV…")))
    , m_summary(new QLabel)
    , m_status(new QLabel)
    , m_table(new QTableView)
    , m_cdf(new QChartView)
    , m_shares(new QChartView)
    , m_details(new QPlainTextEdit)
{
    for (const ExperimentInfo& e : builtInExperiments())
        m_choice->addItem(e.title, e.file);
    m_choice->setToolTip(tr("The experiments the program carries (resources/experiments)"));
    m_choice->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_choice->setMinimumContentsLength(16);
    m_open->setToolTip(tr("Run an experiment file of your own (docs/experiments.md)"));
    m_run->setToolTip(tr("Each arm in turn in a fresh lab on free ports, with the same seeded traffic"));
    // Two short rows rather than one long one: the tab's minimum width is the main area's.
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Experiment:")));
    top->addWidget(m_choice, 1);
    top->addWidget(m_open);
    auto* actions = new QHBoxLayout;
    actions->addWidget(m_run);
    actions->addWidget(m_png);
    actions->addWidget(m_csv);
    actions->addStretch(1);
    m_summary->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setWordWrap(true); // a long arm list must not widen the window
    m_table->setModel(m_model);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setWordWrap(false);
    // Small minimum sizes: the tab shares the main area with the flow view, and its minimum is the area's
    // (a tall one would squeeze the board and the lesson dock on a 1280x720 screen).
    for (QChartView* view : {m_cdf, m_shares}) {
        view->setRenderHint(QPainter::Antialiasing);
        view->setMinimumSize(120, 80);
    }
    m_table->setMinimumHeight(40);
    m_details->setMinimumHeight(30);
    m_details->setReadOnly(true);
    m_details->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_details->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_details->setPlaceholderText(tr("The shares, keys moved and the queueing theory appear here after a run."));

    auto* charts = new QSplitter(Qt::Horizontal);
    charts->addWidget(m_cdf);
    charts->addWidget(m_shares);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(m_table);
    split->addWidget(charts);
    split->addWidget(m_details);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 4);
    split->setStretchFactor(2, 2);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addLayout(actions);
    layout->addWidget(m_summary);
    layout->addWidget(m_status);
    layout->addWidget(split, 1);

    connect(m_choice, &QComboBox::activated, this, &ExperimentsTab::chooseBuiltIn);
    connect(m_open, &QPushButton::clicked, this, &ExperimentsTab::openFile);
    connect(m_run, &QPushButton::clicked, this, [this] { isRunning() ? stop() : (void)run(); });
    connect(m_png, &QPushButton::clicked, this, &ExperimentsTab::savePng);
    connect(m_csv, &QPushButton::clicked, this, &ExperimentsTab::saveCsv);
    rebuildCharts();
    // The experiment the issue is about first: one slow backend.
    const int slow = qMax(0, m_choice->findData(QStringLiteral(":/experiments/slow-backend.json")));
    m_choice->setCurrentIndex(slow);
    if (m_choice->count() > 0)
        chooseBuiltIn(slow);
}

ExperimentsTab::~ExperimentsTab() = default;

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
    m_loaded = true;
    // The selector names what will run: a file of one's own gets an entry of its own.
    int index = m_choice->findData(source);
    if (index < 0) {
        m_choice->addItem(experiment.title.isEmpty() ? QFileInfo(source).fileName() : experiment.title, source);
        index = m_choice->count() - 1;
    }
    m_choice->setCurrentIndex(index);
    QStringList arms;
    for (const ExperimentArm& a : experiment.arms)
        arms << a.name;
    m_summary->setText(experiment.summary);
    m_status->setText(
        tr("%1: %2 arms (%3), about %4 s of traffic each")
            .arg(QFileInfo(source).fileName(), QString::number(experiment.arms.size()), arms.join(QStringLiteral(", ")))
            .arg(double(experiment.expectedDurationMs()) / 1000.0, 0, 'f', 1));
}

bool ExperimentsTab::run()
{
    if (!m_loaded || isRunning())
        return false;
    m_model->clear();
    m_details->clear();
    m_runner = std::make_unique<ExperimentRunner>(m_experiment);
    connect(m_runner.get(), &ExperimentRunner::armStarted, this, [this](int arm) {
        m_status->setText(
            tr("arm %1 of %2: %3…").arg(arm + 1).arg(m_experiment.arms.size()).arg(m_experiment.arms[arm].name));
    });
    connect(m_runner.get(), &ExperimentRunner::progress, this, [this](int arm, quint64 done, quint64 total) {
        m_status->setText(tr("arm %1 of %2: %3, %4 of %5 requests done")
                              .arg(arm + 1)
                              .arg(m_experiment.arms.size())
                              .arg(m_experiment.arms[arm].name)
                              .arg(done)
                              .arg(total));
    });
    connect(m_runner.get(), &ExperimentRunner::armFinished, this, &ExperimentsTab::onArmFinished);
    connect(m_runner.get(), &ExperimentRunner::finished, this, &ExperimentsTab::onFinished);
    m_run->setText(tr("Stop"));
    m_choice->setEnabled(false);
    m_open->setEnabled(false);
    rebuildCharts();
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
    m_table->resizeColumnsToContents();
    rebuildCharts();
}

void ExperimentsTab::onFinished()
{
    const QString error = m_runner->error();
    const bool complete = m_runner->results().size() == m_experiment.arms.size();
    m_details->setPlainText(resultsTable(m_experiment, m_runner->results()));
    m_status->setText(
        !error.isEmpty() ? error
            : complete
            ? tr("done: %1 arms, %2 requests each").arg(m_experiment.arms.size()).arg(m_runner->plan().size())
            : tr("stopped after %1 of %2 arms").arg(m_runner->results().size()).arg(m_experiment.arms.size()));
    m_run->setText(tr("Run"));
    m_choice->setEnabled(true);
    m_open->setEnabled(true);
    // The runner is deleted later: this runs inside its finished() signal.
    m_runner.release()->deleteLater();
    Q_EMIT runFinished();
}

void ExperimentsTab::rebuildCharts()
{
    // Latency CDFs: the fraction of responses at or under each bucket's upper edge, one line per arm.
    auto* cdf = new QChart;
    cdf->setTitle(tr("Client latency CDF (ms, log scale)"));
    auto* x = new QLogValueAxis;
    x->setLabelFormat(QStringLiteral("%g"));
    x->setBase(10);
    x->setMinorTickCount(8);
    auto* y = new QValueAxis;
    y->setRange(0, 1);
    y->setLabelFormat(QStringLiteral("%.2f"));
    cdf->addAxis(x, Qt::AlignBottom);
    cdf->addAxis(y, Qt::AlignLeft);
    double lo = 1e9;
    double hi = 0;
    for (const ArmResult& a : m_model->arms()) {
        auto* line = new QLineSeries;
        line->setName(a.name);
        quint64 seen = 0;
        for (int b = 0; b < LatencyHistogram::kBuckets && a.latency.total > 0; ++b) {
            if (a.latency.buckets[size_t(b)] == 0)
                continue;
            seen += a.latency.buckets[size_t(b)];
            const double ms = qMax(0.01, double(LatencyHistogram::bucketUpperMicros(b)) / 1000.0);
            line->append(ms, double(seen) / double(a.latency.total));
            lo = qMin(lo, ms);
            hi = qMax(hi, ms);
        }
        cdf->addSeries(line);
        line->attachAxis(x);
        line->attachAxis(y);
    }
    x->setRange(hi > 0 ? qMax(0.01, lo / 1.5) : 1, hi > 0 ? hi * 1.5 : 1000);
    cdf->legend()->setAlignment(Qt::AlignBottom);
    QChart* old = m_cdf->chart();
    m_cdf->setChart(cdf);
    delete old;

    // Shares: per backend, one bar per arm.
    auto* shares = new QChart;
    shares->setTitle(tr("Share of responses per backend (%)"));
    auto* series = new QBarSeries;
    QStringList backends;
    for (const ArmResult& a : m_model->arms()) {
        for (const BackendResult& b : a.backends) {
            if (!backends.contains(b.name))
                backends << b.name;
        }
    }
    for (const ArmResult& a : m_model->arms()) {
        auto* set = new QBarSet(a.name);
        for (const QString& name : std::as_const(backends)) {
            double share = 0;
            for (const BackendResult& b : a.backends)
                share = b.name == name ? b.share * 100 : share;
            *set << share;
        }
        series->append(set);
    }
    shares->addSeries(series);
    auto* categories = new QBarCategoryAxis;
    categories->append(backends);
    categories->setLabelsAngle(backends.size() > 3 ? -25 : 0); // whole names, even for four or five backends
    auto* percent = new QValueAxis;
    percent->setRange(0, 100);
    percent->setLabelFormat(QStringLiteral("%d"));
    shares->addAxis(categories, Qt::AlignBottom);
    shares->addAxis(percent, Qt::AlignLeft);
    series->attachAxis(categories);
    series->attachAxis(percent);
    shares->legend()->setAlignment(Qt::AlignBottom);
    old = m_shares->chart();
    m_shares->setChart(shares);
    delete old;
}

QString ExperimentsTab::statusText() const
{
    return m_status->text();
}

QString ExperimentsTab::detailsText() const
{
    return m_details->toPlainText();
}

int ExperimentsTab::cdfSeriesCount() const
{
    return int(m_cdf->chart()->series().size());
}

int ExperimentsTab::shareBarSetCount() const
{
    const QList<QAbstractSeries*> series = m_shares->chart()->series();
    return series.isEmpty() ? 0 : int(static_cast<QBarSeries*>(series.first())->count());
}

bool ExperimentsTab::exportPng(const QString& file) const
{
    return const_cast<ExperimentsTab*>(this)->grab().save(file, "PNG"); // grab() renders, changing nothing
}

bool ExperimentsTab::exportCsv(const QString& file, QString* error) const
{
    const auto write = [error](const QString& name, const QByteArray& data) {
        QSaveFile f(name);
        if (f.open(QIODevice::WriteOnly) && f.write(data) >= 0 && f.commit())
            return true;
        if (error)
            *error = tr("%1: cannot write: %2").arg(name, f.errorString());
        return false;
    };
    QString backends = file;
    backends.insert(file.endsWith(QLatin1String(".csv")) ? file.size() - 4 : file.size(), QStringLiteral("-backends"));
    if (!backends.endsWith(QLatin1String(".csv")))
        backends += QStringLiteral(".csv");
    return write(file, armsCsv(m_model->arms())) && write(backends, backendsCsv(m_model->arms()));
}

void ExperimentsTab::savePng()
{
    const QString file =
        QFileDialog::getSaveFileName(this, tr("Save PNG"), QStringLiteral("experiment.png"), tr("PNG images (*.png)"));
    if (!file.isEmpty() && !exportPng(file))
        QMessageBox::warning(this, tr("Save PNG"), tr("%1: cannot write the image").arg(file));
}

void ExperimentsTab::saveCsv()
{
    const QString file =
        QFileDialog::getSaveFileName(this, tr("Save CSV"), QStringLiteral("experiment.csv"), tr("CSV files (*.csv)"));
    QString error;
    if (!file.isEmpty() && !exportCsv(file, &error))
        QMessageBox::warning(this, tr("Save CSV"), error);
}

} // namespace lab
