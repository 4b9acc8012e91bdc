// What a learner's free play found misleading in the window (trial 5), each checked in the real window,
// offscreen: the latest pick after Pause/Resume, the Events log and the trace list following new lines,
// one pause banner instead of "(paused)" tab titles, a paused span drawn as a gap, card numbers that add
// up, a backend's selection on the board and the flow view, and the sampling banner ending with the traffic.
#include "BackendTableModel.h"
#include "ChartsPanel.h"
#include "FlowScene.h"
#include "FlowTestSupport.h"
#include "FlowView.h"
#include "FlowViewCanvas.h"
#include "FollowTail.h"
#include "LessonPanel.h"
#include "MainWindow.h"
#include "TestHttp.h"
#include "TestLab.h"
#include "TimeControls.h"
#include "TraceModel.h"
#include "WindowTestSupport.h"
#include "backend/Backend.h"
#include "fakebackend/FakeBackend.h"
#include "lab/Lab.h"
#include "loadgen/LoadGenerator.h"
#include "proxy/StepGate.h"

#include <QAction>
#include <QDockWidget>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScopeGuard>
#include <QScrollArea>
#include <QScrollBar>
#include <QTabBar>
#include <QTabWidget>
#include <QTableView>
#include <QTest>
#include <QTextBlock>

using namespace lab;
using namespace lab::test;

namespace {
LoadSpec steadyTraffic(quint16 port, double rate, int durationMs)
{
    LoadSpec spec;
    spec.port = port;
    spec.concurrency = 4;
    spec.ratePerSecond = rate;
    spec.durationMs = durationMs;
    spec.maxRequests = quint64(rate * durationMs / 1000.0);
    return spec;
}
// The trial's slow backend: 2 workers, a queue of 20, 100 ms of service and a 200 ms latency fault.
void makeSlow(Lab& lab, BackendId id)
{
    FaultProfile f = lab.embeddedBackend(id)->faults();
    f.workers = 2;
    f.queue = 20;
    f.serviceMs = 100;
    f.latencyMs = 200;
    lab.setFaults(id, f);
}
} // namespace

class TestWindowTruth final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void latestPickFollowsAfterResume();
    void pauseShowsOneBannerAndLeavesTabTitles();
    void pausedSpanIsAGapOnTheCharts();
    void eventsFollowUnlessScrolledUp();
    void traceListFollowsAndNeverScrollsSideways();
    void cardNumbersAddUp();
    void clickedBackendIsSelectedEverywhere();
    void samplingBannerEndsWithTheTraffic();
    void pauseBannerMovesNothing_data() { windowSizes(); }
    void pauseBannerMovesNothing();
    void tabTitlesAreWhole_data() { windowSizes(); }
    void tabTitlesAreWhole();
    void cardFiguresAreWhole_data();
    void cardFiguresAreWhole();
};

