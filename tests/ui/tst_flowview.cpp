// The flow view and the time controls, offscreen: the scene fed synthetic lifecycle events with a manual
// time, the widget clicked with QTest and grabbed at three window sizes, and a real lab behind it.
#include "BackendTableModel.h"
#include "FlowScene.h"
#include "FlowTestSupport.h"
#include "FlowView.h"
#include "FlowViewCanvas.h"
#include "MainWindow.h"
#include "StateColors.h"
#include "TestHttp.h"
#include "TestLab.h"
#include "TimeControls.h"
#include "TraceModel.h"
#include "backend/Backend.h"
#include "fakebackend/FakeBackend.h"
#include "lab/Lab.h"
#include "loadgen/LoadGenerator.h"
#include "proxy/Proxy.h"
#include "proxy/StepGate.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTest>

using namespace lab;
using namespace lab::test;

namespace {
using Node = FlowPlace::Node;

QList<FlowBackend> threeBackends()
{
    return {
        FlowBackend{0, QStringLiteral("backend-8001"), QStringLiteral("up"), StateColors::up, 5, 1},
        FlowBackend{1, QStringLiteral("backend-8002"), QStringLiteral("up"), StateColors::up, 1, 3, 4, 3, 6, 2},
        FlowBackend{2, QStringLiteral("backend-8003"), QStringLiteral("unhealthy"), StateColors::down, 1, 0},
    };
}

LifecycleEvent lifecycleEvent(quint64 request, LifecycleKind kind, int backend = -1, int status = 0,
                              const QString& detail = {})
{
    LifecycleEvent e;
    e.requestId = request;
    e.timeMs = 1; // not 0, so the stream keeps it (the scene never reads it)
    e.kind = kind;
    e.backendId = backend;
    e.status = status;
    e.detail = detail;
    return e;
}

void arrive(LifecycleStream& s, quint64 request, const QString& what = QStringLiteral("GET /a from 127.0.0.1"))
{
    s.record(lifecycleEvent(request, LifecycleKind::Arrived, -1, 0, what));
}

void pick(LifecycleStream& s, quint64 request, int backend, int attempt = 1)
{
    LifecycleEvent e =
        lifecycleEvent(request, LifecycleKind::Picked, backend, 0,
                       QStringLiteral("smooth WRR: current weights a=5 b=1 c=1 → backend-800%1").arg(backend + 1));
    e.attempt = attempt;
    s.record(e);
}

void answer(LifecycleStream& s, quint64 request, int backend, int status, quint64 traceSequence = 0)
{
    s.record(lifecycleEvent(request, LifecycleKind::ResponseStarted, backend, status));
    LifecycleEvent f = lifecycleEvent(request, LifecycleKind::Finished, backend, status);
    f.latencyMs = 3.25;
    f.traceSequence = traceSequence;
    s.record(f);
}

// "C P B0 B1 P C": the route a dot walks.
QString routeText(const FlowDot& d)
{
    QStringList parts;
    for (const FlowPlace& p : d.route)
        parts << (p.node == Node::Client      ? QStringLiteral("C")
                      : p.node == Node::Proxy ? QStringLiteral("P")
                                              : QStringLiteral("B%1").arg(p.backendId));
    return parts.join(QLatin1Char(' '));
}

FlowScene sceneWith(const QList<FlowBackend>& backends)
{
    FlowScene scene;
    scene.setBackends(backends);
    scene.setViewport(QSizeF(1000, 500));
    return scene;
}
} // namespace

class TestFlowView final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void dotGoesToTheBackendWaitsAndComesBack();
    void outcomeColours_data();
    void outcomeColours();
    void failoverWalksTheBackends_data();
    void failoverWalksTheBackends();
    void samplingIsSaid_data();
    void samplingIsSaid();
    void emptyStateAndLatestPick();
    void lostEventsDropHalfDrawnRequests();
    void pauseFreezesAndResumeJumpsToThePresent();
    void clickOnADotShowsItsDetails();
    void grabsAtWindowSizes_data();
    void grabsAtWindowSizes();
    void windowShowsTheFlowFirst();
    void realLabDrawsItsBackendsAndRequests();
    void realBurstIsSampledAndSaysSo();
    void windowPauseFreezesTheTraceList();
    void traceSelectionSurvivesTraffic();
    void aNewLabStartsTraceAndFlowAfresh();
    void slowMotionDrivesTheGenerator();
    void stepModeHoldsDotsAtTheProxy();
    void aChangeOfAlgorithmOrBackendsClearsThePicks();
    void dotsStayClearOfTheProxyText();
    void dotsStayClearOfTheClientsLabel_data();
    void dotsStayClearOfTheClientsLabel();
    void sampledStripSaysSoAndCountsAllPicks();
    void selectedDotKeepsItsOutcomeColour();
};

void TestFlowView::dotGoesToTheBackendWaitsAndComesBack()
{
    FlowScene scene = sceneWith(threeBackends());
    LifecycleStream stream;
    arrive(stream, 1);
    pick(stream, 1, 1);
    scene.ingest(stream.since(0), 0);
    QCOMPARE(scene.dots().size(), size_t(1));
    const FlowDot* d = scene.dot(1);
    QCOMPARE(routeText(*d), QStringLiteral("C P B1"));
    const QPointF client = scene.placePoint({Node::Client}, 1);
    const QPointF proxy = scene.placePoint({Node::Proxy}, 1);
    const QPointF backend = scene.placePoint({Node::Backend, 1}, 1);
    QCOMPARE(scene.dotPosition(*d), client);
    const int leg = scene.legMs();
    scene.advance(leg / 2); // half way to the proxy
    QVERIFY(scene.dotPosition(*d).x() > client.x() && scene.dotPosition(*d).x() < proxy.x());
    scene.advance(leg);
    QCOMPARE(scene.dotPosition(*d), proxy);
    scene.advance(2 * leg);
    QCOMPARE(scene.dotPosition(*d), backend);
    // No answer yet: the request is in service, the dot waits at the backend however long it takes.
    scene.advance(20 * leg);
    QCOMPARE(scene.dotPosition(*d), backend);
    QVERIFY(!scene.isMoving());
    QCOMPARE(d->outcome, FlowOutcome::Pending);

    answer(stream, 1, 1, 200, 7);
    scene.ingest(stream.since(scene.lastSequence()), 20 * leg);
    QCOMPARE(routeText(*d), QStringLiteral("C P B1 P C"));
    QCOMPARE(d->outcome, FlowOutcome::Success);
    QCOMPARE(d->traceSequence, quint64(7));
    QVERIFY(scene.isMoving());
    scene.advance(21 * leg);
    QCOMPARE(scene.dotPosition(*scene.dot(1)), proxy);
    scene.advance(22 * leg); // back at the client: gone
    QVERIFY(scene.dots().empty());
    QVERIFY(!scene.dot(1));
}

