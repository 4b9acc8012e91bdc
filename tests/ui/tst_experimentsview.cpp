// The Experiments tab's results in the window, fed with hand-made results of the built-in experiments
// (known figures, no run): the second learner trial of issue 15 found the share bars' labels on top of
// each other and the backends' names cut, no winner named although the command prints one, the tab
// squeezed to unreadable beside the lesson dock, and M/M/c percentages nobody explained. Each case is
// checked at 1366x768 and 1024x768, with and without the lesson dock, and grabbed to PNG.
#include "ExperimentCharts.h"
#include "ExperimentResultsModel.h"
#include "ExperimentsTab.h"
#include "MainWindow.h"
#include "TestLab.h"
#include "experiment/ArmFigures.h"
#include "experiment/Experiment.h"
#include "experiment/ResultsReport.h"

#include <QAction>
#include <QChart>
#include <QChartView>
#include <QDir>
#include <QDockWidget>
#include <QGraphicsScene>
#include <QGraphicsTextItem>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QTabBar>
#include <QTabWidget>
#include <QTableView>
#include <QTest>
#include <QValueAxis>
#include <QWheelEvent>
#include <cmath>
#include <memory>
#include <random>

using namespace lab;
using namespace lab::test;

namespace {

const QString kSlow = QStringLiteral(":/experiments/slow-backend.json");
const QString kCapacity = QStringLiteral(":/experiments/heterogeneous-capacity.json");
const QString kHashing = QStringLiteral(":/experiments/hashing-scale-up.json");
const QString kLesson = QStringLiteral(":/lessons/08-rate-limiting-and-overload.json");

QString outputPath(const QString& fileName)
{
    return QDir(qEnvironmentVariable("LAB_TEST_OUTPUT_DIR", QDir::tempPath())).filePath(fileName);
}

// One arm of known figures: `shares` of 2000 requests over `backends`, client latencies drawn (seeded)
// from an exponential of `meanMs` above 2 ms, the backend named `hot` the busiest. With `keysMoved` it is
// a hashing arm (no M/M/c prediction), else one with the prediction `predictedMs`.
ArmResult madeArm(const QString& name, const QStringList& backends, const QList<double>& shares, double meanMs,
                  const QString& hot, double predictedMs, std::optional<double> keysMoved = {})
{
    ArmResult a;
    a.name = name;
    a.algorithm = name;
    a.requests = 2000;
    a.completed = 2000;
    a.byClass[2] = 2000;
    a.elapsedMs = 11'000;
    a.throughputPerSecond = 181.8;
    std::mt19937 random(uint(qHash(name)));
    std::exponential_distribution<double> cost(1.0 / meanMs);
    LatencyHistogram h;
    double sum = 0;
    for (int i = 0; i < 2000; ++i) {
        const double ms = 2 + cost(random);
        sum += ms;
        h.record(quint64(ms * 1000));
    }
    a.latency.add(h);
    a.meanMs = sum / 2000;
    QList<double> x;
    for (int i = 0; i < backends.size(); ++i) {
        BackendResult b;
        b.name = backends[i];
        b.share = shares[i];
        b.served = quint64(shares[i] * 2000);
        b.attempts = b.served;
        b.workers = b.name == hot ? 1 : 4;
        b.busy = b.name == hot ? 0.2 + meanMs / 60 : 0.5;
        b.maxQueue = b.name == hot ? int(meanMs / 3) : 2;
        b.latency = a.latency;
        a.backends << b;
        x << b.share;
    }
    a.jainIndex = jainIndex(x);
    a.maxQueue = int(meanMs / 3);
    if (keysMoved) {
        a.keysMoved = keysMoved;
        a.keysCompared = 500;
        a.keysMovedIdeal = 0.2;
        a.theoryNote = QStringLiteral("the timeline changes the backends");
    } else {
        TheoryResult t;
        t.model = QStringLiteral("M/M/c per backend at its measured share");
        t.utilisation = 0.9;
        t.meanResponseMs = predictedMs;
        t.meanWaitMs = predictedMs - 20;
        t.p95Ms = predictedMs * 3;
        t.p99Ms = predictedMs * 5;
        a.theory = t;
    }
    return a;
}

// Results of the shape each built-in experiment has: its arms, its backends (four, three, and four plus
// the one that joins), figures like the README's.
QList<ArmResult> madeResults(const QString& file)
{
    if (file == kSlow) {
        const QStringList b{QStringLiteral("backend-a"), QStringLiteral("backend-b"), QStringLiteral("backend-c"),
                            QStringLiteral("backend-slow")};
        const QString slow = QStringLiteral("backend-slow");
        return {madeArm(QStringLiteral("round-robin"), b, {0.25, 0.25, 0.25, 0.25}, 39.1, slow, 64.9),
                madeArm(QStringLiteral("least-connections"), b, {0.266, 0.266, 0.267, 0.201}, 25.2, slow, 34.1),
                madeArm(QStringLiteral("power-of-two-choices"), b, {0.268, 0.265, 0.27, 0.197}, 25.6, slow, 32.9),
                madeArm(QStringLiteral("least-latency"), b, {0.281, 0.279, 0.283, 0.157}, 23.9, slow, 27.5)};
    }
    if (file == kCapacity) {
        const QStringList b{QStringLiteral("small"), QStringLiteral("medium"), QStringLiteral("large")};
        const QString small = QStringLiteral("small");
        return {madeArm(QStringLiteral("round-robin"), b, {0.333, 0.333, 0.334}, 45, small, 80),
                madeArm(QStringLiteral("weighted-round-robin"), b, {0.143, 0.286, 0.571}, 22, small, 30),
                madeArm(QStringLiteral("least-connections"), b, {0.16, 0.29, 0.55}, 20, small, 28)};
    }
    const QStringList b{QStringLiteral("backend-1"), QStringLiteral("backend-2"), QStringLiteral("backend-3"),
                        QStringLiteral("backend-4"), QStringLiteral("backend-5")};
    const QString none;
    return {madeArm(QStringLiteral("ip-hash"), b, {0.21, 0.19, 0.2, 0.2, 0.2}, 12, none, 0, 0.807),
            madeArm(QStringLiteral("ring-hash"), b, {0.24, 0.18, 0.22, 0.21, 0.15}, 12, none, 0, 0.185),
            madeArm(QStringLiteral("maglev"), b, {0.2, 0.2, 0.21, 0.19, 0.2}, 12, none, 0, 0.185)};
}

// The window at `size` on the Experiments tab showing `file`'s made results; with `dock`, a lesson open
// beside it (the dock takes ~340 px of a 1024 px window).
struct Window {
    Window(QSize size, bool dock, const QString& file)
    {
        lab.lab.setEmbeddedPortBase(0);
        if (QAction* anyPorts = w.findChild<QAction*>(QStringLiteral("lessonAnyPorts"));
            anyPorts && !anyPorts->isChecked())
            anyPorts->trigger();
        w.resize(size);
        w.show();
        tab = w.findChild<ExperimentsTab*>();
        QWidget* page = tab;
        while (page && w.viewTabs()->indexOf(page) < 0)
            page = page->parentWidget();
        w.viewTabs()->setCurrentWidget(page);
        if (dock)
            w.openLesson(kLesson);
        const ExperimentResult r = loadExperiment(file);
        if (!r.ok())
            qFatal("%s", qPrintable(r.error));
        tab->setExperiment(r.experiment, file);
        arms = madeResults(file);
        tab->setResults(arms);
    }
    void save(const QString& what, QSize size, bool dock, const QString& file)
    {
        const QString name = QStringLiteral("experiments-%1-%2-%3x%4%5.png")
                                 .arg(what, QFileInfo(file).completeBaseName())
                                 .arg(size.width())
                                 .arg(size.height())
                                 .arg(dock ? QStringLiteral("-dock") : QString());
        w.grab().save(outputPath(name));
    }
    RunningLab lab;
    MainWindow w{&lab.lab};
    ExperimentsTab* tab = nullptr;
    QList<ArmResult> arms;
};

void windowRows()
{
    QTest::addColumn<QSize>("size");
    QTest::addColumn<bool>("dock");
    QTest::addColumn<QString>("file");
    for (const QSize size : {QSize(1366, 768), QSize(1024, 768)}) {
        for (const bool dock : {false, true}) {
            for (const QString& file : {kSlow, kCapacity, kHashing}) {
                const QString name = QStringLiteral("%1x%2%3 %4")
                                         .arg(size.width())
                                         .arg(size.height())
                                         .arg(dock ? QStringLiteral(" dock") : QString(), QFileInfo(file).fileName());
                QTest::newRow(qPrintable(name)) << size << dock << file;
            }
        }
    }
}

// The texts a chart draws (title, axis labels, bar labels), each with its rectangle in the view.
struct DrawnText {
    QString text;
    QRectF rect;
};
QList<DrawnText> drawnTexts(QChartView* view)
{
    QList<DrawnText> out;
    for (QGraphicsItem* item : view->scene()->items()) {
        auto* text = qgraphicsitem_cast<QGraphicsTextItem*>(item);
        if (!text || !text->isVisible() || text->toPlainText().isEmpty())
            continue;
        out.append({text->toPlainText(), view->mapFromScene(text->sceneBoundingRect()).boundingRect()});
    }
    return out;
}

} // namespace