void TestWindowTruth::latestPickFollowsAfterResume()
{
    // Trial 5: weighted round robin 5,1,1 with a slow backend, a session in step mode, then traffic at
    // 20 req/s: after Pause and Resume the proxy node kept one explanation through ~1000 requests.
    LabConfig config = freePortLab();
    config.algorithm = QStringLiteral("weighted-round-robin");
    config.backends[0].weight = 5;
    RunningLab r(config);
    makeSlow(r.lab, r.id(0));
    MainWindow w(&r.lab);
    w.resize(1280, 720);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    r.lab.setStepScope(StepScope::AllClients);
    for (int i = 0; i < 3; ++i) {
        TestHttpConnection client;
        QVERIFY(client.connectTo(r.port()));
        QVERIFY(client.send(getRequest("/step")));
        QTRY_COMPARE(r.lab.heldRequests().size(), qsizetype(1));
        QVERIFY(r.lab.stepOnce());
        QVERIFY(client.readResponse(5000));
    }
    r.lab.setStepScope(StepScope::Off);
    QVERIFY(w.generator()->start(steadyTraffic(r.port(), 20, 12000)));
    const FlowScene& scene = w.flowView()->scene();
    QTRY_VERIFY_WITH_TIMEOUT(scene.pickStrip().size() >= 3, 5000);
    QTest::mouseClick(w.timeControls()->pauseButton(), Qt::LeftButton);
    QVERIFY(w.flowView()->isPaused());
    const quint64 pausedAt = scene.lastSequence();
    QTest::qWait(1500); // the proxy keeps working: ~30 requests
    QCOMPARE(scene.lastSequence(), pausedAt); // frozen
    QTest::mouseClick(w.timeControls()->pauseButton(), Qt::LeftButton);
    QVERIFY(!w.flowView()->isPaused());
    // Round robin over three: after Resume the strip keeps growing with each new pick, and the latest
    // pick's explanation changes (its turn number moves on).
    QStringList seen;
    QElapsedTimer t;
    t.start();
    while (seen.size() < 4 && t.elapsed() < 8000) {
        QTest::qWait(120);
        const QString latest = scene.latestPick();
        if (!latest.isEmpty() && (seen.isEmpty() || seen.last() != latest))
            seen << latest;
    }
    QVERIFY2(seen.size() >= 4, qPrintable(seen.join(QStringLiteral(" | "))));
    QVERIFY(scene.lastSequence() > pausedAt);
    w.generator()->stop();
    QVERIFY(waitFinished(*w.generator(), 5000));
}

void TestWindowTruth::pauseShowsOneBannerAndLeavesTabTitles()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.resize(1366, 768);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QStringList side, views;
    for (int i = 0; i < w.tabs()->count(); ++i)
        side << w.tabs()->tabText(i);
    for (int i = 0; i < w.viewTabs()->count(); ++i)
        views << w.viewTabs()->tabText(i);
    QVERIFY(!w.pauseBanner()->isVisible());
    QTest::mouseClick(w.timeControls()->pauseButton(), Qt::LeftButton);
    w.refresh();
    // The banner says what is frozen and what stays live; no tab title grows (Health stays in view).
    QVERIFY(w.pauseBanner()->isVisible());
    const QString banner = w.pauseBanner()->text();
    for (const char* word : {"frozen", "flow view", "charts", "trace list", "Live", "board", "status bar"})
        QVERIFY2(banner.contains(QLatin1String(word)), qPrintable(banner));
    for (int i = 0; i < w.tabs()->count(); ++i)
        QCOMPARE(w.tabs()->tabText(i), side[i]);
    for (int i = 0; i < w.viewTabs()->count(); ++i)
        QCOMPARE(w.viewTabs()->tabText(i), views[i]);
    const QTabBar* bar = w.tabs()->tabBar();
    QVERIFY2(bar->tabRect(bar->count() - 1).right() <= bar->width(), "the last side tab (Health) is cut off");
    QVERIFY(w.grab().save(outputPath(QStringLiteral("window-paused.png"))));
    QTest::mouseClick(w.timeControls()->pauseButton(), Qt::LeftButton);
    QVERIFY(!w.pauseBanner()->isVisible());
}