void TestFlowView::outcomeColours_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<int>("backend");
    QTest::addColumn<bool>("attempted");
    QTest::addColumn<FlowOutcome>("outcome");
    QTest::newRow("200") << 200 << 1 << true << FlowOutcome::Success;
    QTest::newRow("304") << 304 << 1 << true << FlowOutcome::Success;
    QTest::newRow("404") << 404 << 1 << true << FlowOutcome::ClientError;
    QTest::newRow("500 from a backend") << 500 << 1 << true << FlowOutcome::ServerError;
    QTest::newRow("502 after the attempts failed") << 502 << -1 << true << FlowOutcome::ServerError;
    QTest::newRow("503 no backend") << 503 << -1 << false << FlowOutcome::NoBackend;
    QTest::newRow("429 rate limited") << 429 << -1 << false << FlowOutcome::RateLimited;
    QTest::newRow("429 from a backend") << 429 << 1 << true << FlowOutcome::ClientError;
    QTest::newRow("400 malformed") << 400 << -1 << false << FlowOutcome::NoBackend;
    QTest::newRow("connection closed") << 0 << 1 << true << FlowOutcome::NoResponse;
}

void TestFlowView::outcomeColours()
{
    QFETCH(int, status);
    QFETCH(int, backend);
    QFETCH(bool, attempted);
    QFETCH(FlowOutcome, outcome);
    QCOMPARE(FlowScene::outcomeOf(status, backend, attempted), outcome);
    // Every outcome has its own colour, and the legend names it.
    QSet<QRgb> colours;
    for (FlowOutcome o :
         {FlowOutcome::Pending, FlowOutcome::Success, FlowOutcome::ClientError, FlowOutcome::ServerError,
          FlowOutcome::NoBackend, FlowOutcome::RateLimited, FlowOutcome::NoResponse})
        colours.insert(FlowScene::outcomeColor(o).rgb());
    QCOMPARE(colours.size(), 7);
    QVERIFY(!FlowScene::outcomeText(outcome).isEmpty());
}

void TestFlowView::failoverWalksTheBackends_data()
{
    // The attempts as "backend:result", and the route the dot walks.
    QTest::addColumn<QStringList>("attempts");
    QTest::addColumn<int>("finalStatus");
    QTest::addColumn<QString>("route");
    QTest::newRow("refused, then served")
        << QStringList{QStringLiteral("0:connection refused"), QStringLiteral("1:200")} << 200
        << QStringLiteral("C P B0 B1 P C");
    QTest::newRow("cascading 404") << QStringList{QStringLiteral("0:404, retrying"), QStringLiteral("1:404, retrying"),
                                                  QStringLiteral("2:200")}
                                   << 200 << QStringLiteral("C P B0 B1 B2 P C");
    QTest::newRow("every attempt failed: 502")
        << QStringList{QStringLiteral("0:connection refused"), QStringLiteral("2:connection reset")} << 502
        << QStringLiteral("C P B0 B2 P C");
}

void TestFlowView::failoverWalksTheBackends()
{
    QFETCH(QStringList, attempts);
    QFETCH(int, finalStatus);
    QFETCH(QString, route);
    FlowScene scene = sceneWith(threeBackends());
    LifecycleStream stream;
    arrive(stream, 3);
    int lastBackend = -1;
    for (int i = 0; i < attempts.size(); ++i) {
        const int backend = attempts[i].section(QLatin1Char(':'), 0, 0).toInt();
        const QString result = attempts[i].section(QLatin1Char(':'), 1);
        pick(stream, 3, backend, i + 1);
        if (result.toInt() >= 200 && result.toInt() < 300) {
            answer(stream, 3, backend, result.toInt());
        } else {
            stream.record(lifecycleEvent(3, LifecycleKind::AttemptFailed, backend, result.toInt(), result));
            lastBackend = backend;
        }
    }
    if (finalStatus >= 500) {
        LifecycleEvent f = lifecycleEvent(3, LifecycleKind::Finished, -1, finalStatus);
        stream.record(f);
    }
    scene.ingest(stream.since(0), 0);
    const FlowDot* d = scene.dot(3);
    QVERIFY(d);
    QCOMPARE(routeText(*d), route);
    // Walk to the first backend, then half a leg: the dot is on the hop between two backends, not at the proxy.
    const int leg = scene.legMs();
    scene.advance(0);
    scene.advance(2 * leg + leg / 2);
    const QPointF first = scene.placePoint(d->route[2], 3);
    const QPointF second = scene.placePoint(d->route[3], 3);
    const QPointF at = scene.dotPosition(*d);
    QCOMPARE(d->route[3].node, Node::Backend); // a failover hops from backend to backend
    QVERIFY(qAbs(at.y() - (first.y() + second.y()) / 2) < 1.0);
    // Bent out to the left of the backends (not through the one in between), still right of the proxy.
    QVERIFY(at.x() < qMin(first.x(), second.x()) - FlowScene::kHopBend / 4);
    QVERIFY(at.x() > scene.layout().proxy.right());
    // Every event is in, yet the dot does not tell the end before it gets where the answer came from.
    QCOMPARE(FlowScene::shownOutcome(*d), FlowOutcome::Pending);
    scene.advance(2 * leg + leg / 2 + (d->revealAt - 2) * leg);
    QCOMPARE(d->at, d->revealAt);
    QCOMPARE(FlowScene::shownOutcome(*d), d->outcome);
    // A backend's own answer shows where it answered; the proxy's 5xx after the last attempt failed shows
    // at the proxy, not at the backend that was tried last (it answered something else, or nothing).
    QCOMPARE(d->route[d->revealAt].node, finalStatus >= 500 ? Node::Proxy : Node::Backend);
    const QString details = scene.describe(*d);
    QCOMPARE(details.count(QStringLiteral("attempt ")), attempts.size());
    if (lastBackend >= 0)
        QVERIFY(details.contains(QStringLiteral("failed: ")));
    QCOMPARE(d->outcome, finalStatus < 300 ? FlowOutcome::Success : FlowOutcome::ServerError);
}

void TestFlowView::samplingIsSaid_data()
{
    QTest::addColumn<quint64>("arrived");
    QTest::addColumn<quint64>("followed");
    QTest::addColumn<QString>("text");
    QTest::newRow("every request") << quint64(50) << quint64(50) << QString();
    // Said as what it is, not as a fault.
    QTest::newRow("1 in 40") << quint64(2400) << quint64(60)
                             << QStringLiteral("drawing 1 in 40 requests: too many to draw each one");
    QTest::newRow("most of them") << quint64(70) << quint64(60)
                                  << QStringLiteral("drawing 60 of 70 requests: too many to draw each one");
    QTest::newRow("no traffic") << quint64(0) << quint64(0) << QString();
}