class TestExperimentsView final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void verdictIsTheCommands_data() { windowRows(); }
    void verdictIsTheCommands();
    void shareBarLabelsAreApartAndWhole_data() { windowRows(); }
    void shareBarLabelsAreApartAndWhole();
    void resultsScrollRatherThanSqueeze_data() { windowRows(); }
    void resultsScrollRatherThanSqueeze();
    void theoryColumnsSayWhatTheyAre();
    void tableKeepsTheArmInSight_data() { windowRows(); }
    void subTabsLeaveThePageWhereItIs_data() { windowRows(); }
    void subTabsLeaveThePageWhereItIs();
    void descriptionAndChartsReadRight();
    void tableKeepsTheArmInSight();
};

void TestExperimentsView::initTestCase()
{
    QCoreApplication::setOrganizationName(QStringLiteral("balancer-lab-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_experimentsview"));
    QSettings().clear();
}

void TestExperimentsView::verdictIsTheCommands()
{
    QFETCH(QSize, size);
    QFETCH(bool, dock);
    QFETCH(QString, file);
    Window window(size, dock, file);
    QVERIFY(QTest::qWaitForWindowExposed(&window.w));
    if (dock)
        QTRY_VERIFY(window.w.lessonDock()->isVisible());
    ExperimentsTab* tab = window.tab;
    // The window's verdict is the command's, word for word (the terminal wraps it at 100 columns).
    const QString verdict = experimentVerdict(window.arms);
    QVERIFY(!verdict.isEmpty());
    QCOMPARE(tab->verdictText(), verdict);
    const QString printed = resultsTable(loadExperiment(file).experiment, window.arms);
    QVERIFY2(printed.simplified().contains(verdict.simplified()), qPrintable(printed));
    if (file == kHashing) {
        // A hash is judged by how close the keys it moves come to the ideal, not by the p99.
        QVERIFY2(verdict.endsWith(QStringLiteral("ring-hash (18.5%) and maglev (18.5%) are consistent — about the "
                                                 "ideal. Far more: ip-hash moves 80.7%, 4.0x the ideal.")),
                 qPrintable(verdict));
        QVERIFY2(!verdict.contains(QStringLiteral("p99")), qPrintable(verdict));
    } else {
        QVERIFY2(verdict.contains(QStringLiteral("Lowest p99: ")), qPrintable(verdict));
    }
    // Shown whole, framed, above the table, readable at the tab's width.
    auto* box = tab->findChild<QWidget*>(QStringLiteral("verdictBox"));
    auto* label = tab->findChild<QLabel*>(QStringLiteral("verdict"));
    auto* area = tab->findChild<QScrollArea*>(QStringLiteral("resultsArea"));
    QVERIFY(box && label && area);
    QTRY_VERIFY(box->isVisible());
    QCOMPARE(label->text(), verdict);
    auto* table = tab->findChild<QTableView*>(QStringLiteral("experimentTable"));
    QVERIFY(table && area->isAncestorOf(box));
    QVERIFY2(box->geometry().bottom() < table->geometry().top(),
             qPrintable(QStringLiteral("verdict ends at %1, the table starts at %2")
                            .arg(box->geometry().bottom())
                            .arg(table->geometry().top())));
    // It is the first thing the results show: in view with the page scrolled to its top.
    QCOMPARE(area->verticalScrollBar()->value(), 0);
    QVERIFY(box->geometry().bottom() <= area->viewport()->height());
    QVERIFY2(
        label->height() >= label->heightForWidth(label->width()),
        qPrintable(QStringLiteral("%1 px for %2").arg(label->height()).arg(label->heightForWidth(label->width()))));
    window.save(QStringLiteral("verdict"), size, dock, file);
}

