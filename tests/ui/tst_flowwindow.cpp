// The flow view in the real window, offscreen: stepping smooth WRR one pick at a time, the cards read from
// the metrics snapshot, the layout at window sizes and zoom, and the README's screenshot.
#include "BackendTableModel.h"
#include "FlowScene.h"
#include "FlowTestSupport.h"
#include "FlowView.h"
#include "FlowViewCanvas.h"
#include "MainWindow.h"
#include "TestHttp.h"
#include "TestLab.h"
#include "TimeControls.h"
#include "backend/Backend.h"
#include "fakebackend/FakeBackend.h"
#include "lab/Lab.h"
#include "loadgen/LoadGenerator.h"
#include "proxy/StepGate.h"

#include <QComboBox>
#include <QPushButton>
#include <QScopeGuard>
#include <QTest>

using namespace lab;
using namespace lab::test;

namespace {
using Node = FlowPlace::Node;

// Step mode on for every client, as a user's choice in the combo box does it.
void stepAllClients(TimeControls* t)
{
    const int all = t->stepScopeBox()->findData(int(StepScope::AllClients));
    t->stepScopeBox()->setCurrentIndex(all);
    Q_EMIT t->stepScopeBox()->activated(all);
}

// Every backend of the lab answers after latencyMs.
void slowDown(Lab& lab, int latencyMs)
{
    for (const BackendId id : lab.backendIds()) {
        FaultProfile f = lab.embeddedBackend(id)->faults();
        f.latencyMs = latencyMs;
        lab.setFaults(id, f);
    }
}

int dotsParkedAtBackends(const FlowScene& scene)
{
    return int(std::count_if(scene.dots().begin(), scene.dots().end(), [](const FlowDot& d) {
        return d.route.last().node == Node::Backend && d.at == d.route.size() - 1;
    }));
}
} // namespace

class TestFlowWindow final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void stepThroughSmoothWrrShowsEachPick();
    void cardsReadTheSnapshot();
    void windowNodesNeverOverlap_data();
    void windowNodesNeverOverlap();
    void zoomScalesTheDiagram();
    void readmeScreenshot();
};