void TestFlowView::samplingIsSaid()
{
    QFETCH(quint64, arrived);
    QFETCH(quint64, followed);
    QFETCH(QString, text);
    FlowScene scene = sceneWith(threeBackends());
    LifecycleStream::Batch batch;
    batch.arrived = 1000; // before the view began: not counted
    batch.followed = 200;
    scene.ingest(batch, 0);
    QCOMPARE(scene.samplingText(), QString());
    batch.arrived += arrived;
    batch.followed += followed;
    scene.ingest(batch, 1000);
    QCOMPARE(scene.samplingText(), text);
    // Three quiet seconds later the window has moved on: nothing is sampled any more.
    scene.ingest(batch, 5000);
    QCOMPARE(scene.samplingText(), QString());
}

void TestFlowView::emptyStateAndLatestPick()
{
    FlowScene scene = sceneWith(threeBackends());
    QVERIFY(scene.emptyText().startsWith(QStringLiteral("No requests yet")));
    QVERIFY(scene.emptyText().contains(QStringLiteral("Traffic tab")));
    QCOMPARE(scene.latestPick(), QString());
    LifecycleStream stream;
    quint64 id = 0;
    QVERIFY(stream.follow(true, &id));
    arrive(stream, id);
    pick(stream, id, 0);
    scene.ingest(stream.since(0), 0);
    QCOMPARE(scene.emptyText(), QString());
    QCOMPARE(scene.latestPick(), QStringLiteral("smooth WRR: current weights a=5 b=1 c=1 → backend-8001"));
    answer(stream, id, 0, 200);
    for (quint64 r = 20; r < 20 + FlowScene::kRecentPicks; ++r) {
        arrive(stream, r);
        pick(stream, r, int(r % 3));
    }
    scene.ingest(stream.since(scene.lastSequence()), 0);
    // The newest first, bounded.
    QCOMPARE(scene.recentPicks().size(), FlowScene::kRecentPicks);
    QVERIFY(scene.latestPick().endsWith(QStringLiteral("backend-800%1").arg((19 + FlowScene::kRecentPicks) % 3 + 1)));
    QCOMPARE(scene.recentPicks().first(), scene.latestPick());
    scene.advance(0);
    scene.advance(100 * scene.legMs());
    QCOMPARE(scene.dots().size(), size_t(FlowScene::kRecentPicks)); // the first came and went; the others wait
    QVERIFY(!scene.dot(id));
    QCOMPARE(scene.emptyText(), QString()); // requests came: not "no requests yet"
}

void TestFlowView::lostEventsDropHalfDrawnRequests()
{
    FlowScene scene = sceneWith(threeBackends());
    LifecycleStream small(16);
    arrive(small, 1);
    pick(small, 1, 0);
    scene.ingest(small.since(0), 0);
    QCOMPARE(scene.dots().size(), size_t(1));
    // Twenty events later the ring of 16 has overwritten what came after the view's last read.
    for (quint64 r = 2; r <= 5; ++r) {
        arrive(small, r);
        pick(small, r, 1);
        answer(small, r, 1, 200);
    }
    answer(small, 1, 0, 200);
    arrive(small, 6);
    pick(small, 6, 2);
    const LifecycleStream::Batch batch = small.since(scene.lastSequence());
    QVERIFY(batch.lostEvents);
    scene.ingest(batch, 0);
    QCOMPARE(scene.droppedRequests(), quint64(1)); // request 1 was drawn: it goes, its events may be missing
    QVERIFY(!scene.dot(1));
    QVERIFY(!scene.dot(2)); // its Arrived was overwritten: not drawn at all
    QVERIFY(scene.dot(6)); // whole in the batch: drawn
    QCOMPARE(routeText(*scene.dot(6)), QStringLiteral("C P B2"));
}

void TestFlowView::pauseFreezesAndResumeJumpsToThePresent()
{
    FlowView view;
    view.resize(1000, 600);
    LifecycleStream stream;
    arrive(stream, 1);
    pick(stream, 1, 0);
    answer(stream, 1, 0, 200); // before the view began: the first fetch does not replay it
    arrive(stream, 2);
    pick(stream, 2, 1); // in service when the view begins: drawn at its backend at once
    view.refresh(&stream, threeBackends());
    QCOMPARE(view.scene().dots().size(), size_t(1));
    const FlowDot* two = view.scene().dot(2);
    QVERIFY(two);
    QCOMPARE(view.scene().dotPosition(*two), view.scene().placePoint({Node::Backend, 1}, 2));

    view.setPaused(true);
    answer(stream, 2, 1, 200);
    arrive(stream, 3);
    pick(stream, 3, 2);
    arrive(stream, 4);
    view.refresh(&stream, {}); // paused: nothing is read, not even the backends
    QCOMPARE(view.scene().dots().size(), size_t(1));
    QCOMPARE(view.scene().backends().size(), 3);
    QVERIFY(!view.scene().dot(2)->finished);

    view.setPaused(false);
    view.refresh(&stream, threeBackends());
    // Request 2 finished meanwhile: not replayed. 3 is in service at backend 2, 4 waits at the proxy.
    QVERIFY(!view.scene().dot(2));
    QVERIFY(view.scene().dot(3) && view.scene().dot(4));
    QVERIFY(!view.scene().isMoving());
    QCOMPARE(view.scene().dotPosition(*view.scene().dot(3)), view.scene().placePoint({Node::Backend, 2}, 3));
    QCOMPARE(view.scene().dotPosition(*view.scene().dot(4)), view.scene().placePoint({Node::Proxy}, 4));
    // From now on new requests are animated again.
    arrive(stream, 5);
    view.refresh(&stream, threeBackends());
    QVERIFY(view.scene().isMoving());
}