void TestExperimentsView::shareBarLabelsAreApartAndWhole()
{
    QFETCH(QSize, size);
    QFETCH(bool, dock);
    QFETCH(QString, file);
    Window window(size, dock, file);
    QVERIFY(QTest::qWaitForWindowExposed(&window.w));
    if (dock)
        QTRY_VERIFY(window.w.lessonDock()->isVisible());
    ExperimentsTab* tab = window.tab;
    auto* views = tab->findChild<QTabWidget*>(QStringLiteral("experimentViews"));
    auto* shares = tab->findChild<QChartView*>(QStringLiteral("shareChart"));
    QVERIFY(views && shares);
    views->setCurrentWidget(shares);
    QTRY_VERIFY(shares->isVisible());
    auto* area = tab->findChild<QScrollArea*>(QStringLiteral("resultsArea"));
    QCoreApplication::processEvents();
    area->verticalScrollBar()->setValue(views->mapTo(area->widget(), QPoint(0, 0)).y());
    QCoreApplication::processEvents();
    window.save(QStringLiteral("shares"), size, dock, file);
    // The chart has the height its bars need (the page scrolls for it), and draws at it.
    QVERIFY2(
        shares->height() >= shareChartMinimumHeight(window.arms, {}),
        qPrintable(QStringLiteral("%1 px of %2").arg(shares->height()).arg(shareChartMinimumHeight(window.arms, {}))));
    const QList<DrawnText> texts = drawnTexts(shares);
    // Every backend's name whole (not "backe..."), every bar's value, each inside the view.
    QStringList backends;
    for (const BackendResult& b : window.arms.first().backends)
        backends << b.name;
    int values = 0;
    QStringList names;
    for (const DrawnText& t : texts) {
        QVERIFY2(!t.text.contains(QStringLiteral("...")) && !t.text.contains(QChar(0x2026)), qPrintable(t.text));
        QVERIFY2(shares->rect().contains(t.rect.toAlignedRect()),
                 qPrintable(QStringLiteral("\"%1\" at %2,%3 %4x%5 outside %6x%7")
                                .arg(t.text)
                                .arg(t.rect.x())
                                .arg(t.rect.y())
                                .arg(t.rect.width())
                                .arg(t.rect.height())
                                .arg(shares->width())
                                .arg(shares->height())));
        if (t.text.endsWith(QLatin1Char('%')))
            ++values;
        if (backends.contains(t.text))
            names << t.text;
    }
    QCOMPARE(values, int(window.arms.size() * backends.size()));
    std::sort(names.begin(), names.end());
    std::sort(backends.begin(), backends.end());
    QCOMPARE(names, backends);
    // No two texts on top of each other: a value's rectangle meets no other value's, no name, no title.
    for (qsizetype i = 0; i < texts.size(); ++i) {
        for (qsizetype j = i + 1; j < texts.size(); ++j) {
            // Texts drawn with a little inner padding: they may touch by a pixel, not overlap.
            const QRectF a = texts[i].rect.adjusted(1, 1, -1, -1);
            QVERIFY2(!a.intersects(texts[j].rect.adjusted(1, 1, -1, -1)),
                     qPrintable(QStringLiteral("\"%1\" (%2,%3 %4x%5) overlaps \"%6\" (%7,%8 %9x%10)")
                                    .arg(texts[i].text)
                                    .arg(a.x())
                                    .arg(a.y())
                                    .arg(a.width())
                                    .arg(a.height())
                                    .arg(texts[j].text)
                                    .arg(texts[j].rect.x())
                                    .arg(texts[j].rect.y())
                                    .arg(texts[j].rect.width())
                                    .arg(texts[j].rect.height())));
        }
    }
}