void TestFlowWindow::stepThroughSmoothWrrShowsEachPick()
{
    // nginx's smooth weighted round robin with weights 5, 1, 1: a a b a c a a, one Step at a time.
    LabConfig config = freePortLab();
    config.algorithm = QStringLiteral("weighted-round-robin");
    const QStringList names{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")};
    for (int i = 0; i < 3; ++i) {
        config.backends[i].name = names[i];
        config.backends[i].weight = i == 0 ? 5 : 1;
    }
    RunningLab r(config);
    MainWindow w(&r.lab);
    w.resize(1280, 720);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    stepAllClients(w.timeControls());
    FlowScene& scene = w.flowView()->scene();
    QCOMPARE(scene.algorithm(), QStringLiteral("weighted-round-robin"));
    for (int i = 0; i < 7; ++i) {
        TestHttpConnection client;
        QVERIFY(client.connectTo(r.port()));
        QVERIFY(client.send(getRequest("/step")));
        QTRY_COMPARE(scene.heldCount(), 1);
        if (i == 3) {
            // While it is held the proxy lists what the pick will choose among, with state and weight.
            const QString candidates = scene.candidatesText();
            QVERIFY2(candidates.contains(QStringLiteral("a (up, weight 5)")), qPrintable(candidates));
            QVERIFY2(candidates.contains(QStringLiteral("b (up, weight 1)")), qPrintable(candidates));
            QVERIFY2(candidates.contains(QStringLiteral("c (up, weight 1)")), qPrintable(candidates));
            QVERIFY(!candidates.contains(QStringLiteral("not a candidate")));
            QTest::qWait(400); // the dot reaches the proxy
            QVERIFY(w.grab().save(outputPath(QStringLiteral("flowview-step-held.png"))));
        }
        QTest::mouseClick(w.timeControls()->stepButton(), Qt::LeftButton);
        const auto response = client.readResponse(5000);
        QVERIFY(response);
        QCOMPARE(response->status(), 200);
        QTRY_COMPARE(scene.pickStrip().size(), qsizetype(i + 1));
    }
    QCOMPARE(scene.pickStripText(), QStringLiteral("a a b a c a a"));
    QCOMPARE(scene.latestPickBackend(), r.lab.poolBackend(r.id(0))->id);
    QVERIFY2(scene.latestPick().startsWith(QStringLiteral("smooth WRR")), qPrintable(scene.latestPick()));
    QVERIFY2(scene.latestPick().endsWith(QStringLiteral("→ a")), qPrintable(scene.latestPick()));
    QTest::qWait(300);
    QVERIFY(w.grab().save(outputPath(QStringLiteral("flowview-step-wrr.png"))));

    // Another algorithm: the pick panel no longer explains the old one's choice.
    QString error;
    QVERIFY2(r.lab.setAlgorithm(QStringLiteral("least-connections"), &error), qPrintable(error));
    w.refresh();
    QCOMPARE(scene.pickNote(), QStringLiteral("algorithm changed to least-connections; no pick yet"));
    QVERIFY(scene.latestPick().isEmpty());
    QVERIFY(scene.pickStrip().isEmpty());
    QCOMPARE(scene.latestPickBackend(), -1);
    QVERIFY(w.grab().save(outputPath(QStringLiteral("flowview-algorithm-changed.png"))));
}

void TestFlowWindow::cardsReadTheSnapshot()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.resize(1280, 720);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const FlowScene& scene = w.flowView()->scene();
    // Quick answers at ~90 req/s: at the instant of a snapshot hardly any is in flight, yet each backend
    // is busy, and its card says how busy: the board's req/s over the last second.
    LoadSpec spec;
    spec.port = r.port();
    spec.concurrency = 4;
    spec.ratePerSecond = 90;
    spec.durationMs = 3000;
    spec.maxRequests = 270;
    QVERIFY(w.generator()->start(spec));
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(scene.backends().begin(), scene.backends().end(),
                                         [](const FlowBackend& b) { return b.ratePerSecond >= 10; }),
                             5000);
    for (int i = 0; i < scene.backends().size(); ++i) {
        const FlowBackend& b = scene.backends()[i];
        QCOMPARE(b.ratePerSecond, w.backendModel()->row(i).rate); // one history, one figure
        const QString counts = FlowScene::countsText(b);
        QVERIFY2(counts.endsWith(QStringLiteral("%1 req/s").arg(qRound(b.ratePerSecond))), qPrintable(counts));
    }
    QVERIFY(w.grab().save(outputPath(QStringLiteral("flowview-busy.png"))));
    QVERIFY(waitFinished(*w.generator(), 8000));

    // Slow answers: two requests in service at each backend (round robin), as the proxy counts them.
    slowDown(r.lab, 3000);
    std::vector<std::unique_ptr<TestHttpConnection>> clients;
    for (int i = 0; i < 6; ++i) {
        clients.push_back(std::make_unique<TestHttpConnection>());
        QVERIFY(clients.back()->connectTo(r.port()));
        QVERIFY(clients.back()->send(getRequest("/slow")));
    }
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(scene.backends().begin(), scene.backends().end(),
                                         [](const FlowBackend& b) { return b.inFlight == 2; }),
                             2500);
    const MetricsSnapshot snapshot = r.lab.snapshot();
    for (const FlowBackend& b : scene.backends()) {
        const auto stats = std::find_if(snapshot.backends.begin(), snapshot.backends.end(),
                                        [&](const BackendStats& s) { return s.id == b.id; });
        QVERIFY(stats != snapshot.backends.end());
        QCOMPARE(stats->inFlight, 2);
        QVERIFY2(FlowScene::countsText(b).contains(QStringLiteral("· 2 in flight ·")),
                 qPrintable(FlowScene::countsText(b)));
    }
    for (auto& c : clients) {
        const auto resp = c->readResponse(5000);
        QVERIFY(resp);
        QCOMPARE(resp->status(), 200);
    }
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(scene.backends().begin(), scene.backends().end(),
                                         [](const FlowBackend& b) { return b.inFlight == 0; }),
                             3000);
}

void TestFlowWindow::windowNodesNeverOverlap_data()
{
    QTest::addColumn<QSize>("size");
    QTest::addColumn<double>("zoom");
    QTest::newRow("1024x768") << QSize(1024, 768) << 1.0;
    QTest::newRow("1280x720") << QSize(1280, 720) << 1.0;
    QTest::newRow("1920x1050") << QSize(1920, 1050) << 1.0;
    QTest::newRow("1024x768 zoomed") << QSize(1024, 768) << 1.5;
    QTest::newRow("1920x1050 zoomed") << QSize(1920, 1050) << 2.0;
}

void TestFlowWindow::windowNodesNeverOverlap()
{
    QFETCH(QSize, size);
    QFETCH(double, zoom);
    RunningLab r;
    MainWindow w(&r.lab);
    const auto actualSize = qScopeGuard([&w] { w.setZoom(1); }); // the zoom is remembered: not for the next test
    w.setZoom(zoom);
    w.resize(size);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    // The flow view as a learner finds it in the window: requests in service, a pick explained.
    slowDown(r.lab, 2500);
    std::vector<std::unique_ptr<TestHttpConnection>> clients;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(std::make_unique<TestHttpConnection>());
        QVERIFY(clients.back()->connectTo(r.port()));
        QVERIFY(clients.back()->send(getRequest("/layout")));
    }
    const FlowScene& scene = w.flowView()->scene();
    QTRY_COMPARE_WITH_TIMEOUT(dotsParkedAtBackends(scene), 3, 2200);
    QVERIFY(!scene.latestPick().isEmpty());
    QVERIFY(w.grab().save(
        outputPath(QStringLiteral("flowview-window-%1x%2-zoom%3.png").arg(size.width()).arg(size.height()).arg(zoom))));
    QVERIFY(qAbs(w.flowView()->canvas()->scale() - zoom) < 0.01);
    const QString problem = layoutProblem(scene.layout(), QSizeF(w.flowView()->canvas()->size()));
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QVERIFY(w.flowView()->canvas()->width() >= 300);
    for (auto& c : clients)
        QVERIFY(c->readResponse(5000));
}