void TestFlowView::clickOnADotShowsItsDetails()
{
    FlowView view;
    view.resize(1024, 600);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    int lookups = 0;
    view.setTraceLookup([&lookups](quint64 sequence) -> std::optional<TraceEntry> {
        ++lookups;
        if (sequence != 7)
            return std::nullopt;
        TraceEntry e;
        e.sequence = 7;
        e.method = QStringLiteral("GET");
        e.path = QStringLiteral("/a");
        e.attempts = QStringLiteral("backend-8001: connection refused → backend-8002: 200");
        e.status = 200;
        return e;
    });
    LifecycleStream stream;
    view.refresh(&stream, threeBackends());
    QVERIFY(view.detailsText().isEmpty());
    arrive(stream, 1, QStringLiteral("GET /a from 127.0.0.1"));
    pick(stream, 1, 0);
    stream.record(lifecycleEvent(1, LifecycleKind::AttemptFailed, 0, 0, QStringLiteral("connection refused")));
    pick(stream, 1, 1, 2);
    view.setPaused(true); // the dot stays where it is while the test aims at it
    view.setPaused(false);
    view.refresh(&stream, threeBackends());
    const FlowDot* d = view.scene().dot(1);
    QVERIFY(d);
    const QPointF at = view.scene().dotPosition(*d);
    QCOMPARE(at, view.scene().placePoint({Node::Backend, 1}, 1));

    QSignalSpy backendClicks(&view, &FlowView::backendClicked);
    QTest::mouseClick(view.canvas(), Qt::LeftButton, {}, at.toPoint());
    QCOMPARE(view.canvas()->selected(), quint64(1));
    QCOMPARE(backendClicks.count(), 0); // the dot, not the backend under it
    const QString details = view.detailsText();
    QVERIFY2(details.startsWith(QStringLiteral("GET /a from 127.0.0.1")), qPrintable(details));
    QVERIFY(details.contains(QStringLiteral("attempt 1: backend-8001 — failed: connection refused")));
    QVERIFY(details.contains(QStringLiteral("attempt 2: backend-8002 — in service")));
    QVERIFY(details.contains(QStringLiteral("pick: smooth WRR: current weights a=5 b=1 c=1 → backend-8002")));
    QVERIFY(details.contains(QStringLiteral("still in flight")));

    // The answer comes: the details of the selected request follow it, with its trace entry.
    answer(stream, 1, 1, 200, 7);
    view.refresh(&stream, threeBackends());
    QVERIFY2(view.detailsText().contains(QStringLiteral("status 200 (2xx) after 3.25 ms")),
             qPrintable(view.detailsText()));
    QVERIFY(view.detailsText().contains(QStringLiteral("Trace entry #7")));
    QVERIFY(view.detailsText().contains(QStringLiteral("backend-8001: connection refused → backend-8002: 200")));
    QVERIFY(lookups >= 1);

    // A click on a backend (away from its parking strip) names it.
    const QRectF node = view.scene().layout().backends[2];
    QTest::mouseClick(view.canvas(), Qt::LeftButton, {}, QPoint(int(node.right() - 20), int(node.center().y())));
    QCOMPARE(backendClicks.count(), 1);
    QCOMPARE(backendClicks.first().first().toInt(), 2);
}

void TestFlowView::grabsAtWindowSizes_data()
{
    QTest::addColumn<QSize>("size");
    QTest::newRow("1024x768") << QSize(1024, 768);
    QTest::newRow("1280x720") << QSize(1280, 720);
    QTest::newRow("1920x1050") << QSize(1920, 1050);
}

void TestFlowView::grabsAtWindowSizes()
{
    QFETCH(QSize, size);
    FlowView view;
    view.resize(size);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    // Traffic: requests in service at two backends (there when the view began), one walking the failover
    // hop, one coming back with a 404, one the proxy answered itself (503), under sampling.
    LifecycleStream stream;
    for (quint64 r = 1; r <= 4; ++r) {
        arrive(stream, r);
        pick(stream, r, int(r % 2));
    }
    view.refresh(&stream, threeBackends());
    const qint64 t0 = view.canvas()->nowMs();
    const int leg = view.scene().legMs();
    arrive(stream, 10);
    pick(stream, 10, 2);
    stream.record(lifecycleEvent(10, LifecycleKind::AttemptFailed, 2, 0, QStringLiteral("connection refused")));
    pick(stream, 10, 0, 2);
    arrive(stream, 11, QStringLiteral("GET /missing from 127.0.0.1"));
    pick(stream, 11, 1);
    answer(stream, 11, 1, 404);
    LifecycleStream::Batch batch = stream.since(view.scene().lastSequence());
    view.scene().ingest(batch, t0);
    view.scene().advance(t0 + leg + leg / 2);
    arrive(stream, 12);
    stream.record(lifecycleEvent(12, LifecycleKind::Finished, -1, 503));
    batch = stream.since(view.scene().lastSequence());
    batch.arrived = 400; // the stream followed 10 of the last 400
    batch.followed = 10;
    view.scene().ingest(batch, t0 + 1000);
    view.scene().advance(t0 + 2 * leg + leg / 2);
    view.canvas()->sceneChanged(); // fed by hand: tell the canvas, as FlowView::refresh does
    view.showDetails(10);
    const QImage img = view.grab().toImage();
    QVERIFY(img.save(outputPath(QStringLiteral("flowview-%1x%2.png").arg(size.width()).arg(size.height()))));

    // Nothing overlaps and nothing is cut off: every node inside the canvas, none over another.
    const FlowScene::Layout& l = view.scene().layout();
    const QString problem = layoutProblem(l, QSizeF(view.canvas()->size()));
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QVERIFY(l.backends.first().height() >= 60); // room for name, state, counts and slots
    QCOMPARE(view.scene().samplingText(), QStringLiteral("drawing 1 in 40 requests: too many to draw each one"));
    QVERIFY(view.detailsText().contains(QStringLiteral("failed: connection refused")));
    // Dots of four colours are on screen (in flight, 4xx, no backend, ...), and the legend names them.
    QSet<QRgb> colours;
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x)
            colours.insert(img.pixel(x, y));
    for (FlowOutcome o : {FlowOutcome::Pending, FlowOutcome::ClientError, FlowOutcome::NoBackend})
        QVERIFY2(colours.contains(FlowScene::outcomeColor(o).rgb()), qPrintable(FlowScene::outcomeText(o)));
}

void TestFlowView::windowShowsTheFlowFirst()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.resize(1366, 740);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QCOMPARE(w.viewTabs()->currentIndex(), 0);
    QCOMPARE(w.viewTabs()->tabText(0), QStringLiteral("Flow"));
    // Events written into the lab's own stream (as the proxy's workers write them) reach the window's view.
    QVERIFY(r.lab.lifecycle());
    LifecycleStream& stream = *r.lab.lifecycle();
    const int a = r.lab.poolBackend(r.lab.backendIds()[0])->id;
    const int b = r.lab.poolBackend(r.lab.backendIds()[1])->id;
    for (quint64 id = 1; id <= 3; ++id) {
        arrive(stream, id);
        pick(stream, id, id == 3 ? b : a);
    }
    stream.record(lifecycleEvent(3, LifecycleKind::AttemptFailed, b, 0, QStringLiteral("connection refused")));
    pick(stream, 3, a, 2);
    QTRY_COMPARE(w.flowView()->scene().dots().size(), size_t(3));
    QTest::qWait(700); // the dots walk to their backends
    QVERIFY(w.flowView()->canvas()->width() > 600);
    QVERIFY(w.flowView()->canvas()->height() > 250);
    QVERIFY(w.grab().save(outputPath(QStringLiteral("flowview-in-window.png"))));
    QVERIFY(w.flowView()->scene().latestPick().endsWith(QStringLiteral("backend-8001")));
}