void TestExperimentsView::resultsScrollRatherThanSqueeze()
{
    QFETCH(QSize, size);
    QFETCH(bool, dock);
    QFETCH(QString, file);
    Window window(size, dock, file);
    QVERIFY(QTest::qWaitForWindowExposed(&window.w));
    if (dock)
        QTRY_VERIFY(window.w.lessonDock()->isVisible());
    ExperimentsTab* tab = window.tab;
    auto* table = tab->findChild<QTableView*>(QStringLiteral("experimentTable"));
    auto* area = tab->findChild<QScrollArea*>(QStringLiteral("resultsArea"));
    auto* latency = tab->findChild<QChartView*>(QStringLiteral("latencyChart"));
    QVERIFY(table && area && latency);
    QTRY_VERIFY(latency->isVisible());
    QCoreApplication::processEvents();
    area->verticalScrollBar()->setValue(latency->mapTo(area->widget(), QPoint(0, 0)).y() - 60);
    QCoreApplication::processEvents();
    window.save(QStringLiteral("layout"), size, dock, file);
    // The tab fits the width the window gives its views (360 px at 1024 beside the dock): nothing of it is
    // cut at the right edge behind a sideways scroll.
    auto* views = window.w.findChild<QAbstractScrollArea*>(QStringLiteral("viewsArea"));
    QVERIFY(views);
    QVERIFY2(!views->horizontalScrollBar()->isVisible(),
             qPrintable(QStringLiteral("the tab needs %1 px, the views have %2")
                            .arg(tab->minimumSizeHint().width())
                            .arg(views->viewport()->width())));
    // The table's columns keep the width of their contents and header; the table scrolls sideways instead.
    for (int c = 0; c < tab->model()->columnCount(); ++c) {
        if (table->isColumnHidden(c))
            continue; // the arm (the row header) and the n/a columns: tableKeepsTheArmInSight
        QVERIFY2(table->columnWidth(c) >= table->horizontalHeader()->sectionSizeHint(c) - 1,
                 qPrintable(QStringLiteral("column %1: %2 px of %3")
                                .arg(c)
                                .arg(table->columnWidth(c))
                                .arg(table->horizontalHeader()->sectionSizeHint(c))));
    }
    if (table->horizontalHeader()->length() > table->viewport()->width())
        QVERIFY(table->horizontalScrollBar()->isVisible());
    // Every arm's row is shown.
    for (int row = 0; row < tab->model()->rowCount(); ++row)
        QVERIFY(table->visualRect(tab->model()->index(row, int(ExperimentResultsModel::Mean))).bottom() <=
                table->viewport()->height());
    // The latency chart keeps a readable height (four percentile marks apart), whatever the room: what
    // does not fit scrolls, the chart is not squeezed.
    QVERIFY2(
        latency->height() >= 250 && latency->chart()->plotArea().height() >= 200,
        qPrintable(QStringLiteral("%1 px, plot %2").arg(latency->height()).arg(latency->chart()->plotArea().height())));
    const QWidget* page = area->widget();
    if (page->height() > area->viewport()->height())
        QVERIFY(area->verticalScrollBar()->isVisible() && area->verticalScrollBar()->maximum() > 0);
    // Nothing overlaps: the page's parts are stacked, each below the last.
    auto* box = tab->findChild<QWidget*>(QStringLiteral("verdictBox"));
    QVERIFY(box->geometry().bottom() < table->geometry().top());
    QVERIFY(area->geometry().bottom() <= tab->height());
    auto* legend = tab->findChild<QLabel*>(QStringLiteral("theoryLegend"));
    QVERIFY(legend && legend->isVisible());
    QVERIFY(table->geometry().bottom() < legend->geometry().top());
    QVERIFY(legend->geometry().bottom() <
            tab->findChild<QTabWidget*>(QStringLiteral("experimentViews"))->mapTo(page, QPoint(0, 0)).y());
    QVERIFY(legend->height() >= legend->heightForWidth(legend->width()));
}