void TestWindowTruth::pausedSpanIsAGapOnTheCharts()
{
    ChartsPanel charts;
    charts.resize(900, 300);
    MetricsHistory history(60'000);
    auto push = [&history](qint64 ms, quint64 requests) {
        MetricsSnapshot s;
        s.takenAtMs = ms;
        BackendStats b;
        b.id = 0;
        b.name = QStringLiteral("backend-a");
        b.traffic.requests = requests;
        s.backends << b;
        s.listener.requests = requests;
        history.push(s);
    };
    // 10 req/s for 5 s, paused for 10 s (no samples), then 10 req/s again.
    quint64 n = 0;
    for (int i = 0; i <= 10; ++i) {
        push(i * 500, n);
        charts.addSample(history, i * 0.5);
        n += 5;
    }
    charts.pause();
    for (int i = 0; i <= 10; ++i) {
        const int ms = 15000 + i * 500;
        push(ms, n + 100 + quint64(i) * 5);
        charts.addSample(history, ms / 1000.0);
    }
    QCOMPARE(charts.rateRunCount(), 2);
    const QList<ChartGap> gaps = charts.gaps();
    QCOMPARE(gaps.size(), qsizetype(1));
    QCOMPARE(gaps.first().from, 5.0);
    QCOMPARE(gaps.first().to, 15.0);
    // No point of the band lies inside the gap: nothing is drawn across it.
    for (const QPointF& p : charts.rateBandTop(QStringLiteral("backend-a")))
        QVERIFY2(p.x() <= 5.0 || p.x() >= 15.0, qPrintable(QString::number(p.x())));
    charts.show();
    QVERIFY(QTest::qWaitForWindowExposed(&charts));
    QVERIFY(charts.grab().save(outputPath(QStringLiteral("charts-paused-gap.png"))));
}

void TestWindowTruth::eventsFollowUnlessScrolledUp()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.resize(1366, 768);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QPlainTextEdit* events = w.eventView();
    QScrollBar* bar = events->verticalScrollBar();
    for (int i = 0; i < 60; ++i)
        r.lab.logEvent(LabEvent::Kind::Config,
                       QStringLiteral("event %1 with a text long enough to wrap in the "
                                      "narrow Events pane on the right")
                           .arg(i));
    w.refresh();
    QTRY_VERIFY(bar->maximum() > 0);
    QTRY_COMPARE(bar->value(), bar->maximum());
    QVERIFY(w.eventsFollow()->isFollowing());
    // One at a time, as backends change state: the log stays on the newest.
    for (int i = 0; i < 5; ++i) {
        r.lab.logEvent(LabEvent::Kind::Backend, QStringLiteral("backend-x circuit OPEN %1").arg(i));
        w.refresh();
        QTRY_COMPARE(bar->value(), bar->maximum());
    }
    // The user scrolls up to read: new events no longer move the view, a button counts them.
    bar->setValue(bar->maximum() / 2);
    // What the user reads: the line at the top of the pane (the bar's value is in layout lines, which a
    // relayout renumbers).
    auto topLine = [events] {
        return events->cursorForPosition(QPoint(4, 4)).block().text();
    };
    const QString reading = topLine();
    QVERIFY(!w.eventsFollow()->isFollowing());
    auto* jump = w.findChild<QPushButton*>(QStringLiteral("eventsNew"));
    QVERIFY(jump);
    QVERIFY(!jump->isVisible());
    for (int i = 0; i < 3; ++i) {
        r.lab.logEvent(LabEvent::Kind::Backend, QStringLiteral("backend-x EJECTED %1").arg(i));
        w.refresh();
    }
    QCOMPARE(topLine(), reading);
    QVERIFY(bar->value() < bar->maximum());
    QVERIFY(jump->isVisible());
    QCOMPARE(jump->text(), QStringLiteral("3 new ↓"));
    QTest::mouseClick(jump, Qt::LeftButton);
    QTRY_COMPARE(bar->value(), bar->maximum());
    QVERIFY(!jump->isVisible());
    QVERIFY(w.eventsFollow()->isFollowing());
    QVERIFY(events->toPlainText().endsWith(QStringLiteral("backend-x EJECTED 2")));
}