void TestFlowView::realLabDrawsItsBackendsAndRequests()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.resize(1366, 740);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QCOMPARE(w.viewTabs()->currentIndex(), 0);
    QVERIFY(w.flowView()->isVisible());
    // The nodes are the lab's backends, with the board's state colour and the pool's ids.
    w.refresh();
    const QList<BackendId> ids = r.lab.backendIds();
    const QList<FlowBackend>& nodes = w.flowView()->scene().backends();
    QCOMPARE(nodes.size(), r.lab.backendCount());
    for (int i = 0; i < nodes.size(); ++i) {
        QCOMPARE(nodes[i].name, r.lab.backendConfig(ids[i]).name);
        QCOMPARE(nodes[i].id, r.lab.poolBackend(ids[i])->id);
        QCOMPARE(nodes[i].stateColor, BackendTableModel::stateColor(w.backendModel()->row(i).state));
    }
    QVERIFY(w.flowView()->scene().emptyText().startsWith(QStringLiteral("No requests yet")));
    // Clicking a backend node selects its row on the board.
    const QRectF second = w.flowView()->scene().layout().backends[1];
    QTest::mouseClick(w.flowView()->canvas(), Qt::LeftButton, {},
                      QPoint(int(second.right() - 20), int(second.center().y())));
    QCOMPARE(w.backendView()->selectionModel()->currentIndex().row(), 1);

    // Slow backends: the requests are in service long enough to be seen parked there.
    for (const BackendId id : ids) {
        FaultProfile f = r.lab.embeddedBackend(id)->faults();
        f.latencyMs = 1500;
        r.lab.setFaults(id, f);
    }
    std::vector<std::unique_ptr<TestHttpConnection>> clients;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(std::make_unique<TestHttpConnection>());
        QVERIFY(clients.back()->connectTo(r.port()));
        QVERIFY(clients.back()->send(getRequest("/flow")));
    }
    // Each request, as the proxy's workers record it, becomes a dot that waits at the backend serving it.
    QTRY_COMPARE_WITH_TIMEOUT(r.lab.lifecycle()->since(0).arrived, quint64(3), 3000);
    QTRY_VERIFY_WITH_TIMEOUT(std::count_if(w.flowView()->scene().dots().begin(), w.flowView()->scene().dots().end(),
                                           [](const FlowDot& d) {
                                               return d.route.last().node == Node::Backend &&
                                                   d.at == d.route.size() - 1;
                                           }) == 3,
                             1400);
    QVERIFY(!w.flowView()->scene().latestPick().isEmpty());
    QVERIFY(w.grab().save(outputPath(QStringLiteral("flowview-real-lab.png"))));
    for (auto& c : clients) {
        const auto resp = c->readResponse();
        QVERIFY(resp);
        QCOMPARE(resp->status(), 200);
    }
    // Answered: the dots come back and leave.
    QTRY_VERIFY_WITH_TIMEOUT(w.flowView()->scene().dots().empty(), 5000);
}

void TestFlowView::realBurstIsSampledAndSaysSo()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    // A burst far above what the stream follows (a few dozen a second): the view says it shows a sample.
    LoadSpec spec;
    spec.port = r.port();
    spec.concurrency = 20;
    spec.maxRequests = 3000;
    spec.durationMs = 8000;
    QVERIFY(w.generator()->start(spec));
    QTRY_VERIFY_WITH_TIMEOUT(w.flowView()->scene().samplingText().startsWith(QStringLiteral("drawing 1 in ")), 8000);
    const QString text = w.flowView()->scene().samplingText();
    QVERIFY2(text.section(QLatin1Char(' '), 3, 3).toInt() >= 2, qPrintable(text));
    QVERIFY(waitFinished(*w.generator(), 10000));
    QVERIFY(w.flowView()->scene().dots().size() <= size_t(FlowScene::kMaxDots));
    QCOMPARE(w.flowView()->scene().droppedRequests(), quint64(0)); // the window kept up: nothing half-drawn
}

void TestFlowView::windowPauseFreezesTheTraceList()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QCOMPARE(httpGet(r.port(), "/before")->status(), 200);
    QTRY_COMPARE(w.traceModel()->rowCount(), 1);
    QTest::mouseClick(w.timeControls()->pauseButton(), Qt::LeftButton);
    QVERIFY(w.timeControls()->isPaused());
    QVERIFY(w.flowView()->isPaused());
    QCOMPARE(w.timeControls()->pauseButton()->text(), QStringLiteral("&Resume"));
    for (int i = 0; i < 3; ++i)
        QCOMPARE(httpGet(r.port(), "/while-paused")->status(), 200);
    QTRY_COMPARE(r.lab.httpProxy()->trace().lastSequence(), quint64(4));
    w.refresh();
    w.refresh();
    QCOMPARE(w.traceModel()->rowCount(), 1); // frozen while the proxy kept working
    // One banner says what is frozen (tab titles that grew "(paused)" pushed Health out of view).
    QVERIFY(w.pauseBanner()->isVisible());
    QVERIFY2(w.pauseBanner()->text().contains(QStringLiteral("the trace list")), qPrintable(w.pauseBanner()->text()));
    QCOMPARE(w.tabs()->tabText(3), QStringLiteral("Trace"));
    QCOMPARE(w.viewTabs()->tabText(1), QStringLiteral("Charts"));
    QTest::mouseClick(w.timeControls()->pauseButton(), Qt::LeftButton);
    QVERIFY(!w.flowView()->isPaused());
    QCOMPARE(w.traceModel()->rowCount(), 4); // Resume caught up at once
    QVERIFY(!w.pauseBanner()->isVisible());
}