void TestFlowWindow::zoomScalesTheDiagram()
{
    RunningLab r;
    MainWindow w(&r.lab);
    const auto actualSize = qScopeGuard([&w] { w.setZoom(1); });
    w.setZoom(1);
    w.resize(1280, 720);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const FlowViewCanvas* canvas = w.flowView()->canvas();
    const FlowScene& scene = w.flowView()->scene();
    QCOMPARE(canvas->scale(), 1.0);
    QCOMPARE(scene.dotRadius(), FlowScene::kDotRadius);
    const double lane = scene.layout().proxyLane.height();
    const double line = scene.lineHeight();
    const double legend = scene.layout().legend.height();
    // Zoom in twice (Ctrl +), as on a projector: fonts, nodes and dots grow together.
    w.zoomIn();
    w.zoomIn();
    QVERIFY2(w.zoom() > 1.25, qPrintable(QString::number(w.zoom())));
    QVERIFY2(qAbs(canvas->scale() - w.zoom()) < 0.01, qPrintable(QString::number(canvas->scale())));
    QCOMPARE(scene.dotRadius(), FlowScene::kDotRadius * canvas->scale());
    QVERIFY(scene.lineHeight() > line * 1.2);
    QVERIFY(scene.layout().proxyLane.height() > lane * 1.2);
    QVERIFY(scene.layout().legend.height() >= legend * 1.2); // text rows follow the font
    QVERIFY(w.grab().save(outputPath(QStringLiteral("flowview-zoomed.png"))));
    w.setZoom(1); // Ctrl 0
    QCOMPARE(canvas->scale(), 1.0);
    QCOMPARE(scene.layout().proxyLane.height(), lane);
}

void TestFlowWindow::readmeScreenshot()
{
    // The README's picture of the flow view mid-animation: round robin sends a third of the traffic to a
    // slow backend with one worker, whose queue fills, while dots travel. LAB_FLOW_SCREENSHOT=path also
    // writes it there (docs/flow.png).
    RunningLab r;
    MainWindow w(&r.lab);
    w.resize(1440, 900);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    FaultProfile slow = r.lab.embeddedBackend(r.id(1))->faults();
    slow.workers = 1;
    slow.queue = 4;
    slow.serviceMs = 450;
    r.lab.setFaults(r.id(1), slow);
    for (const int quick : {0, 2}) {
        FaultProfile f = r.lab.embeddedBackend(r.id(quick))->faults();
        f.latencyMs = 120; // long enough to be seen in service
        r.lab.setFaults(r.id(quick), f);
    }
    w.refresh();
    LoadSpec spec;
    spec.port = r.port();
    spec.concurrency = 10;
    spec.ratePerSecond = 12;
    spec.durationMs = 10000;
    spec.maxRequests = 120;
    QVERIFY(w.generator()->start(spec));
    const FlowScene& scene = w.flowView()->scene();
    auto queued = [&scene] {
        return scene.backends().size() == 3 ? scene.backends()[1].queued : 0;
    };
    QTRY_VERIFY_WITH_TIMEOUT(queued() >= 3 && scene.isMoving(), 8000);
    // A request in service at the slow backend, clicked: its details beside the view, its dot ringed.
    for (const FlowDot& d : scene.dots()) {
        if (d.route.last() == FlowPlace{Node::Backend, scene.backends()[1].id} && d.at == d.route.size() - 1) {
            w.flowView()->showDetails(d.requestId);
            break;
        }
    }
    QVERIFY(w.grab().save(outputPath(QStringLiteral("flow-window.png"))));
    // The Flow tab (time controls and view), big enough to read in a README.
    QWidget* tab = w.flowView()->parentWidget();
    QVERIFY(tab && tab->width() >= 900);
    const QImage img = tab->grab().toImage();
    QVERIFY(img.save(outputPath(QStringLiteral("flow.png"))));
    if (const QString path = qEnvironmentVariable("LAB_FLOW_SCREENSHOT"); !path.isEmpty())
        QVERIFY2(img.save(path), qPrintable(path));
    QVERIFY(scene.backends()[1].workers == 1 && scene.backends()[1].inService == 1);
    w.generator()->stop();
    QVERIFY(waitFinished(*w.generator(), 5000));
}

QTEST_MAIN(TestFlowWindow)
#include "tst_flowwindow.moc"