void TestWindowTruth::traceListFollowsAndNeverScrollsSideways()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.resize(1366, 768);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.tabs()->setCurrentIndex(3);
    auto* view = w.findChild<QTableView*>(QStringLiteral("trace"));
    QVERIFY(view);
    quint64 next = 1;
    auto batchOf = [&next](int n) {
        QList<TraceEntry> batch;
        for (int i = 0; i < n; ++i) {
            TraceEntry e;
            e.sequence = next++;
            e.time = QDateTime::currentDateTime();
            e.method = QStringLiteral("GET");
            e.path = QStringLiteral("/item/%1").arg(e.sequence);
            e.status = 200;
            e.latencyMs = 301.25;
            e.servedBy = QStringLiteral("backend-18391");
            e.attempts = QStringLiteral("backend-18391: 200");
            batch << e;
        }
        return batch;
    };
    w.traceModel()->append(batchOf(80));
    QApplication::processEvents();
    // Every column a request is told by is whole: nothing elided, no sideways scrolling.
    const QHeaderView* h = view->horizontalHeader();
    const QFontMetrics fm(view->font());
    for (int c : {TraceModel::Time, TraceModel::Status, TraceModel::Latency, TraceModel::ServedBy}) {
        QVERIFY2(!h->isSectionHidden(c), qPrintable(QString::number(c)));
        const QString text = w.traceModel()->index(0, c).data().toString();
        QVERIFY2(h->sectionSize(c) >= fm.horizontalAdvance(text) + 8,
                 qPrintable(QStringLiteral("column %1 cut: %2 px for '%3'").arg(c).arg(h->sectionSize(c)).arg(text)));
    }
    int total = 0;
    for (int c = 0; c < TraceModel::ColumnCount; ++c)
        total += h->isSectionHidden(c) ? 0 : h->sectionSize(c);
    QVERIFY2(total <= view->viewport()->width(),
             qPrintable(QStringLiteral("%1 > %2").arg(total).arg(view->viewport()->width())));
    // Ctrl+End goes to the newest row and keeps the Time column in view.
    view->setFocus();
    QTest::keyClick(view, Qt::Key_End, Qt::ControlModifier);
    QCOMPARE(view->horizontalScrollBar()->value(), 0);
    QCOMPARE(view->currentIndex().row(), w.traceModel()->rowCount() - 1);
    // New entries: the list follows them at the bottom (the selection stays pinned).
    view->clearSelection();
    w.traceModel()->setPinnedSequence(0);
    w.traceFollow()->scrollToEnd();
    w.traceFollow()->aboutToAdd();
    w.traceModel()->append(batchOf(20));
    w.traceFollow()->added(20);
    QApplication::processEvents();
    QTRY_COMPARE(view->verticalScrollBar()->value(), view->verticalScrollBar()->maximum());
    QVERIFY(w.grab().save(outputPath(QStringLiteral("window-trace.png"))));
}

void TestWindowTruth::cardNumbersAddUp()
{
    // One backend with 2 workers, a queue of 20, 300 ms of service and a 400 ms latency fault after it:
    // the card's "in flight" is its busy workers plus its queue plus the requests in the latency, and the
    // card and the board read the same numbers.
    RunningLab r;
    MainWindow w(&r.lab);
    w.resize(1366, 768);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    FaultProfile f = r.lab.embeddedBackend(r.id(0))->faults();
    f.workers = 2;
    f.queue = 20;
    f.serviceMs = 300;
    f.latencyMs = 400;
    r.lab.setFaults(r.id(0), f);
    std::vector<std::unique_ptr<TestHttpConnection>> clients;
    // Round robin over three: every third request goes to backend 0.
    for (int i = 0; i < 15; ++i) {
        clients.push_back(std::make_unique<TestHttpConnection>());
        QVERIFY(clients.back()->connectTo(r.port()));
        QVERIFY(clients.back()->send(getRequest("/card")));
    }
    const FlowScene& scene = w.flowView()->scene();
    auto card = [&scene] {
        return scene.backends().value(0);
    };
    QTRY_VERIFY_WITH_TIMEOUT(card().inFlight >= 4 && card().queued >= 1, 3000);
    bool sawLatency = false;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 2500) {
        w.refresh();
        const FlowBackend b = card();
        const BackendTableModel::Row& row = w.backendModel()->row(0);
        QCOMPARE(b.inFlight, row.active);
        QCOMPARE(b.queued, row.queued);
        QCOMPARE(b.inService, row.inService);
        const QStringList figures = FlowScene::figures(b);
        const int rest = b.inFlight - b.inService - b.queued;
        if (rest > 0) {
            QVERIFY2(figures.contains(QStringLiteral("%1 in 400 ms latency").arg(rest)),
                     qPrintable(figures.join(QStringLiteral(" · "))));
            sawLatency = true;
        }
        QTest::qWait(50);
    }
    QVERIFY(sawLatency);
    QVERIFY(w.grab().save(outputPath(QStringLiteral("window-card-numbers.png"))));
    for (auto& c : clients)
        QVERIFY(c->readResponse(8000));
}