void TestExperimentsView::theoryColumnsSayWhatTheyAre()
{
    // The M/M/c headers say what they are (predicted, and the bracket: measured against it), their tooltips
    // say the model's assumptions, and the line under the table says when the model applies, what the
    // bracket of the first arm means, and why a balancer can measure below it.
    ExperimentsTab tab;
    tab.resize(1000, 700);
    tab.show();
    tab.setExperiment(loadExperiment(kSlow).experiment, kSlow);
    const QList<ArmResult> arms = madeResults(kSlow);
    tab.setResults(arms);
    const ExperimentResultsModel* model = tab.model();
    for (const int column : {int(ExperimentResultsModel::TheoryMean), int(ExperimentResultsModel::TheoryP99)}) {
        const QStringList header = model->headerData(column, Qt::Horizontal).toString().split(QLatin1Char('\n'));
        QCOMPARE(header.size(), 2);
        QCOMPARE(header[0], QString::fromLatin1(armFigureInfo(ArmFigure(column)).header));
        QCOMPARE(header[1], QStringLiteral("predicted (measured ±%)"));
        const QString tip = model->headerData(column, Qt::Horizontal, Qt::ToolTipRole).toString();
        for (const char* words : {"Poisson arrivals", "exponential service", "c workers", "first come first served",
                                  "(measured - predicted) / predicted", "random"})
            QVERIFY2(tip.contains(QLatin1String(words)), words);
    }
    const QString legend = tab.theoryLegendText();
    QCOMPARE(legend, ExperimentResultsModel::theoryLegend(arms));
    for (const char* words :
         {"Poisson arrivals", "exponential service", "c identical workers", "FIFO", "fed at random", "picks blindly",
          "one shared line feeding every worker", "Below (minus) = better than picking at random"})
        QVERIFY2(legend.contains(QLatin1String(words)), qPrintable(legend));
    // The first arm's own bracket explained: round robin, predicted 64.9 ms, measured 39.1 ms (-40%).
    const ArmResult& rr = arms.first();
    const QString cell = model->data(model->index(0, ExperimentResultsModel::TheoryMean)).toString();
    QCOMPARE(cell, armFigureText(ArmFigure::MmcMean, rr));
    const double below = (rr.theory->meanResponseMs - rr.meanMs) / rr.theory->meanResponseMs * 100;
    QVERIFY2(legend.contains(QStringLiteral("round-robin's \"%1\" = predicted 64.9 ms, measured %2 % below (faster).")
                                 .arg(cell, QString::number(below, 'f', 0))),
             qPrintable(legend));
    // The sign reads the same way in the cell and the words: measured below the prediction is a minus.
    QVERIFY2(rr.meanMs < rr.theory->meanResponseMs && cell.contains(QStringLiteral("(-")), qPrintable(cell));
    // Readable: the line is in the table's size, not a footnote's; the Theory tab says the same.
    auto* legendLabel = tab.findChild<QLabel*>(QStringLiteral("theoryLegend"));
    auto* table = tab.findChild<QTableView*>(QStringLiteral("experimentTable"));
    QVERIFY(legendLabel && table);
    QCOMPARE(legendLabel->font().pointSizeF(), table->font().pointSizeF());
    for (const char* words : {"one shared line feeding every worker", "(-38%) = measured 38 % below the prediction",
                              "the further below, the more the algorithm gained"})
        QVERIFY2(tab.detailsText().simplified().contains(QLatin1String(words)), words);
    // Hashing has no prediction: the line says why instead.
    tab.setExperiment(loadExperiment(kHashing).experiment, kHashing);
    tab.setResults(madeResults(kHashing));
    QVERIFY2(tab.theoryLegendText().startsWith(QStringLiteral("M/M/c columns: no prediction")),
             qPrintable(tab.theoryLegendText()));
    QVERIFY(tab.theoryLegendText().contains(QStringLiteral("the timeline changes the backends")));
    // No results, no line and no verdict.
    tab.setExperiment(loadExperiment(kCapacity).experiment, kCapacity);
    QVERIFY(tab.theoryLegendText().isEmpty());
    QVERIFY(tab.verdictText().isEmpty());
}

