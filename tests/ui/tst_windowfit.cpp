// The window at the screen sizes a learner has (1024x768, 1280x720, 1366x768) with a lesson open, found
// by trial 3: nothing makes it wider than the screen, the lesson stays readable, the board does not
// scroll sideways, labels render their mnemonics, and Help > Glossary explains the window's words.
#include "ChartView.h"
#include "ChartsPanel.h"
#include "FlowViewCanvas.h"
#include "Glossary.h"
#include "LessonPanel.h"
#include "MainWindow.h"
#include "TestLab.h"
#include "TrafficPanel.h"
#include "loadgen/LoadGenerator.h"
#include "metrics/MetricsHistory.h"

#include <QAction>
#include <QCheckBox>
#include <QDialog>
#include <QDir>
#include <QDockWidget>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QScrollBar>
#include <QSettings>
#include <QSpinBox>
#include <QTableView>
#include <QTest>
#include <QTextBrowser>
#include <QWheelEvent>

using namespace lab;
using namespace lab::test;

namespace {

const QString kLesson8 = QStringLiteral(":/lessons/08-rate-limiting-and-overload.json");

QString outputPath(const QString& fileName)
{
    return qEnvironmentVariable("LAB_TEST_OUTPUT_DIR", QDir::tempPath()) + QLatin1Char('/') + fileName;
}

// A snapshot of `backends` backends that have each served `requests` requests of 2 ms by `ms`.
MetricsSnapshot snapshotAt(qint64 ms, int backends, std::uint64_t requests)
{
    MetricsSnapshot s;
    s.takenAtMs = ms;
    const int bucket = LatencyHistogram::bucketOf(2000);
    for (int id = 0; id < backends; ++id) {
        BackendStats b;
        b.id = id;
        b.name = QStringLiteral("backend-%1").arg(8001 + id);
        b.traffic.requests = requests;
        b.traffic.responsesByClass[2] = requests;
        b.traffic.latency.buckets[size_t(bucket)] = requests;
        b.traffic.latency.total = requests;
        s.listener.add(b.traffic);
        s.backends << b;
    }
    return s;
}

} // namespace