void TestWindowTruth::clickedBackendIsSelectedEverywhere()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.resize(1366, 768);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.refresh();
    const FlowScene& scene = w.flowView()->scene();
    QCOMPARE(scene.backends().size(), qsizetype(3));
    FlowViewCanvas* canvas = w.flowView()->canvas();
    const QRectF card = scene.layout().backends[1];
    QTest::mouseClick(canvas, Qt::LeftButton, {}, card.center().toPoint() + QPoint(30, 0));
    const int poolId = r.lab.poolBackend(r.id(1))->id;
    QCOMPARE(canvas->selectedBackend(), poolId);
    QCOMPARE(w.backendView()->selectionModel()->currentIndex().row(), 1);
    const QString details = w.flowView()->detailsText();
    QVERIFY2(details.startsWith(scene.backends()[1].name + QStringLiteral(" — up")), qPrintable(details));
    QVERIFY2(details.contains(QStringLiteral("weight 1")), qPrintable(details));
    // The selection drawn on the card: its frame is dark, unlike the others.
    const QImage img = canvas->grab().toImage();
    const QPoint edge(int(card.left()) + 1, int(card.center().y()));
    const QColor frame = img.pixelColor(edge * img.devicePixelRatio());
    QVERIFY2(frame.lightness() < 80, qPrintable(frame.name()));
    const QRectF other = scene.layout().backends[2];
    const QColor plain =
        img.pixelColor(QPoint(int(other.left()) + 1, int(other.center().y())) * img.devicePixelRatio());
    QVERIFY2(plain.lightness() > frame.lightness() + 40, qPrintable(plain.name()));
    QVERIFY(w.grab().save(outputPath(QStringLiteral("window-backend-selected.png"))));
    // Selecting another row on the board moves the frame there.
    w.backendView()->selectRow(0);
    QCOMPARE(canvas->selectedBackend(), r.lab.poolBackend(r.id(0))->id);
    QVERIFY(w.flowView()->detailsText().startsWith(scene.backends()[0].name));
}

void TestWindowTruth::samplingBannerEndsWithTheTraffic()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.resize(1366, 768);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    // The trial's run: a slow backend, 40 connections at 90 req/s (the stream follows 60 a second).
    makeSlow(r.lab, r.id(0));
    LoadSpec spec;
    spec.port = r.port();
    spec.concurrency = 40;
    spec.ratePerSecond = 90;
    spec.maxRequests = 450;
    spec.durationMs = 6000;
    QVERIFY(w.generator()->start(spec));
    const FlowScene& scene = w.flowView()->scene();
    QTRY_VERIFY_WITH_TIMEOUT(scene.samplingText().startsWith(QStringLiteral("drawing ")), 8000);
    QVERIFY(waitFinished(*w.generator(), 10000));
    // At 0 req/s nothing is being sampled: the banner goes within the sampling window.
    QTRY_VERIFY_WITH_TIMEOUT(scene.samplingText().isEmpty(), FlowScene::kSamplingWindowMs + 3000);
    QVERIFY(scene.pickSampling().isEmpty());
}