void TestExperimentsView::tableKeepsTheArmInSight()
{
    // The learner scrolled the table sideways to reach "keys moved" and lost which row was which arm:
    // the arm is the row header (it stays at the left), the columns that are n/a for every arm are
    // hidden, hashing's keys moved comes first, and another experiment starts from the first column.
    QFETCH(QSize, size);
    QFETCH(bool, dock);
    QFETCH(QString, file);
    Window window(size, dock, file);
    QVERIFY(QTest::qWaitForWindowExposed(&window.w));
    if (dock)
        QTRY_VERIFY(window.w.lessonDock()->isVisible());
    ExperimentsTab* tab = window.tab;
    auto* table = tab->findChild<QTableView*>(QStringLiteral("experimentTable"));
    QVERIFY(table);
    const ExperimentResultsModel* model = tab->model();
    QHeaderView* rows = table->verticalHeader();
    QVERIFY(rows->isVisible());
    QVERIFY(rows->width() > table->fontMetrics().horizontalAdvance(QStringLiteral("ring-hash")));
    for (int r = 0; r < model->rowCount(); ++r)
        QCOMPARE(model->headerData(r, Qt::Vertical).toString(), window.arms[r].name);
    QVERIFY(table->isColumnHidden(ExperimentResultsModel::Arm));
    const bool hashing = file == kHashing;
    for (const int c : {int(ExperimentResultsModel::TheoryMean), int(ExperimentResultsModel::TheoryP99)})
        QCOMPARE(table->isColumnHidden(c), hashing);
    QVERIFY(!table->isColumnHidden(ExperimentResultsModel::Mean));
    QHeaderView* columns = table->horizontalHeader();
    int first = -1; // the first column shown, left to right
    for (int v = 0; v < columns->count() && first < 0; ++v) {
        if (!columns->isSectionHidden(columns->logicalIndex(v)))
            first = columns->logicalIndex(v);
    }
    QCOMPARE(first, hashing ? int(ExperimentResultsModel::KeysMoved) : int(ExperimentResultsModel::Requests));
    // Scrolled to the right end, the arm's names are still at the left of the rows.
    QCoreApplication::processEvents();
    QScrollBar* sideways = table->horizontalScrollBar();
    if (sideways->maximum() > 0) {
        sideways->setValue(sideways->maximum());
        QCoreApplication::processEvents();
        QVERIFY(rows->isVisible());
        QCOMPARE(rows->mapTo(table, QPoint(0, 0)).x(), table->frameWidth());
        window.save(QStringLiteral("scrolled"), size, dock, file);
    }
    // Another experiment: its table from the first column.
    const QString other = hashing ? kSlow : kHashing;
    tab->setExperiment(loadExperiment(other).experiment, other);
    tab->setResults(madeResults(other));
    QCoreApplication::processEvents();
    QCOMPARE(sideways->value(), 0);
    for (const int c : {int(ExperimentResultsModel::TheoryMean), int(ExperimentResultsModel::TheoryP99)})
        QCOMPARE(table->isColumnHidden(c), !hashing);
}