void TestFlowView::traceSelectionSurvivesTraffic()
{
    RunningLab r;
    MainWindow w(&r.lab);
    QAbstractItemModelTester tester(w.traceModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto* view = w.findChild<QTableView*>(QStringLiteral("trace"));
    auto* details = w.findChild<QPlainTextEdit*>(QStringLiteral("traceDetails"));
    QVERIFY(view && details);
    quint64 next = w.traceModel()->lastSequence() + 1;
    auto batchOf = [&next](int n) {
        QList<TraceEntry> batch;
        for (int i = 0; i < n; ++i) {
            TraceEntry e;
            e.sequence = next++;
            e.method = QStringLiteral("GET");
            e.path = QStringLiteral("/r%1").arg(e.sequence);
            e.status = 200;
            batch << e;
        }
        return batch;
    };
    w.traceModel()->append(batchOf(20));
    view->selectRow(3);
    const quint64 selected = w.traceModel()->entry(3).sequence;
    const QString text = details->toPlainText();
    QVERIFY(text.contains(QStringLiteral("/r%1").arg(selected)));
    // Many more than the model keeps arrive, in batches as the timer fetches them.
    for (int i = 0; i < 12; ++i)
        w.traceModel()->append(batchOf(60));
    QCOMPARE(w.traceModel()->rowCount(), TraceModel::kMaxRows);
    const QModelIndex current = view->selectionModel()->currentIndex();
    QVERIFY(current.isValid());
    QCOMPARE(w.traceModel()->entry(current.row()).sequence, selected);
    QVERIFY(view->selectionModel()->isRowSelected(current.row(), {}));
    QCOMPARE(details->toPlainText(), text);
    QCOMPARE(w.traceModel()->entry(TraceModel::kMaxRows - 1).sequence, next - 1); // the newest still arrive
    // Unselected, it is trimmed like the others.
    view->clearSelection();
    view->selectionModel()->setCurrentIndex({}, QItemSelectionModel::NoUpdate);
    QCOMPARE(w.traceModel()->pinnedSequence(), quint64(0));
    w.traceModel()->append(batchOf(60));
    QCOMPARE(w.traceModel()->rowOf(selected), -1);
}

void TestFlowView::aNewLabStartsTraceAndFlowAfresh()
{
    RunningLab r;
    MainWindow w(&r.lab);
    QCOMPARE(httpGet(r.port(), "/old")->status(), 200);
    QTRY_COMPARE(w.traceModel()->rowCount(), 1);
    QTRY_VERIFY(!w.flowView()->scene().latestPick().isEmpty());
    // File > Open: new proxies whose trace and lifecycle sequences count from 1 again.
    r.lab.load(freePortLab());
    QString error;
    QVERIFY2(r.lab.startEmbeddedBackends(&error) && r.lab.startProxies(&error), qPrintable(error));
    QCOMPARE(w.traceModel()->rowCount(), 0);
    w.refresh();
    QVERIFY(w.flowView()->scene().latestPick().isEmpty());
    QCOMPARE(httpGet(r.port(), "/new")->status(), 200);
    QTRY_COMPARE(w.traceModel()->rowCount(), 1);
    QCOMPARE(w.traceModel()->entry(0).path, QStringLiteral("/new"));
    QTRY_VERIFY(!w.flowView()->scene().latestPick().isEmpty());
}

void TestFlowView::slowMotionDrivesTheGenerator()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QCOMPARE(w.flowView()->scene().legMs(), FlowScene::kNormalLegMs);
    w.timeControls()->slowRateBox()->setValue(5);
    w.timeControls()->slowMotionBox()->click();
    QVERIFY2(w.timeControls()->isSlowMotion(), qPrintable(w.timeControls()->statusText()));
    QVERIFY(w.generator()->isRunning());
    QCOMPARE(w.flowView()->scene().legMs(), FlowScene::kSlowLegMs);
    QVERIFY(r.eventContains(QStringLiteral("slow motion: 5 req/s")));
    // A few requests a second, not a flood: 5 req/s for ~1.2 s is at most 7 (the first at once).
    QTRY_VERIFY_WITH_TIMEOUT(w.generator()->totals().completed >= 2, 3000);
    QTest::qWait(1200);
    QVERIFY(w.grab().save(outputPath(QStringLiteral("flowview-slow-motion.png"))));
    QVERIFY(!w.flowView()->scene().dots().empty()); // slow dots: each request is still on its way
    const LoadTotals t = w.generator()->totals();
    QVERIFY2(double(t.sent) <= 5.0 * double(t.elapsedMs) / 1000.0 + 2, qPrintable(QString::number(t.sent)));
    w.timeControls()->slowMotionBox()->click();
    QVERIFY(!w.timeControls()->isSlowMotion());
    QVERIFY(!w.generator()->isRunning());
    QCOMPARE(w.flowView()->scene().legMs(), FlowScene::kNormalLegMs);

    // Without a running proxy it says why and stays off.
    r.lab.stopProxies(1000);
    w.timeControls()->slowMotionBox()->click();
    QVERIFY(!w.timeControls()->isSlowMotion());
    QVERIFY(!w.timeControls()->slowMotionBox()->isChecked());
    QVERIFY(w.timeControls()->statusText().contains(QStringLiteral("not running")));
    QVERIFY(!w.generator()->isRunning());
}

void TestFlowView::stepModeHoldsDotsAtTheProxy()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.resize(1366, 740);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    TimeControls* t = w.timeControls();
    QVERIFY(!t->stepButton()->isEnabled());
    const int all = t->stepScopeBox()->findData(int(StepScope::AllClients));
    t->stepScopeBox()->setCurrentIndex(all);
    Q_EMIT t->stepScopeBox()->activated(all); // what a user's choice emits
    QCOMPARE(r.lab.stepScope(), StepScope::AllClients);

    std::vector<std::unique_ptr<TestHttpConnection>> clients;
    for (int i = 0; i < 2; ++i) {
        clients.push_back(std::make_unique<TestHttpConnection>());
        QVERIFY(clients.back()->connectTo(r.port()));
        QVERIFY(clients.back()->send(getRequest(QByteArray("/held-") + QByteArray::number(i))));
        QTRY_COMPARE(r.lab.heldRequests().size(), qsizetype(i + 1)); // in order: the first is the oldest
    }
    // Both wait at the proxy, before any pick, drawn as held dots; Step says how many.
    FlowScene& scene = w.flowView()->scene();
    QTRY_COMPARE(scene.heldCount(), 2);
    QTRY_VERIFY(t->stepButton()->isEnabled());
    QCOMPARE(t->stepButton()->text(), QStringLiteral("S&tep (2 held)"));
    for (const FlowDot& d : scene.dots())
        QCOMPARE(d.route.last().node, Node::Proxy);
    QTest::qWait(600); // the dots reach the proxy
    QVERIFY(w.grab().save(outputPath(QStringLiteral("flowview-step-mode.png"))));

    QTest::mouseClick(t->stepButton(), Qt::LeftButton);
    const auto first = clients[0]->readResponse(5000);
    QVERIFY(first);
    QCOMPARE(first->status(), 200);
    QTRY_COMPARE(scene.heldCount(), 1);
    QTRY_COMPARE(t->stepButton()->text(), QStringLiteral("S&tep (1 held)"));
    // Off lets the rest go.
    const int off = t->stepScopeBox()->findData(int(StepScope::Off));
    t->stepScopeBox()->setCurrentIndex(off);
    Q_EMIT t->stepScopeBox()->activated(off);
    const auto second = clients[1]->readResponse(5000);
    QVERIFY(second);
    QCOMPARE(second->status(), 200);
    QTRY_COMPARE(scene.heldCount(), 0);
    QTRY_VERIFY(!t->stepButton()->isEnabled());
    QVERIFY(r.eventContains(QStringLiteral("step mode off")));
}