void TestWindowTruth::pauseBannerMovesNothing()
{
    // Re-trial: the banner appeared in a row of its own and every view jumped down 22 px. It takes the
    // algorithm summary's line, which is as tall as the taller of the two all the time.
    QFETCH(QSize, size);
    QFETCH(bool, dock);
    RunningLab r;
    r.lab.setEmbeddedPortBase(0);
    MainWindow w(&r.lab);
    QVERIFY(showWindow(w, size, dock));
    const QList<QWidget*> watched{w.viewTabs(), w.tabs(), w.backendView(), w.eventView(), w.flowView()};
    auto places = [&w, &watched] {
        QList<QRect> out;
        for (const QWidget* v : watched)
            out << QRect(v->mapTo(&w, QPoint(0, 0)), v->size());
        return out;
    };
    // The window settles first (a lesson's lab reloads the bar's fields, which may reflow it).
    QList<QRect> before = places();
    for (int i = 0; i < 40; ++i) {
        QTest::qWait(50);
        if (places() == before)
            break;
        before = places();
    }
    QTest::mouseClick(w.timeControls()->pauseButton(), Qt::LeftButton);
    QVERIFY(w.pauseBanner()->isVisible());
    QCoreApplication::processEvents();
    QTest::qWait(50); // a relayout posted by the banner's showing has run
    QCOMPARE(places(), before);
    // The whole banner is seen: one line of it at least, none of it cut.
    const QLabel* banner = w.pauseBanner();
    QVERIFY2(banner->height() >= banner->heightForWidth(banner->width()),
             qPrintable(QStringLiteral("%1 < %2").arg(banner->height()).arg(banner->heightForWidth(banner->width()))));
    QVERIFY(w.grab().save(outputPath(QStringLiteral("window-paused-%1x%2%3.png")
                                         .arg(size.width())
                                         .arg(size.height())
                                         .arg(dock ? QStringLiteral("-dock") : QString()))));
    QTest::mouseClick(w.timeControls()->pauseButton(), Qt::LeftButton);
    QVERIFY(!w.pauseBanner()->isVisible());
    QCoreApplication::processEvents();
    QTest::qWait(50);
    QCOMPARE(places(), before);
}

void TestWindowTruth::tabTitlesAreWhole()
{
    // Re-trial: "Healt" at 1024 px with the lesson dock. Every tab title of both rows is whole and inside
    // the part of its pane that is seen (the panes scroll sideways when narrow: a tab past the edge is cut).
    QFETCH(QSize, size);
    QFETCH(bool, dock);
    RunningLab r;
    r.lab.setEmbeddedPortBase(0);
    MainWindow w(&r.lab);
    QVERIFY(showWindow(w, size, dock));
    for (const char* areaName : {"viewsArea", "sideTabsArea"}) {
        const auto* area = w.findChild<QScrollArea*>(QLatin1String(areaName));
        QVERIFY2(area, areaName);
        const auto* tabs = qobject_cast<const QTabWidget*>(area->widget());
        QVERIFY(tabs);
        const QTabBar* bar = tabs->tabBar();
        for (int i = 0; i < bar->count(); ++i) {
            const QRect tab = bar->tabRect(i);
            const QString title = bar->tabText(i);
            QVERIFY2(
                tab.width() >= bar->fontMetrics().horizontalAdvance(title) + 4,
                qPrintable(QStringLiteral("%1: '%2' in %3 px").arg(QLatin1String(areaName), title).arg(tab.width())));
            const QPoint right = bar->mapTo(area->viewport(), tab.topRight());
            QVERIFY2(right.x() < area->viewport()->width(),
                     qPrintable(QStringLiteral("%1: '%2' ends at %3, the pane at %4")
                                    .arg(QLatin1String(areaName), title)
                                    .arg(right.x())
                                    .arg(area->viewport()->width())));
        }
    }
    QVERIFY(w.grab().save(outputPath(QStringLiteral("window-tabs-%1x%2%3.png")
                                         .arg(size.width())
                                         .arg(size.height())
                                         .arg(dock ? QStringLiteral("-dock") : QString()))));
}

void TestWindowTruth::cardFiguresAreWhole_data()
{
    QTest::addColumn<QSize>("size");
    QTest::addColumn<bool>("dock");
    QTest::addColumn<double>("zoom");
    for (const QSize size : {QSize(1366, 768), QSize(1024, 768)}) {
        for (const bool dock : {false, true}) {
            for (const double zoom : {1.0, 1.15, 1.3}) { // zoom 0, +1, +2 (Ctrl +)
                QTest::newRow(qPrintable(QStringLiteral("%1x%2%3 zoom %4")
                                             .arg(size.width())
                                             .arg(size.height())
                                             .arg(dock ? QStringLiteral(" dock") : QString())
                                             .arg(zoom)))
                    << size << dock << zoom;
            }
        }
    }
}