void TestExperimentsView::subTabsLeaveThePageWhereItIs()
{
    // The learner scrolled the page with the wheel, the pointer passed over the charts' sub-tab bar and
    // the tabs switched under it; a click on "Theory and details" threw the page back to its top.
    QFETCH(QSize, size);
    QFETCH(bool, dock);
    QFETCH(QString, file);
    Window window(size, dock, file);
    QVERIFY(QTest::qWaitForWindowExposed(&window.w));
    if (dock)
        QTRY_VERIFY(window.w.lessonDock()->isVisible());
    ExperimentsTab* tab = window.tab;
    auto* area = tab->findChild<QScrollArea*>(QStringLiteral("resultsArea"));
    auto* views = tab->findChild<QTabWidget*>(QStringLiteral("experimentViews"));
    QVERIFY(area && views);
    QCoreApplication::processEvents();
    QScrollBar* page = area->verticalScrollBar();
    QVERIFY2(page->maximum() > 0, "the results page scrolls at 768 px high with results shown");
    QCOMPARE(views->currentIndex(), 0);
    // The wheel over the tab bar scrolls the page down and leaves the tab.
    page->setValue(0);
    QTabBar* bar = views->tabBar();
    const QPointF at = bar->tabRect(0).center();
    QWheelEvent down(at, bar->mapToGlobal(at), QPoint(), QPoint(0, -120), Qt::NoButton, Qt::NoModifier,
                     Qt::NoScrollPhase, false);
    QCoreApplication::sendEvent(bar, &down);
    QCOMPARE(views->currentIndex(), 0);
    QVERIFY2(page->value() > 0, qPrintable(QString::number(page->value())));
    // A click on each tab, with the page scrolled to its end: the page stays where it was.
    for (const int t : {2, 1, 0}) {
        page->setValue(page->maximum());
        const int before = page->value();
        QTest::mouseClick(bar, Qt::LeftButton, Qt::NoModifier, bar->tabRect(t).center());
        QCOMPARE(views->currentIndex(), t);
        for (int i = 0; i < 3; ++i) {
            QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
            QCoreApplication::processEvents();
        }
        QVERIFY2(page->value() >= before - 1,
                 qPrintable(QStringLiteral("tab %1: the page at %2 after the click, %3 before")
                                .arg(t)
                                .arg(page->value())
                                .arg(before)));
    }
}