void TestFlowView::aChangeOfAlgorithmOrBackendsClearsThePicks()
{
    FlowScene scene = sceneWith(threeBackends());
    scene.setAlgorithm(QStringLiteral("weighted-round-robin"));
    QCOMPARE(scene.pickNote(), QString()); // the first algorithm is no change
    LifecycleStream stream;
    arrive(stream, 1);
    pick(stream, 1, 0);
    scene.ingest(stream.since(0), 0);
    QCOMPARE(scene.pickStripText(), QStringLiteral("backend-8001"));
    QCOMPARE(scene.latestPickBackend(), 0);

    scene.setAlgorithm(QStringLiteral("least-connections"));
    QVERIFY(scene.latestPick().isEmpty());
    QVERIFY(scene.recentPicks().isEmpty());
    QVERIFY(scene.pickStrip().isEmpty());
    QCOMPARE(scene.latestPickBackend(), -1);
    QCOMPARE(scene.pickNote(), QStringLiteral("algorithm changed to least-connections; no pick yet"));
    arrive(stream, 2);
    pick(stream, 2, 1);
    scene.ingest(stream.since(scene.lastSequence()), 0);
    QCOMPARE(scene.pickNote(), QString());
    QCOMPARE(scene.pickStripText(), QStringLiteral("backend-8002"));

    // A backend leaves: the membership changed.
    QList<FlowBackend> two = threeBackends().mid(0, 2);
    scene.setBackends(two);
    QVERIFY(scene.pickStrip().isEmpty());
    QCOMPARE(scene.pickNote(),
             QStringLiteral("backends changed to backend-8001 (weight 5), backend-8002 (weight 1); no pick yet"));
    arrive(stream, 3);
    pick(stream, 3, 0);
    scene.ingest(stream.since(scene.lastSequence()), 0);
    // Live figures are no change of membership; a weight is.
    two[0].inFlight = 9;
    two[0].ratePerSecond = 50;
    two[0].stateText = QStringLiteral("slow start");
    scene.setBackends(two);
    QCOMPARE(scene.pickStripText(), QStringLiteral("backend-8001"));
    QCOMPARE(scene.pickNote(), QString());
    two[1].weight = 3;
    scene.setBackends(two);
    QVERIFY(scene.pickStrip().isEmpty());
    QVERIFY(scene.pickNote().contains(QStringLiteral("backend-8002 (weight 3)")));
    // The strip is bounded, oldest first.
    for (quint64 id = 10; id < 10 + FlowScene::kPickStrip + 5; ++id) {
        arrive(stream, id);
        pick(stream, id, id % 2 ? 1 : 0);
    }
    scene.ingest(stream.since(scene.lastSequence()), 0);
    QCOMPARE(scene.pickStrip().size(), FlowScene::kPickStrip);
    QCOMPARE(scene.pickStrip().last(), QStringLiteral("backend-8001")); // id 33: even
}

void TestFlowView::dotsStayClearOfTheProxyText()
{
    // At any size the dots cross the proxy in its lane and leave through its doors: a crowd of requests
    // never covers the picks' explanation.
    for (const QSizeF size : {QSizeF(420, 330), QSizeF(1000, 500), QSizeF(1800, 900)}) {
        FlowScene scene = sceneWith(threeBackends());
        scene.setViewport(size);
        LifecycleStream stream;
        for (quint64 id = 1; id <= 12; ++id) {
            arrive(stream, id);
            pick(stream, id, int(id % 3));
            answer(stream, id, int(id % 3), 200);
        }
        scene.ingest(stream.since(0), 0);
        QCOMPARE(scene.dots().size(), size_t(12));
        const QRectF text = scene.layout().proxyText;
        const double r = scene.dotRadius();
        const QRectF forbidden = text.adjusted(-r, -r, r, r);
        const int step = scene.legMs() / 10;
        for (int t = 0; t <= 5 * scene.legMs(); t += step) {
            scene.advance(t);
            for (const FlowDot& d : scene.dots()) {
                const QPointF at = scene.dotPosition(d);
                QVERIFY2(!forbidden.contains(at),
                         qPrintable(QStringLiteral("%1x%2: request %3 at %4,%5 over the text")
                                        .arg(size.width())
                                        .arg(size.height())
                                        .arg(d.requestId)
                                        .arg(at.x())
                                        .arg(at.y())));
                if (d.route[d.at].node == Node::Proxy && d.progress == 0)
                    QVERIFY(scene.layout().proxyLane.contains(at));
            }
        }
        QVERIFY(scene.dots().empty()); // they all came back
    }
}

void TestFlowView::dotsStayClearOfTheClientsLabel_data()
{
    QTest::addColumn<QSizeF>("size");
    QTest::addColumn<double>("scale");
    QTest::addColumn<double>("line");
    // The canvas at 1024 and 1366 px with the lesson dock, at zoom 0 and +2 (1.3x), and a big one.
    QTest::newRow("350x230 zoom 0") << QSizeF(350, 230) << 1.0 << 15.0;
    QTest::newRow("350x230 zoom +2") << QSizeF(350, 230) << 1.3 << 19.0;
    QTest::newRow("450x330 zoom 0") << QSizeF(450, 330) << 1.0 << 15.0;
    QTest::newRow("450x330 zoom +2") << QSizeF(450, 330) << 1.3 << 19.0;
    QTest::newRow("1000x500 zoom 0") << QSizeF(1000, 500) << 1.0 << 15.0;
}