void TestWindowTruth::cardFiguresAreWhole()
{
    // Re-trial: "4…" at 1366 px with the lesson dock, and at zoom +2 the cards dropped weight and req/s.
    // Every card shows every figure whole (only a name may be elided): its lines fit its text width, the
    // card is tall enough for them, and the card is inside the canvas (which scrolls when it must).
    QFETCH(QSize, size);
    QFETCH(bool, dock);
    QFETCH(double, zoom);
    RunningLab r;
    r.lab.setEmbeddedPortBase(0);
    MainWindow w(&r.lab);
    const auto actualSize = qScopeGuard([&w] { w.setZoom(1); }); // the zoom is remembered
    w.setZoom(zoom);
    QVERIFY(showWindow(w, size, dock));
    // Capacity-limited backends, the wordiest cards: workers and queue figures beside the three others.
    for (const BackendId id : r.lab.backendIds()) {
        if (!r.lab.embeddedBackend(id))
            continue;
        FaultProfile f = r.lab.embeddedBackend(id)->faults();
        f.workers = 2;
        f.queue = 40;
        r.lab.setFaults(id, f);
    }
    w.refresh();
    FlowViewCanvas* canvas = w.flowView()->canvas();
    const FlowScene& scene = w.flowView()->scene();
    QTRY_VERIFY(!scene.backends().isEmpty() && scene.backends().first().workers == 2);
    canvas->grab(); // lays the text out as a paint does
    QCoreApplication::processEvents();
    canvas->grab();
    const QFontMetricsF fm(canvas->font());
    const QRectF inside(QPointF(0, 0), QSizeF(canvas->size()));
    QCOMPARE(scene.layout().backends.size(), scene.backends().size());
    for (int i = 0; i < scene.backends().size(); ++i) {
        const FlowBackend& b = scene.backends()[i];
        const QStringList figures = FlowScene::figures(b);
        QVERIFY(figures.size() >= 5); // weight, in flight, req/s, workers, queue
        const QRectF text = scene.cardText(i);
        const QStringList lines = FlowViewCanvas::figureLines(fm, text.width(), figures);
        QString joined = lines.join(QLatin1Char(' '));
        joined.replace(QStringLiteral(" · "), QStringLiteral(" "));
        QCOMPARE(joined, figures.join(QLatin1Char(' '))); // none dropped, none cut, in order
        for (const QString& l : lines)
            QVERIFY2(fm.horizontalAdvance(l) <= text.width(),
                     qPrintable(QStringLiteral("'%1' in %2 px").arg(l).arg(text.width())));
        const QRectF card = scene.layout().backends[i];
        const double need = 4 + (1 + lines.size()) * fm.lineSpacing();
        QVERIFY2(card.height() >= need,
                 qPrintable(QStringLiteral("%1: %2 px for %3 lines (%4 px)")
                                .arg(b.name)
                                .arg(card.height())
                                .arg(lines.size() + 1)
                                .arg(need)));
        QVERIFY2(inside.contains(card), qPrintable(QStringLiteral("%1 outside the canvas").arg(b.name)));
    }
    // The client's label too reads whole: "clients", not "clie…".
    QVERIFY2(scene.layout().clientLabel.width() >= fm.horizontalAdvance(QStringLiteral("clients")),
             qPrintable(QString::number(scene.layout().clientLabel.width())));
    const QString problem = layoutProblem(scene.layout(), QSizeF(canvas->size()));
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QVERIFY(w.grab().save(outputPath(QStringLiteral("window-cards-%1x%2%3-zoom%4.png")
                                         .arg(size.width())
                                         .arg(size.height())
                                         .arg(dock ? QStringLiteral("-dock") : QString())
                                         .arg(zoom))));
}

QTEST_MAIN(TestWindowTruth)
#include "tst_windowtruth.moc"