void TestExperimentsView::descriptionAndChartsReadRight()
{
    // The slow-backend description set the question and gave the answer away ("about a fifth, a much
    // shorter line"); it now says the set-up and the question only.
    const Experiment slow = loadExperiment(kSlow).experiment;
    for (const char* answer : {"fifth", "shorter line", "sets round robin's p99", "grows"})
        QVERIFY2(!slow.summary.contains(QLatin1String(answer)), answer);
    QVERIFY(slow.summary.contains(QStringLiteral("The question:")));
    // Every experiment starts with its description in the same state (open), also after another's results
    // folded it.
    ExperimentsTab tab;
    tab.resize(1000, 700);
    tab.show();
    QVERIFY(QTest::qWaitForWindowExposed(&tab));
    auto* summary = tab.findChild<QLabel*>(QStringLiteral("experimentSummary"));
    QVERIFY(summary);
    for (const QString& file : {kSlow, kHashing, kCapacity, kSlow}) {
        tab.setExperiment(loadExperiment(file).experiment, file);
        QVERIFY2(summary->isVisible(), qPrintable(file));
        tab.setResults(madeResults(file));
        QVERIFY2(!summary->isVisible(), qPrintable(file)); // results fold it, as a run does
    }
    // The share chart's percent axis, empty (the hashing experiment before a run) and full: whole marks,
    // evenly spaced from 0 (the default five ticks over 0-10 read "0 2 5 7 10").
    for (const QList<ArmResult>& arms : {QList<ArmResult>{}, madeResults(kHashing), madeResults(kCapacity)}) {
        std::unique_ptr<QChart> chart(makeShareChart(arms, QList<bool>(arms.size(), true)));
        const auto axes = chart->axes(Qt::Horizontal);
        QCOMPARE(axes.size(), 1);
        auto* percent = qobject_cast<QValueAxis*>(axes.first());
        QVERIFY(percent);
        QCOMPARE(percent->tickType(), QValueAxis::TicksDynamic);
        QCOMPARE(percent->tickAnchor(), 0.0);
        const double step = percent->tickInterval();
        QVERIFY(step >= 1 && step == std::round(step));
        QCOMPARE(std::fmod(percent->max(), step), 0.0);
        QVERIFY(percent->max() / step <= 10);
    }
    // The latency chart's x axis says what it is, with its unit.
    const QList<ArmResult> arms = madeResults(kSlow);
    std::unique_ptr<QChart> latency(makeLatencyChart(arms, QList<bool>(arms.size(), true)));
    QCOMPARE(latency->axes(Qt::Horizontal).size(), 1);
    QVERIFY(latency->axes(Qt::Horizontal).first()->titleText().contains(QStringLiteral("ms")));
    // Coinciding lines stay visible: each later arm's line (drawn on top) is thinner than the one before,
    // so the earlier shows on both sides of it (least-latency's dots over least-connections' dashes).
    const auto series = latency->series();
    QCOMPARE(series.size(), arms.size());
    for (int i = 1; i < series.size(); ++i) {
        const QPen below = static_cast<QLineSeries*>(series[i - 1])->pen();
        const QPen above = static_cast<QLineSeries*>(series[i])->pen();
        QVERIFY2(above.widthF() + 0.5 <= below.widthF(),
                 qPrintable(QStringLiteral("arm %1: %2 px over %3 px").arg(i).arg(above.widthF()).arg(below.widthF())));
        QVERIFY(above.style() != below.style());
    }
}

QTEST_MAIN(TestExperimentsView)
#include "tst_experimentsview.moc"