void TestFlowView::dotsStayClearOfTheClientsLabel()
{
    // Re-trial: requests waiting at (or leaving and reaching) the client covered the word "clients". The
    // label has its row at the client's top; every dot, at every spot, stays under it.
    QFETCH(QSizeF, size);
    QFETCH(double, scale);
    QFETCH(double, line);
    FlowScene scene = sceneWith(threeBackends());
    scene.setViewport(size);
    scene.setMetrics(scale, line);
    const FlowScene::Layout& l = scene.layout();
    QVERIFY(l.client.contains(l.clientLabel));
    QVERIFY2(l.clientLabel.height() >= line, qPrintable(QString::number(l.clientLabel.height())));
    LifecycleStream stream;
    for (quint64 id = 1; id <= 24; ++id) { // every one of the 12 spots, twice
        arrive(stream, id);
        pick(stream, id, int(id % 3));
        answer(stream, id, int(id % 3), 200);
    }
    scene.ingest(stream.since(0), 0);
    const double r = scene.dotRadius();
    const int step = scene.legMs() / 10;
    int atClient = 0;
    for (int t = 0; t <= 6 * scene.legMs(); t += step) {
        for (const FlowDot& d : scene.dots()) {
            const QPointF at = scene.dotPosition(d);
            const QRectF dot(at - QPointF(r, r), QSizeF(2 * r, 2 * r));
            QVERIFY2(!dot.intersects(l.clientLabel),
                     qPrintable(QStringLiteral("request %1 at %2,%3 covers the label %4,%5 %6x%7")
                                    .arg(d.requestId)
                                    .arg(at.x())
                                    .arg(at.y())
                                    .arg(l.clientLabel.x())
                                    .arg(l.clientLabel.y())
                                    .arg(l.clientLabel.width())
                                    .arg(l.clientLabel.height())));
            if (d.route[d.at].node == Node::Client && d.progress == 0) {
                QVERIFY(l.client.contains(at));
                ++atClient;
            }
        }
        scene.advance(t + step);
    }
    QVERIFY(atClient >= 24); // each was seen waiting at the client, where the label is
}

void TestFlowView::sampledStripSaysSoAndCountsAllPicks()
{
    // Re-trial: at a high rate the strip held only the drawn requests' picks and read as the pool's
    // sequence. It says it shows 1 in N, and beside it every pick is counted (the board's Reqs).
    QList<FlowBackend> backends = threeBackends();
    backends[0].picks = 400;
    backends[1].picks = 80;
    backends[2].picks = 80;
    FlowScene scene = sceneWith(backends);
    LifecycleStream stream;
    for (quint64 id = 1; id <= 6; ++id) {
        arrive(stream, id);
        pick(stream, id, 0); // all six drawn picks went to backend-8001
    }
    LifecycleStream::Batch batch = stream.since(0);
    batch.arrived = 0;
    batch.followed = 0;
    scene.ingest(batch, 0);
    QCOMPARE(scene.pickStripLabel(), QStringLiteral("picks, oldest first: ")); // every request drawn: exact
    QCOMPARE(scene.allPicksText(), QString());
    batch.events.clear();
    batch.arrived = 560; // 560 arrived over the second, 14 of them followed: 1 in 40
    batch.followed = 14;
    scene.ingest(batch, 1000);
    QCOMPARE(scene.pickStripLabel(), QStringLiteral("showing 1 in 40 picks, oldest first: "));
    QCOMPARE(scene.pickStripText(),
             QStringLiteral("backend-8001 backend-8001 backend-8001 backend-8001 backend-8001 "
                            "backend-8001"));
    QCOMPARE(
        scene.allPicksText(),
        QStringLiteral("all picks since Reset: backend-8001\u00a0400 · backend-8002\u00a080 · backend-8003\u00a080"));
    // Paused (trial 7: 831 in the box beside the board's 1071), the counts say they are the pause's.
    QCOMPARE(scene.allPicksText(true),
             QStringLiteral("all picks since Reset, at pause: backend-8001\u00a0400 · "
                            "backend-8002\u00a080 · backend-8003\u00a080"));
    // For the eye: the proxy node with the label and the counts.
    FlowViewCanvas canvas(&scene);
    canvas.resize(900, 420);
    canvas.show();
    QVERIFY(QTest::qWaitForWindowExposed(&canvas));
    QVERIFY(canvas.grab().save(outputPath(QStringLiteral("flowview-sampled-strip.png"))));
    // The board's figures reach the cards and the counts: FlowView::backendsOf takes Reqs as picks.
    RunningLab r;
    BackendTableModel board(&r.lab);
    TestHttpConnection client;
    QVERIFY(client.connectTo(r.port()));
    QVERIFY(client.send(getRequest("/count")));
    QVERIFY(client.readResponse(5000));
    MetricsHistory history(60'000);
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            history.push(r.lab.snapshot());
            board.refresh(history);
            quint64 sum = 0;
            for (const FlowBackend& b : FlowView::backendsOf(r.lab, board))
                sum += b.picks;
            return sum == 1;
        }(),
        5000);
}

void TestFlowView::selectedDotKeepsItsOutcomeColour()
{
    FlowView view;
    view.resize(1000, 600);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    LifecycleStream stream;
    view.refresh(&stream, threeBackends()); // the first fetch: nothing to catch up
    // Two quick requests, answered before their dots reach the backend (the usual case at 1 ms).
    for (quint64 id = 1; id <= 2; ++id) {
        arrive(stream, id);
        pick(stream, id, int(id));
        answer(stream, id, int(id), 200);
    }
    FlowScene& scene = view.scene();
    const qint64 t0 = view.canvas()->nowMs();
    scene.advance(t0); // the scene's time is t0: the new dots start from there
    view.refresh(&stream, threeBackends());
    view.setPaused(true); // no frame moves them while the test looks
    scene.advance(t0 + scene.legMs() / 2);
    const FlowDot* one = scene.dot(1);
    const FlowDot* two = scene.dot(2);
    QVERIFY(one && two);
    QCOMPARE(one->at, 0); // still on the way to the proxy: not yet where the answer came from
    QCOMPARE(FlowScene::shownOutcome(*one), FlowOutcome::Pending);
    view.showDetails(1);
    QVERIFY(view.detailsText().contains(QStringLiteral("answered 200")));
    const QImage img = view.canvas()->grab().toImage();
    QVERIFY(img.save(outputPath(QStringLiteral("flowview-selected-dot.png"))));
    // The clicked dot wears what its details say (and a ring), not the in-flight blue.
    const QPoint c1 = scene.dotPosition(*one).toPoint();
    QCOMPARE(img.pixelColor(c1), FlowScene::outcomeColor(FlowOutcome::Success));
    QCOMPARE(FlowScene::dotColor(*one, true), FlowScene::outcomeColor(FlowOutcome::Success));
    // Its ring is drawn in the text colour around it, clear of the fill.
    const QPoint ring = c1 + QPoint(0, int(scene.dotRadius() + 5));
    QVERIFY(img.pixelColor(ring).lightness() < 100);
    // The others keep not telling their end before their dot gets there.
    const QPoint c2 = scene.dotPosition(*two).toPoint();
    QCOMPARE(img.pixelColor(c2), FlowScene::outcomeColor(FlowOutcome::Pending));
}

QTEST_MAIN(TestFlowView)
#include "tst_flowview.moc"