class TestWindowFit final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("balancer-lab-tests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_windowfit"));
        QSettings().clear();
    }

    void fitsTheScreenWithALessonOpen_data()
    {
        QTest::addColumn<QSize>("size");
        QTest::newRow("1024x768") << QSize(1024, 768);
        QTest::newRow("1280x720") << QSize(1280, 720);
        QTest::newRow("1366x768") << QSize(1366, 768);
    }
    void fitsTheScreenWithALessonOpen()
    {
        QFETCH(QSize, size);
        RunningLab lab;
        lab.lab.setEmbeddedPortBase(0);
        MainWindow w(&lab.lab);
        if (QAction* anyPorts = w.findChild<QAction*>(QStringLiteral("lessonAnyPorts"));
            anyPorts && !anyPorts->isChecked())
            anyPorts->trigger();
        w.resize(size);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.openLesson(kLesson8));
        QTRY_VERIFY(w.lessonDock()->isVisible());
        QCoreApplication::processEvents();
        // The main area gives way to the dock: the window stays at the screen's width, not 1097 px.
        QVERIFY2(w.minimumSizeHint().width() <= size.width(),
                 qPrintable(QStringLiteral("minimum %1 > %2").arg(w.minimumSizeHint().width()).arg(size.width())));
        QVERIFY2(w.minimumWidth() <= size.width(), qPrintable(QString::number(w.minimumWidth())));
        QTRY_COMPARE(w.width(), size.width());
        // The lesson reads as text, not as a 35 px sliver.
        QVERIFY2(w.lessonDock()->width() >= 300, qPrintable(QString::number(w.lessonDock()->width())));
        // The board fits its width: no sideways scrolling with the dock open.
        auto* board = w.findChild<QTableView*>(QStringLiteral("board"));
        QVERIFY(board);
        QTRY_VERIFY2(!board->horizontalScrollBar()->isVisible(),
                     qPrintable(QStringLiteral("board %1 px, columns %2 px")
                                    .arg(board->viewport()->width())
                                    .arg(board->horizontalHeader()->length())));
        // At 1366 px the dock leaves the views and the side tabs all they need: neither scrolls sideways.
        if (size.width() >= 1366) {
            for (const char* name : {"viewsArea", "sideTabsArea"}) {
                const auto* area = w.findChild<QAbstractScrollArea*>(QLatin1String(name));
                QVERIFY2(area, name);
                QTRY_VERIFY2(!area->horizontalScrollBar()->isVisible(), name);
            }
        }
        // The flow view shows the proxy and every backend at once at every size (trial 5 at 1024 px: one or
        // the other, cards cut at "backend-8"): the views never scroll sideways, the diagram fits its canvas.
        const auto* views = w.findChild<QAbstractScrollArea*>(QStringLiteral("viewsArea"));
        QVERIFY(views);
        QTRY_VERIFY2(!views->horizontalScrollBar()->isVisible(),
                     qPrintable(QStringLiteral("views %1 px").arg(views->viewport()->width())));
        // The status bar says all of it: shorter words rather than ending "… client c".
        w.refresh();
        const auto* status = w.findChild<QLabel*>(QStringLiteral("statusSummary"));
        QVERIFY(status);
        QVERIFY2(status->fontMetrics().horizontalAdvance(status->text()) <= status->width(),
                 qPrintable(status->text()));
        QVERIFY2(status->text().contains(QStringLiteral("upstream")) ||
                     status->text().contains(QStringLiteral("to backends")),
                 qPrintable(status->text()));
        // The flow legend reaches every item: those its rows have no room for are in its tooltip.
        auto* canvas = w.findChild<FlowViewCanvas*>(QStringLiteral("flowCanvas"));
        QVERIFY(canvas);
        const QStringList legend = FlowViewCanvas::legendText();
        QCOMPARE(legend.size(), 12); // 7 outcome colours, 5 marks
        QVERIFY(canvas->legendEntriesPainted() > 0);
        for (int i = canvas->legendEntriesPainted(); i < legend.size(); ++i)
            QVERIFY2(canvas->toolTip().contains(legend[i]), qPrintable(legend[i]));
        qInfo("%dx%d: the legend paints %d of %d entries", size.width(), size.height(), canvas->legendEntriesPainted(),
              int(legend.size()));
        QVERIFY(w.grab().save(
            outputPath(QStringLiteral("windowfit-lesson-%1x%2.png").arg(size.width()).arg(size.height()))));
        w.lessonPanel()->close();
    }

    // A QFormLayout row whose field is a layout gets a label without a buddy, which shows '&' as is.
    void trafficLabelsRenderTheirMnemonics()
    {
        RunningLab lab;
        LoadGenerator generator;
        TrafficPanel panel(&lab.lab, &generator);
        const QList<QLabel*> labels = panel.findChildren<QLabel*>();
        QVERIFY(labels.size() >= 8);
        int withMnemonic = 0;
        for (const QLabel* l : labels) {
            if (!l->text().contains(QLatin1Char('&')))
                continue;
            ++withMnemonic;
            QVERIFY2(l->buddy() != nullptr, qPrintable(l->text() + QStringLiteral(" shows its & literally")));
        }
        QVERIFY(withMnemonic >= 8);
        for (const char* name : {"trafficArrivalLabel", "trafficThinkLabel"}) {
            const auto* l = panel.findChild<QLabel*>(QLatin1String(name));
            QVERIFY2(l, name);
            QVERIFY(l->buddy());
        }
    }

    // Simulated users send one connection each: the form says so and turns Connections off; their cookie,
    // header and address options are in the form, on only with users. A wheel over a field that does
    // not have the focus scrolls the tab instead of changing the number (trial 5: it changed them).
    void trafficFormSaysWhatUsersOverride()
    {
        RunningLab lab;
        LoadGenerator generator;
        TrafficPanel panel(&lab.lab, &generator);
        panel.resize(420, 700);
        panel.show();
        panel.usersBox()->setValue(5);
        QVERIFY(!panel.connectionsBox()->isEnabled());
        QVERIFY(!panel.connectionsNote()->isHidden());
        QCOMPARE(panel.connectionsNote()->text(), QStringLiteral("not used: 5 users = 5 connections"));
        for (QCheckBox* c : {panel.cookiesBox(), panel.userHeaderBox(), panel.ownAddressesBox()})
            QVERIFY(c->isEnabled() && c->isChecked());
        panel.cookiesBox()->setChecked(false);
        QCOMPARE(lab.lab.config().traffic.cookies, false); // kept by the lab, so a saved lab has it
        panel.usersBox()->setValue(0);
        QVERIFY(panel.connectionsBox()->isEnabled());
        QVERIFY(panel.connectionsNote()->isHidden());
        QVERIFY(!panel.cookiesBox()->isEnabled());

        QSpinBox* rate = panel.rateBox();
        const int before = rate->value();
        QVERIFY(!rate->hasFocus());
        const QPoint at = rate->rect().center();
        QWheelEvent wheel(at, rate->mapToGlobal(at), QPoint(), QPoint(0, 120), Qt::NoButton, Qt::NoModifier,
                          Qt::NoScrollPhase, false);
        QApplication::sendEvent(rate, &wheel);
        QCOMPARE(rate->value(), before);
        QVERIFY(!wheel.isAccepted()); // left to the scroll area around the panel
    }

    // A lesson's steps 1 to 5 within 9 s, as lesson 8 has them, on a chart the width trial 3 had.
    void markerLabelsNeverOverlap_data()
    {
        QTest::addColumn<int>("seconds"); // of samples before the markers are looked at
        QTest::addColumn<double>("span"); // the time axis that fits them
        QTest::newRow("9 s lesson") << 9 << 10.0;
        QTest::newRow("25 s") << 25 << 30.0;
        QTest::newRow("two minutes") << 120 << 60.0;
    }
    void markerLabelsNeverOverlap()
    {
        QFETCH(int, seconds);
        QFETCH(double, span);
        ChartsPanel panel;
        panel.resize(620, 330);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        MetricsHistory h;
        const double start = seconds - 9;
        const QList<std::pair<double, QString>> steps = {
            {0.0, QStringLiteral("1 A polite client")},
            {2.0, QStringLiteral("2 A greedy client floods the backends")},
            {5.0, QStringLiteral("3 Rate limit: 25 requests a second per client")},
            {6.0, QStringLiteral("4 The polite client is served quickly again")},
            {6.3, QStringLiteral("backend-8001 DOWN")},
            {9.0, QStringLiteral("5 Stop the traffic")},
        };
        qsizetype next = 0; // the next step to mark, in time order as a lesson marks them
        for (int second = 0; second <= seconds; ++second) {
            for (; next < steps.size() && start + steps[next].first <= second; ++next)
                panel.addMarker(start + steps[next].first, steps[next].second);
            h.push(snapshotAt(qint64(second) * 1000, 3, std::uint64_t(second) * 20));
            panel.addSample(h, second);
        }
        QCOMPARE(panel.shownSpanSeconds(), span);
        ChartView* view = panel.rateView();
        const QList<ChartView::Placed> placed = view->placedMarkers();
        QCOMPARE(placed.size(), int(steps.size()));
        int labelled = 0;
        for (int i = 0; i < placed.size(); ++i) {
            if (placed[i].labelBox.isEmpty())
                continue;
            ++labelled;
            QVERIFY(view->viewport()->rect().contains(placed[i].labelBox.toAlignedRect().adjusted(0, 0, -1, -1)));
            for (int j = i + 1; j < placed.size(); ++j)
                QVERIFY2(!placed[i].labelBox.intersects(placed[j].labelBox),
                         qPrintable(placed[i].label + QStringLiteral(" over ") + placed[j].label));
        }
        // The newest always has its label; steps 1 s apart on a 10 s axis have room for theirs.
        QVERIFY(!placed.first().labelBox.isEmpty());
        if (span <= 10)
            QVERIFY2(labelled >= 4, qPrintable(QString::number(labelled)));
        QVERIFY(panel.grab().save(outputPath(QStringLiteral("windowfit-markers-%1s.png").arg(seconds))));
    }

    void glossaryExplainsTheWindowsWords()
    {
        RunningLab lab;
        MainWindow w(&lab.lab);
        auto* action = w.findChild<QAction*>(QStringLiteral("glossaryAction"));
        QVERIFY(action);
        action->trigger();
        auto* dialog = w.findChild<QDialog*>(QStringLiteral("glossary"));
        QVERIFY(dialog);
        QVERIFY(dialog->isVisible());
        const QString text = dialog->findChild<QTextBrowser*>(QStringLiteral("glossaryText"))->toPlainText();
        for (const char* term :
             {"p50, p95, p99", "P2C", "drain vs stop", "ejection", "circuit breaker", "slow start", "queue", "workers"})
            QVERIFY2(text.contains(QLatin1String(term)), term);
        for (const GlossaryEntry& e : glossaryEntries()) {
            QVERIFY(!e.meaning.isEmpty());
            QVERIFY2(text.contains(e.term), qPrintable(e.term));
        }
        dialog->close();
    }
};

QTEST_MAIN(TestWindowFit)
#include "tst_windowfit.moc"
