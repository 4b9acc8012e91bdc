// The window, offscreen: models checked by QAbstractItemModelTester, buttons clicked with QTest.
#include "AdminClient.h"
#include "AdminStatus.h"
#include "BackendPanel.h"
#include "BackendTableModel.h"
#include "ChartsPanel.h"
#include "ConsolePanel.h"
#include "HealthTimeline.h"
#include "MainWindow.h"
#include "PassiveHealthButton.h"
#include "ProxyPanel.h"
#include "TestHttp.h"
#include "TestLab.h"
#include "TraceModel.h"
#include "TrafficPanel.h"
#include "admin/AdminServer.h"
#include "backend/BackendPool.h"
#include "balancing/Registry.h"
#include "config/ConfigSchema.h"
#include "fakebackend/FakeBackend.h"
#include "lab/Lab.h"
#include "loadgen/LoadGenerator.h"
#include "proxy/Proxy.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QTranslator>

using namespace lab;
using namespace lab::test;

namespace {
QString cell(const QAbstractItemModel* m, int row, int column)
{
    return m->index(row, column).data().toString();
}

QPushButton* buttonNamed(QWidget& w, const QString& name)
{
    return w.findChild<QPushButton*>(name);
}

QString outputPath(const QString& fileName)
{
    return qEnvironmentVariable("LAB_TEST_OUTPUT_DIR", QDir::tempPath()) + QLatin1Char('/') + fileName;
}

// The default lab with a TCP relay listed before the HTTP listener, all on free ports.
LabConfig tcpThenHttpLab()
{
    LabConfig c = freePortLab();
    c.listeners.prepend(ListenerConfig{QStringLiteral("relay"), ListenerKind::Tcp, QStringLiteral("127.0.0.1"), 0, {}});
    return c;
}

// A stand-in for a translation: the window's Health texts in another language, installed for one test.
class HealthTextTranslator final : public QTranslator {
public:
    HealthTextTranslator() { QCoreApplication::installTranslator(this); }
    ~HealthTextTranslator() override { QCoreApplication::removeTranslator(this); }
    bool isEmpty() const override { return false; }
    QString translate(const char*, const char* source, const char*, int) const override
    {
        const QByteArray s(source);
        if (s == "ok")
            return QStringLiteral("bien");
        if (s == "ok · %1/%2 failed")
            return QStringLiteral("bien · %1/%2 en échec");
        if (s == "fail · %1/%2 passed")
            return QStringLiteral("échec · %1/%2 réussies");
        if (s == "off")
            return QStringLiteral("arrêt");
        return {};
    }
};
} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void statusBarNamesEachCount();
    void boardShowsBackendsAndProxiedTraffic();
    void stopOn8002RefusesAndTrafficMoves();
    void editingAWeightChangesThePool();
    void faultKnobsApplyLive();
    void capacityKnobsFillTheQueueColumn();
    void trafficTabNamesRefusedConnections();
    void anotherLabStartsTheTrafficTabEmpty();
    void drainTakesABackendOutOfRotation();
    void addAndRemoveBackends();
    void proxyControlsApplyLive();
    void rateLimitGroupAppliesOnApply();
    void breakerAndEjectionApplyOnTheNextPick();
    void consoleShowsAnsweringBackendAndAttempts();
    void trafficBurstMatchesTheBoard();
    void traceAndEventsArriveInBatches();
    void openAndSaveConfig();
    void healthStatesShowOnTheBoard();
    void everyAlgorithmSelectableUnderTraffic();
    void httpAndTcpListenersSideBySide();
    void stopDrainsASlowRequestFirst();
    void screenshotIsNotBlank();
    void statusBarNamesTheAdminPort();
    void adminPortFollowsOpenAndReload();
    void consoleTrafficAndTraceUseTheHttpListenerAfterATcpOne();
    void labWithoutHttpListenerSaysSo();
    void retryButtonNamesTheRule();
    void healthCellColourFollowsTheVerdictNotItsText();
    void healthBandsKeepEveryEjection();
    void healthTabDrawsAnEarlierEjectionToo();
    void boardAndHealthTabPaintAStateInOneColour_data();
    void boardAndHealthTabPaintAStateInOneColour();
    void windowLimitsComeFromTheConfigSchema();
    void stopProxyReturnsAtOnceWhileARequestFinishes();
};

void TestMainWindow::boardShowsBackendsAndProxiedTraffic()
{
    RunningLab r;
    MainWindow w(&r.lab);
    QAbstractItemModelTester tester(w.backendModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester traceTester(w.traceModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    BackendTableModel* m = w.backendModel();
    QCOMPARE(m->rowCount(), 3);
    QCOMPARE(cell(m, 1, BackendTableModel::Name), QStringLiteral("backend-8002"));
    QCOMPARE(cell(m, 1, BackendTableModel::State), QStringLiteral("up"));
    for (int i = 0; i < 6; ++i)
        QCOMPARE(httpGet(r.port(), "/")->status(), 200);
    // Round robin: two each, seen through the snapshot refresh, with latency percentiles.
    for (int row = 0; row < 3; ++row) {
        QTRY_COMPARE(m->index(row, BackendTableModel::Requests).data().toULongLong(), 2ULL);
        QVERIFY(m->index(row, BackendTableModel::P50).data(Qt::EditRole).toDouble() > 0);
        QVERIFY(m->index(row, BackendTableModel::P99).data(Qt::EditRole).toDouble() >=
                m->index(row, BackendTableModel::P50).data(Qt::EditRole).toDouble());
    }
    QTRY_VERIFY(w.statusText().contains(QStringLiteral("6 requests")));
    QVERIFY(w.statusText().contains(QStringLiteral("round-robin")));
    QVERIFY(!m->headerData(BackendTableModel::P99, Qt::Horizontal, Qt::ToolTipRole).toString().isEmpty());
}

void TestMainWindow::stopOn8002RefusesAndTrafficMoves()
{
    RunningLab r;
    MainWindow w(&r.lab);
    QAbstractItemModelTester tester(w.backendModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const quint16 port = r.lab.embeddedBackend(r.id(1))->port();
    QPushButton* button = buttonNamed(w, QStringLiteral("startStop-backend-8002"));
    QVERIFY(button);
    QCOMPARE(button, w.startStopButton(1));
    QCOMPARE(button->text(), QStringLiteral("Stop"));

    QTest::mouseClick(button, Qt::LeftButton);
    QVERIFY(connectionRefused(port));
    QCOMPARE(button->text(), QStringLiteral("Start"));
    BackendTableModel* m = w.backendModel();
    QTRY_COMPARE(cell(m, 1, BackendTableModel::State), QStringLiteral("stopped"));
    QCOMPARE(m->index(1, BackendTableModel::State).data(Qt::BackgroundRole).value<QBrush>().color(),
             BackendTableModel::stateColor(BackendTableModel::RowState::Stopped));
    QCOMPARE(cell(m, 0, BackendTableModel::State), QStringLiteral("up"));

    // Its traffic moves to the others: every request still gets 200, none is served by 8002.
    for (int i = 0; i < 9; ++i) {
        const auto resp = httpGet(r.port(), "/");
        QCOMPARE(resp->status(), 200);
        QVERIFY(resp->head.header("X-Served-By") != "backend-8002");
    }
    QTRY_COMPARE(m->index(0, BackendTableModel::Requests).data().toULongLong() +
                     m->index(2, BackendTableModel::Requests).data().toULongLong(),
                 9ULL);
    QTRY_VERIFY(w.eventView()->toPlainText().contains(QStringLiteral("backend-8002 stopped")));

    QTest::mouseClick(button, Qt::LeftButton);
    QCOMPARE(httpGet(port, "/health")->status(), 200);
    QTRY_COMPARE(cell(m, 1, BackendTableModel::State), QStringLiteral("up"));
    QCOMPARE(button->text(), QStringLiteral("Stop"));
}

void TestMainWindow::editingAWeightChangesThePool()
{
    RunningLab r;
    MainWindow w(&r.lab);
    QAbstractItemModelTester tester(w.backendModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    BackendTableModel* m = w.backendModel();
    const QModelIndex weight = m->index(2, BackendTableModel::Weight);
    QVERIFY(m->flags(weight) & Qt::ItemIsEditable);
    QVERIFY(!(m->flags(m->index(2, BackendTableModel::Name)) & Qt::ItemIsEditable));
    QVERIFY(m->setData(weight, 5));
    QCOMPARE(r.lab.poolBackend(r.id(2))->weight.load(), 5);
    QCOMPARE(r.lab.config().backends[2].weight, 5);
    QCOMPARE(weight.data().toInt(), 5);
    QVERIFY(!m->setData(weight, 0)); // 1..1000
    QVERIFY(!m->setData(weight, QStringLiteral("heavy")));
    QCOMPARE(r.lab.poolBackend(r.id(2))->weight.load(), 5);
}

void TestMainWindow::faultKnobsApplyLive()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.backendView()->selectRow(0);
    QCOMPARE(w.backendPanel()->backend(), r.id(0));
    auto* latency = w.backendPanel()->findChildren<QSpinBox*>().value(0);
    QVERIFY(latency);
    latency->setValue(120);
    QCOMPARE(r.lab.embeddedBackend(r.id(0))->faults().latencyMs, 120);
    QCOMPARE(r.lab.config().backends[0].faults.latencyMs, 120);
    QElapsedTimer t;
    t.start();
    QCOMPARE(httpGet(r.lab.embeddedBackend(r.id(0))->port(), "/")->status(), 200);
    QVERIFY(t.elapsed() >= 120);
    // The refuse knob closes the port; the board says so.
    QCheckBox* refuse = nullptr;
    for (QCheckBox* c : w.backendPanel()->findChildren<QCheckBox*>())
        if (c->text() == QStringLiteral("Refuse"))
            refuse = c;
    QVERIFY(refuse);
    refuse->setChecked(true);
    QVERIFY(connectionRefused(r.lab.embeddedBackend(r.id(0))->port()));
    QTRY_COMPARE(cell(w.backendModel(), 0, BackendTableModel::State), QStringLiteral("refusing"));
    refuse->setChecked(false);
    QTRY_COMPARE(cell(w.backendModel(), 0, BackendTableModel::State), QStringLiteral("up"));
}

void TestMainWindow::capacityKnobsFillTheQueueColumn()
{
    RunningLab r;
    MainWindow w(&r.lab);
    QAbstractItemModelTester tester(w.backendModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    w.resize(1366, 768);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.backendView()->selectRow(0);
    BackendPanel* panel = w.backendPanel();
    panel->findChild<QSpinBox*>(QStringLiteral("workers"))->setValue(1);
    panel->findChild<QSpinBox*>(QStringLiteral("queue"))->setValue(4);
    panel->findChild<QSpinBox*>(QStringLiteral("serviceMs"))->setValue(600);
    panel->findChild<QComboBox*>(QStringLiteral("serviceDist"))->setCurrentText(QStringLiteral("exp"));
    const FaultProfile f = r.lab.embeddedBackend(r.id(0))->faults();
    QCOMPARE(f.workers, 1);
    QCOMPARE(f.queue, 4);
    QCOMPARE(f.serviceMs, 600);
    QCOMPARE(f.serviceDist, QStringLiteral("exp"));
    QCOMPARE(r.lab.config().backends[0].faults, f); // File > Save writes what runs
    BackendTableModel* m = w.backendModel();
    QCOMPARE(cell(m, 0, BackendTableModel::Queue), QStringLiteral("0/4"));
    QCOMPARE(cell(m, 1, BackendTableModel::Queue), QStringLiteral("–")); // unlimited workers: nothing waits
    // Four requests at once on one worker: one in service, three waiting, as the board shows.
    std::vector<std::unique_ptr<TestHttpConnection>> clients;
    for (int i = 0; i < 4; ++i) {
        clients.push_back(std::make_unique<TestHttpConnection>());
        QVERIFY(clients.back()->connectTo(r.lab.embeddedBackend(r.id(0))->port()));
        QVERIFY(clients.back()->send(getRequest("/busy", "X-Lab-Cost-Ms: 3000\r\n")));
    }
    QTRY_COMPARE(cell(m, 0, BackendTableModel::Queue), QStringLiteral("3/4"));
    const MetricsSnapshot snap = r.lab.snapshot(); // headless readers see the same depth
    QCOMPARE(snap.backends.value(0).queued, 3);
    QCOMPARE(snap.backends.value(0).inService, 1);
    QCOMPARE(snap.backends.value(1).queued, 0);
    const QString tip = m->index(0, BackendTableModel::Queue).data(Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(QStringLiteral("3 waiting")) && tip.contains(QStringLiteral("1 of 1 workers busy")),
             qPrintable(tip));
    QVERIFY(w.grab().save(outputPath(QStringLiteral("queue-column.png"))));
    QVERIFY(panel->grab().save(outputPath(QStringLiteral("capacity-knobs.png"))));
    clients.clear(); // the clients leave: the waiting ones leave the line
    QTRY_COMPARE(cell(m, 0, BackendTableModel::Queue), QStringLiteral("0/4"));
}

void TestMainWindow::trafficTabNamesRefusedConnections()
{
    RunningLab r;
    MainWindow w(&r.lab);
    TrafficPanel* t = w.trafficPanel();
    t->connectionsBox()->setValue(2);
    t->rateBox()->setValue(100);
    t->durationBox()->setValue(2);
    QTest::mouseClick(t->startButton(), Qt::LeftButton);
    QTRY_VERIFY(w.generator()->totals().completed >= 10);
    r.lab.stopProxies(0); // the proxy goes away under the generator's feet
    QTRY_VERIFY_WITH_TIMEOUT(!w.generator()->isRunning(), 10'000);
    t->refresh();
    const LoadTotals totals = w.generator()->totals();
    QVERIFY(totals.refused > 0);
    const QString text = t->totalsLabel()->text();
    QVERIFY2(text.contains(QStringLiteral("connections failed")) &&
                 text.contains(QStringLiteral("%1 refused").arg(totals.refused)),
             qPrintable(text));
    QVERIFY2(!text.contains(QStringLiteral("slower than the rate")), qPrintable(text));
    w.resize(1366, 768);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(t->grab().save(outputPath(QStringLiteral("traffic-refused.png"))));
}

// A finished run's summary is the lab's it ran in: after another lab replaces it, the Traffic tab is empty
// again (it showed "finished · sent 40" of the old lab; trial 9), and the next run shows its own figures.
void TestMainWindow::anotherLabStartsTheTrafficTabEmpty()
{
    RunningLab r;
    MainWindow w(&r.lab);
    TrafficPanel* t = w.trafficPanel();
    t->connectionsBox()->setValue(2);
    t->rateBox()->setValue(40);
    t->durationBox()->setValue(1);
    QTest::mouseClick(t->startButton(), Qt::LeftButton);
    QVERIFY(waitFinished(*w.generator(), 10'000));
    t->refresh();
    QVERIFY2(t->totalsLabel()->text().contains(QStringLiteral("finished")), qPrintable(t->totalsLabel()->text()));
    QProgressBar* bar = t->findChild<QProgressBar*>();
    QVERIFY(bar);
    QCOMPARE(bar->value(), bar->maximum());

    r.lab.load(freePortLab()); // what File > Open does to the lab
    QString why;
    QVERIFY2(r.lab.start(&why), qPrintable(why));
    t->refresh();
    QCOMPARE(t->totalsLabel()->text(),
             QStringLiteral("Start a run to send requests through the proxy and watch the board and charts."));
    QCOMPARE(bar->value(), 0); // the last run's full bar is not the new lab's

    QTest::mouseClick(t->startButton(), Qt::LeftButton);
    QTRY_VERIFY(w.generator()->totals().completed >= 5);
    t->refresh();
    QVERIFY2(t->totalsLabel()->text().contains(QStringLiteral("running")), qPrintable(t->totalsLabel()->text()));
    QTest::mouseClick(t->startButton(), Qt::LeftButton); // the new lab's own traffic settings run longer: stop
    QVERIFY(waitFinished(*w.generator(), 10'000));
    t->refresh();
    QVERIFY2(t->totalsLabel()->text().contains(QStringLiteral("stopped")), qPrintable(t->totalsLabel()->text()));
}

void TestMainWindow::drainTakesABackendOutOfRotation()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.backendView()->selectRow(0);
    QCheckBox* drain = nullptr;
    for (QCheckBox* c : w.backendPanel()->findChildren<QCheckBox*>())
        if (c->text() == QStringLiteral("Drain"))
            drain = c;
    QVERIFY(drain);
    drain->setChecked(true);
    QVERIFY(r.lab.isDraining(r.id(0)));
    QTRY_COMPARE(cell(w.backendModel(), 0, BackendTableModel::State), QStringLiteral("drained"));
    for (int i = 0; i < 4; ++i)
        QVERIFY(httpGet(r.port(), "/")->head.header("X-Served-By") != "backend-8001");
    drain->setChecked(false);
    QTRY_COMPARE(cell(w.backendModel(), 0, BackendTableModel::State), QStringLiteral("up"));
}

void TestMainWindow::addAndRemoveBackends()
{
    RunningLab r;
    MainWindow w(&r.lab);
    QAbstractItemModelTester tester(w.backendModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QPushButton* add = nullptr;
    for (QPushButton* b : w.findChildren<QPushButton*>())
        if (b->text().contains(QStringLiteral("Embedded")))
            add = b;
    QVERIFY(add);
    QTest::mouseClick(add, Qt::LeftButton);
    QCOMPARE(w.backendModel()->rowCount(), 4);
    const QString name = cell(w.backendModel(), 3, BackendTableModel::Name);
    QVERIFY(name.startsWith(QStringLiteral("backend-")));
    QVERIFY(w.startStopButton(3));
    QCOMPARE(r.lab.pool()->size(), 4);
    // It takes traffic: four requests in round robin reach it once.
    int hits = 0;
    for (int i = 0; i < 4; ++i)
        hits += httpGet(r.port(), "/")->head.header("X-Served-By") == name.toUtf8();
    QCOMPARE(hits, 1);

    const BackendId external = r.lab.addExternalBackend(QStringLiteral("127.0.0.1"), 9, nullptr);
    QCOMPARE(r.lab.backendIds().indexOf(external), 4);
    QCOMPARE(w.backendModel()->idAt(4), external);
    QCOMPARE(w.backendModel()->rowCount(), 5);
    QCOMPARE(w.startStopButton(4), nullptr);
    QVERIFY(!r.lab.addExternalBackend(QStringLiteral("not-an-ip"), 80, nullptr).isValid());

    w.backendView()->selectRow(1);
    QTest::mouseClick(buttonNamed(w, QStringLiteral("removeBackend")), Qt::LeftButton);
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete); // the view deletes replaced buttons later
    QCOMPARE(w.backendModel()->rowCount(), 4);
    QVERIFY(!r.lab.idOf(QStringLiteral("backend-8002")).isValid());
    QVERIFY(!r.lab.pool()->byName(QStringLiteral("backend-8002")));
    QVERIFY(!buttonNamed(w, QStringLiteral("startStop-backend-8002")));
    QCOMPARE(cell(w.backendModel(), 1, BackendTableModel::Name), QStringLiteral("backend-8003"));
}

void TestMainWindow::proxyControlsApplyLive()
{
    RunningLab r;
    MainWindow w(&r.lab);
    QCOMPARE(w.proxyPanel()->algorithmBox()->currentText(), QStringLiteral("round-robin"));
    QVERIFY(!w.proxyPanel()->algorithmBox()->itemData(0, Qt::ToolTipRole).toString().isEmpty());
    auto spins = w.proxyPanel()->findChildren<QSpinBox*>();
    QSpinBox* retries = nullptr;
    for (QSpinBox* s : spins)
        if (s->maximum() == 10)
            retries = s;
    QVERIFY(retries);
    retries->setValue(0);
    QTest::mouseClick(w.proxyPanel()->findChildren<QPushButton*>().last(), Qt::LeftButton); // Apply
    QCOMPARE(r.lab.config().retry.retries, 0);
    QCOMPARE(r.lab.httpProxy()->settings().retries, 0);
    // With no retries a stopped backend now costs the client its request: the 502 proves the live change.
    r.lab.stopBackend(r.id(0));
    int bad = 0;
    for (int i = 0; i < 3; ++i)
        bad += httpGet(r.port(), "/")->status() == 502;
    QCOMPARE(bad, 1);

    QPushButton* startStop = buttonNamed(w, QStringLiteral("proxyStartStop"));
    QCOMPARE(startStop->text(), QStringLiteral("Stop proxy"));
    const quint16 port = r.port();
    QTest::mouseClick(startStop, Qt::LeftButton);
    QVERIFY(connectionRefused(port)); // closed before the click returned
    // The stop is asynchronous: the button says so until the proxies report they are done.
    QTRY_COMPARE(startStop->text(), QStringLiteral("Start proxy"));
    QTest::mouseClick(startStop, Qt::LeftButton);
    QCOMPARE(httpGet(r.port(), "/health")->status(), 200);
}

// The proxy bar's rate limit waits for Apply like the retries, then refuses the client's second request.
void TestMainWindow::rateLimitGroupAppliesOnApply()
{
    RunningLab r;
    MainWindow w(&r.lab);
    auto* rps = w.proxyPanel()->findChild<QSpinBox*>(QStringLiteral("rateLimitRps"));
    auto* burst = w.proxyPanel()->findChild<QSpinBox*>(QStringLiteral("burst"));
    QVERIFY(rps && burst);
    QCOMPARE(rps->text(), QStringLiteral("off"));
    QVERIFY(!w.proxyPanel()->hasPendingChanges());
    rps->setValue(1);
    burst->setValue(1);
    QVERIFY(w.proxyPanel()->hasPendingChanges());
    QCOMPARE(r.lab.config().rateLimit.requestsPerSecond, 0.0); // not before Apply
    QCOMPARE(httpGet(r.port(), "/")->status(), 200);
    QCOMPARE(httpGet(r.port(), "/")->status(), 200);
    const quint64 before = r.lab.events().lastSequence();
    QTest::mouseClick(w.proxyPanel()->applyButton(), Qt::LeftButton);
    QCOMPARE(r.lab.config().rateLimit.requestsPerSecond, 1.0);
    QCOMPARE(r.lab.config().rateLimit.burst, 1);
    QVERIFY(!w.proxyPanel()->hasPendingChanges());
    bool logged = false;
    for (const LabEvent& e : r.lab.events().since(before))
        logged = logged || e.text.contains(QStringLiteral("rate limit: 1 requests/s per client, burst 1"));
    QVERIFY(logged);
    QCOMPARE(httpGet(r.port(), "/")->status(), 200);
    const auto refused = httpGet(r.port(), "/");
    QCOMPARE(refused->status(), 429);
    QVERIFY(!refused->head.header("Retry-After").isEmpty());
}

// Re-trial: outlier ejection and the circuit breaker were config-only. The proxy bar edits every key (its
// tooltip names the config key, its range is the schema's); Apply sends them and the next pick uses them.
void TestMainWindow::breakerAndEjectionApplyOnTheNextPick()
{
    RunningLab r;
    MainWindow w(&r.lab);
    auto* passive = w.proxyPanel()->findChild<PassiveHealthButton*>(QStringLiteral("passiveHealth"));
    QVERIFY(passive);
    QCOMPARE(passive->text(), QStringLiteral("eject after 5 · breaker at 50%"));
    const QList<QSpinBox*> spins = passive->form()->findChildren<QSpinBox*>();
    QCOMPARE(spins.size(), qsizetype(9));
    for (const QSpinBox* s : spins) {
        const QString key = s->objectName();
        QVERIFY2(s->toolTip().contains(QStringLiteral("Config key: ") + key), qPrintable(key));
        QVERIFY2(key.startsWith(QLatin1String("outlierDetection.")) || key.startsWith(QLatin1String("circuitBreaker.")),
                 qPrintable(key));
    }
    for (const QCheckBox* c : passive->form()->findChildren<QCheckBox*>())
        QVERIFY2(c->toolTip().contains(QStringLiteral("Config key: ") + c->objectName()), qPrintable(c->objectName()));
    auto spin = [passive](const char* key) {
        return passive->form()->findChild<QSpinBox*>(QLatin1String(key));
    };
    QSpinBox* failures = spin("outlierDetection.consecutiveFailures");
    QSpinBox* percent = spin("circuitBreaker.failurePercent");
    QVERIFY(failures && percent);
    QCOMPARE(failures->minimum(), schema::rangeOf(&OutlierConfig::consecutiveFailures).min);
    QCOMPARE(failures->maximum(), schema::rangeOf(&OutlierConfig::consecutiveFailures).max);
    QCOMPARE(percent->maximum(), schema::rangeOf(&BreakerConfig::failurePercent).max);
    auto* breaker = passive->form()->findChild<QCheckBox*>(QStringLiteral("circuitBreaker.enabled"));
    QVERIFY(breaker && breaker->isChecked());

    // backend 0 answers 500 to everything; one failure ejects it once applied.
    FaultProfile f = r.lab.embeddedBackend(r.id(0))->faults();
    f.errorRatePercent = 100;
    r.lab.setFaults(r.id(0), f);
    QVERIFY(!w.proxyPanel()->hasPendingChanges());
    failures->setValue(1);
    breaker->setChecked(false);
    QVERIFY(w.proxyPanel()->hasPendingChanges());
    QCOMPARE(r.lab.config().outlier.consecutiveFailures, 5); // not before Apply
    QCOMPARE(passive->text(), QStringLiteral("eject after 1 · no breaker"));
    const quint64 before = r.lab.events().lastSequence();
    QTest::mouseClick(w.proxyPanel()->applyButton(), Qt::LeftButton);
    QCOMPARE(r.lab.config().outlier.consecutiveFailures, 1);
    QVERIFY(!r.lab.config().breaker.enabled);
    QVERIFY(!w.proxyPanel()->hasPendingChanges());
    bool logged = false;
    for (const LabEvent& e : r.lab.events().since(before))
        logged = logged || e.text.contains(QStringLiteral("after 1 failures in a row"));
    QVERIFY(logged);
    // Round robin over three: 9 requests would reach backend 0 three times; ejected after its first 500,
    // it gets no second one.
    int errors = 0;
    for (int i = 0; i < 9; ++i) {
        const auto response = httpGet(r.port(), "/");
        QVERIFY(response);
        errors += response->status() >= 500 ? 1 : 0;
    }
    QCOMPARE(errors, 1);
    // A value outside the schema is refused with its key.
    QString error;
    OutlierConfig bad = r.lab.config().outlier;
    bad.maxEjectionPercent = 101;
    QVERIFY(!r.lab.setPassiveHealth(bad, r.lab.config().breaker, &error));
    QVERIFY2(error.contains(QStringLiteral("outlierDetection.maxEjectionPercent")), qPrintable(error));
}

void TestMainWindow::consoleShowsAnsweringBackendAndAttempts()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    r.lab.stopBackend(r.id(0)); // the console's first pick is refused: the attempts chain shows the failover
    ConsolePanel* c = w.consolePanel();
    c->methodBox()->setCurrentText(QStringLiteral("POST"));
    c->pathEdit()->setText(QStringLiteral("/orders"));
    c->bodyEdit()->setPlainText(QStringLiteral("mydata=123"));
    QSignalSpy answered(c, &ConsolePanel::answered);
    QTest::mouseClick(c->sendButton(), Qt::LeftButton);
    QVERIFY(answered.wait(10000));
    QVERIFY2(c->resultLabel()->text().contains(QStringLiteral("200")), qPrintable(c->resultLabel()->text()));
    const QString response = c->responseView()->toPlainText();
    QVERIFY(response.contains(QStringLiteral("mydata=123")));
    const qsizetype at = response.indexOf(QStringLiteral("X-Served-By: "));
    QVERIFY(at > 0);
    const QString servedBy = response.mid(at + 13, response.indexOf(QLatin1Char('\n'), at) - at - 13);
    QVERIFY(servedBy == QStringLiteral("backend-8002") || servedBy == QStringLiteral("backend-8003"));
    QVERIFY(c->resultLabel()->text().contains(servedBy));
    QVERIFY2(
        c->attemptsLabel()->text().contains(QStringLiteral("backend-8001: connection refused → %1: 200").arg(servedBy)),
        qPrintable(c->attemptsLabel()->text()));

    // A bad header line is refused before anything is sent.
    c->findChildren<QPlainTextEdit*>().first()->setPlainText(QStringLiteral("no colon here"));
    QTest::mouseClick(c->sendButton(), Qt::LeftButton);
    QVERIFY(c->resultLabel()->text().contains(QStringLiteral("Not sent")));
}

void TestMainWindow::trafficBurstMatchesTheBoard()
{
    RunningLab r;
    MainWindow w(&r.lab);
    QAbstractItemModelTester tester(w.backendModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    TrafficPanel* t = w.trafficPanel();
    t->connectionsBox()->setValue(4);
    t->rateBox()->setValue(0);
    t->durationBox()->setValue(20);
    t->maxRequestsBox()->setValue(300);
    QSignalSpy finished(w.generator(), &LoadGenerator::finished);
    QTest::mouseClick(t->startButton(), Qt::LeftButton);
    QVERIFY(w.generator()->isRunning() || finished.size() == 1);
    QTRY_VERIFY_WITH_TIMEOUT(!w.generator()->isRunning(), 20000);
    const LoadTotals totals = w.generator()->totals();
    QCOMPARE(totals.sent, 300ULL);
    QCOMPARE(totals.completed, 300ULL);
    QCOMPARE(totals.byClass[2], 300ULL);
    QCOMPARE(totals.socketErrors, 0ULL);
    // The board counts what the proxy sent each backend: the same as what the generator was told.
    BackendTableModel* m = w.backendModel();
    for (int row = 0; row < 3; ++row)
        QTRY_COMPARE(m->index(row, BackendTableModel::Requests).data().toULongLong(),
                     totals.byBackend.value(cell(m, row, BackendTableModel::Name)));
    quint64 sum = 0;
    for (int row = 0; row < 3; ++row)
        sum += m->index(row, BackendTableModel::Requests).data().toULongLong();
    QCOMPARE(sum, 300ULL);
    QCOMPARE(totals.byBackend.value(QStringLiteral("backend-8001")), 100ULL);
    t->refresh();
    auto* totalsLabel = t->findChild<QLabel*>(QStringLiteral("trafficTotals"));
    QVERIFY(totalsLabel->text().contains(QStringLiteral("answered 300")));
    // It ended by itself (its request count): "finished".
    QVERIFY(!totals.stoppedByUser);
    QVERIFY2(totalsLabel->text().startsWith(QStringLiteral("<b>finished</b>")), qPrintable(totalsLabel->text()));
    // The charts picked the traffic up too.
    QTRY_VERIFY(w.chartsPanel()->shares().value(QStringLiteral("backend-8003")) == 100);

    // Stopped by the button before its end: "stopped", not "finished" (trial 9).
    t->rateBox()->setValue(50);
    t->maxRequestsBox()->setValue(0);
    QTest::mouseClick(t->startButton(), Qt::LeftButton);
    QTRY_VERIFY(w.generator()->totals().sent > 5);
    QTest::mouseClick(t->startButton(), Qt::LeftButton); // Stop
    QTRY_VERIFY_WITH_TIMEOUT(!w.generator()->isRunning(), 10000);
    QVERIFY(w.generator()->totals().stoppedByUser);
    t->refresh();
    QVERIFY2(totalsLabel->text().startsWith(QStringLiteral("<b>stopped</b>")), qPrintable(totalsLabel->text()));
}

void TestMainWindow::traceAndEventsArriveInBatches()
{
    RunningLab r;
    MainWindow w(&r.lab);
    QAbstractItemModelTester traceTester(w.traceModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    r.lab.stopBackend(r.id(1));
    for (int i = 0; i < 3; ++i)
        QCOMPARE(httpGet(r.port(), "/trace-me")->status(), 200);
    QTRY_COMPARE(w.traceModel()->rowCount(), 3);
    bool sawFailover = false;
    for (int row = 0; row < 3; ++row) {
        QCOMPARE(cell(w.traceModel(), row, TraceModel::Path), QStringLiteral("/trace-me"));
        sawFailover |= cell(w.traceModel(), row, TraceModel::Attempts)
                           .contains(QStringLiteral("backend-8002: connection refused → "));
    }
    QVERIFY(sawFailover);
    QTRY_VERIFY(w.eventView()->toPlainText().contains(QStringLiteral("failover")));
    // The trace model stays bounded.
    QList<TraceEntry> many;
    for (int i = 0; i < TraceModel::kMaxRows + 50; ++i) {
        TraceEntry e;
        e.sequence = w.traceModel()->lastSequence() + 1 + quint64(i);
        e.path = QStringLiteral("/%1").arg(i);
        many << e;
    }
    w.traceModel()->append(many);
    QCOMPARE(w.traceModel()->rowCount(), TraceModel::kMaxRows);
    QCOMPARE(cell(w.traceModel(), TraceModel::kMaxRows - 1, TraceModel::Path),
             QStringLiteral("/%1").arg(TraceModel::kMaxRows + 49));
}

void TestMainWindow::openAndSaveConfig()
{
    RunningLab r;
    MainWindow w(&r.lab);
    QAbstractItemModelTester tester(w.backendModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTemporaryDir dir;
    r.lab.setWeight(r.id(0), 7);
    const QString file = dir.filePath(QStringLiteral("saved.json"));
    QVERIFY(w.saveConfigFile(file));
    const LabConfigResult saved = loadLabConfig(file);
    QVERIFY(saved.ok());
    QCOMPARE(saved.config.backends[0].weight, 7);

    // A two-backend lab replaces the running one.
    LabConfig two = freePortLab();
    two.backends.removeLast();
    const QString twoFile = dir.filePath(QStringLiteral("two.json"));
    QVERIFY(saveLabConfig(two, twoFile, nullptr));
    QVERIFY(w.openConfigFile(twoFile));
    QCOMPARE(w.backendModel()->rowCount(), 2);
    QVERIFY(r.lab.httpProxy()->isListening());
    QCOMPARE(httpGet(r.port(), "/")->status(), 200);

    QFile bad(dir.filePath(QStringLiteral("bad.json")));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write(R"({"algorithm": "fastest"})");
    bad.close();
    QString error;
    QVERIFY(!w.openConfigFile(bad.fileName(), &error));
    QVERIFY2(error.contains(QStringLiteral("bad.json")) && error.contains(QStringLiteral("algorithm")),
             qPrintable(error));
    QCOMPARE(w.backendModel()->rowCount(), 2); // nothing was lost

    // A lab the window starts with (balancer-lab --config, or reopened) is in Open recent at once; a
    // learner saw the menu greyed out after four labs opened that way.
    QSettings().setValue(QStringLiteral("files/recent"), QStringList());
    QSettings().setValue(QStringLiteral("files/current"), twoFile);
    MainWindow second(&r.lab);
    QMenu* recent = nullptr;
    for (QMenu* m : second.findChildren<QMenu*>())
        recent = m->title().contains(QStringLiteral("recent")) ? m : recent;
    QVERIFY(recent);
    QVERIFY(recent->isEnabled());
    QStringList entries;
    for (QAction* a : recent->actions())
        entries << a->text();
    QVERIFY2(entries.join(QLatin1Char('|')).contains(QStringLiteral("two.json")),
             qPrintable(entries.join(QLatin1Char('|'))));
}

void TestMainWindow::healthStatesShowOnTheBoard()
{
    RunningLab r;
    HealthConfig fast = r.lab.config().health;
    fast.intervalMs = 100;
    fast.timeoutMs = 300;
    r.lab.setHealthDefaults(fast);
    MainWindow w(&r.lab);
    QAbstractItemModelTester tester(w.backendModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    BackendTableModel* m = w.backendModel();
    QTRY_COMPARE(cell(m, 2, BackendTableModel::Health), QStringLiteral("ok"));
    FaultProfile f;
    f.healthFails = true;
    r.lab.setFaults(r.id(2), f);
    QTRY_VERIFY_WITH_TIMEOUT(cell(m, 2, BackendTableModel::State) == QStringLiteral("unhealthy"), 3000);
    QVERIFY(cell(m, 2, BackendTableModel::Health).startsWith(QStringLiteral("fail")));
    QVERIFY(
        m->index(2, BackendTableModel::Health).data(Qt::ToolTipRole).toString().contains(QStringLiteral("status 503")));
    QTRY_VERIFY(
        w.eventView()->toPlainText().contains(QStringLiteral("backend-8003 DOWN: 3 consecutive probe failures")));
    // The Health tab draws the lanes.
    w.resize(1366, 740);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.tabs()->setCurrentIndex(4);
    QCOMPARE(w.tabs()->tabText(4), QStringLiteral("Health"));
    QWidget* timeline = w.findChild<QWidget*>(QStringLiteral("healthTimeline"));
    QVERIFY(timeline && timeline->isVisible());
    const QImage img = timeline->grab().toImage();
    QVERIFY(img.save(qEnvironmentVariable("LAB_TEST_OUTPUT_DIR", QDir::tempPath()) +
                     QStringLiteral("/health-timeline.png")));
    int red = 0;
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x)
            red += img.pixelColor(x, y) == QColor(0xd6, 0x27, 0x28); // failed-probe ticks
    QVERIFY(red > 0);
    r.lab.setFaults(r.id(2), {});
    QTRY_VERIFY_WITH_TIMEOUT(cell(m, 2, BackendTableModel::State) == QStringLiteral("up"), 3000);
}

void TestMainWindow::everyAlgorithmSelectableUnderTraffic()
{
    RunningLab r;
    MainWindow w(&r.lab);
    QComboBox* box = w.proxyPanel()->algorithmBox();
    QCOMPARE(box->count(), int(algorithmNames().size()));
    for (int i = 0; i < box->count(); ++i) { // exactly the registry, in its order, with its summaries
        QCOMPARE(box->itemData(i).toString(), algorithmNames()[i]);
        QCOMPARE(box->itemData(i, Qt::ToolTipRole).toString(), algorithmSummary(algorithmNames()[i]));
    }
    const QLineEdit* hashKeyField = w.proxyPanel()->findChild<QLineEdit*>(QStringLiteral("hashKey"));
    TrafficPanel* t = w.trafficPanel();
    t->connectionsBox()->setValue(4);
    t->rateBox()->setValue(300);
    t->durationBox()->setValue(4);
    QTest::mouseClick(t->startButton(), Qt::LeftButton);
    QVERIFY(w.generator()->isRunning());
    for (int i = 0; i < box->count(); ++i) {
        QVERIFY(!box->itemData(i, Qt::ToolTipRole).toString().isEmpty());
        box->setCurrentIndex(i);
        Q_EMIT box->activated(i); // what a user's choice emits
        QCOMPARE(r.lab.pool()->algorithm(), box->itemData(i).toString());
        // The key field is live only for the algorithms that hash one.
        QCOMPARE(hashKeyField->isEnabled(), algorithmUsesHashKey(box->itemData(i).toString()));
        QTest::qWait(150);
    }
    QTRY_VERIFY_WITH_TIMEOUT(!w.generator()->isRunning(), 10000);
    const LoadTotals totals = w.generator()->totals();
    QVERIFY(totals.completed > 100);
    QCOMPARE(totals.socketErrors, 0ULL);
    QCOMPARE(totals.byClass[2], totals.completed);
    // The sticky switch and the hash key go to the lab.
    w.proxyPanel()->findChild<QCheckBox*>(QStringLiteral("sticky"))->setChecked(true);
    QVERIFY(r.lab.config().sticky.enabled);
    QVERIFY(httpGet(r.port(), "/")->head.header("Set-Cookie").startsWith("LABSRV="));
    QVERIFY(r.lab.setHashKey(QStringLiteral("header:X-User"), nullptr));
    QCOMPARE(w.proxyPanel()->findChild<QLineEdit*>(QStringLiteral("hashKey"))->text(), QStringLiteral("header:X-User"));
    QVERIFY(!r.lab.setHashKey(QStringLiteral("body"), nullptr));
}

void TestMainWindow::httpAndTcpListenersSideBySide()
{
    LabConfigResult example = loadLabConfig(QStringLiteral(LAB_SOURCE_DIR "/docs/examples/http-and-tcp.json"));
    QVERIFY2(example.ok(), qPrintable(example.error));
    LabConfig c = example.config;
    for (ListenerConfig& l : c.listeners)
        l.port = 0;
    for (BackendConfig& b : c.backends)
        b.port = 0;
    Lab lab(c);
    QVERIFY(lab.startEmbeddedBackends(nullptr) && lab.startProxies(nullptr));
    MainWindow w(&lab);
    QCOMPARE(lab.proxies().size(), size_t(2));
    const quint16 tcpPort = lab.proxies()[1]->port();
    QVERIFY(lab.proxies()[1]->settings().kind == ListenerKind::Tcp);
    // HTTP spoken through the TCP listener is relayed as bytes: the backend answers it.
    const auto resp = httpGet(tcpPort, "/through-tcp");
    QVERIFY(resp);
    QCOMPARE(resp->status(), 200);
    QVERIFY(!resp->head.hasHeader("X-Served-By")); // layer 4 adds nothing
    QTRY_VERIFY(w.statusText().contains(QStringLiteral("tcp 127.0.0.1:%1").arg(tcpPort)));
    QVERIFY(w.statusText().contains(QStringLiteral("http 127.0.0.1:")));
    quint64 relayed = 0;
    QTRY_VERIFY((relayed = lab.snapshot().listener.connections) >= 1);
    QCOMPARE(w.backendModel()->headerData(BackendTableModel::Rate, Qt::Horizontal).toString(), QStringLiteral("Req/s"));
}

void TestMainWindow::stopDrainsASlowRequestFirst()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    FaultProfile slow;
    slow.latencyMs = 1200;
    r.lab.setFaults(r.id(0), slow);
    TestHttpConnection c;
    QVERIFY(c.connectTo(r.port()));
    QVERIFY(c.send(getRequest("/slow"))); // round robin starts at backend-8001
    QTRY_COMPARE(r.lab.poolBackend(r.id(0))->activeRequests.load(), 1);
    QPushButton* stop = w.startStopButton(0);
    QTest::mouseClick(stop, Qt::LeftButton);
    QCOMPARE(stop->text(), QStringLiteral("Stopping…"));
    QTRY_COMPARE(cell(w.backendModel(), 0, BackendTableModel::State), QStringLiteral("stopping"));
    const auto resp = c.readResponse(5000);
    QVERIFY(resp);
    QCOMPARE(resp->status(), 200); // the request in flight finished
    QTRY_COMPARE(stop->text(), QStringLiteral("Start"));
    QVERIFY(connectionRefused(r.lab.embeddedBackend(r.id(0))->port()));
    QTRY_COMPARE(cell(w.backendModel(), 0, BackendTableModel::State), QStringLiteral("stopped"));
}

// The window always runs the admin API (issue 17) on a free loopback port, and its status bar names the port
// the server really listens on.
void TestMainWindow::statusBarNamesTheAdminPort()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.resize(1366, 740);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const AdminStatus* status = w.findChild<AdminStatus*>(QStringLiteral("adminStatus"));
    QVERIFY(status);
    QVERIFY(status->server().isListening());
    QVERIFY(status->server().address().isLoopback());
    const quint16 port = status->server().port();
    QCOMPARE(status->text(), QStringLiteral("admin :%1").arg(port));
    QVERIFY(status->isVisible());
    QVERIFY(status->toolTip().contains(QStringLiteral("http://127.0.0.1:%1").arg(port)));
    const std::optional<TestResponse> state = adminCall(port, "GET", "/api/state");
    QVERIFY(state);
    QCOMPARE(state->status(), 200);
    QCOMPARE(state->json().value(QStringLiteral("backends")).toArray().size(), 3);
    // a drain through the API shows on the board
    QVERIFY(adminCall(port, "POST", "/api/backends/backend-8002/drain", "application/json"));
    QTRY_COMPARE(cell(w.backendModel(), 1, BackendTableModel::State), QStringLiteral("drained"));
    QVERIFY(w.grab().save(outputPath(QStringLiteral("admin-status.png"))));
}

// File > Open of a lab whose "admin" section names a port moves the API there and the status bar says so;
// File > Reload of a changed section moves it again (and the reload's event says it); a lab without the
// section gets a free loopback port, also named.
void TestMainWindow::adminPortFollowsOpenAndReload()
{
    const auto freePort = [] {
        QTcpServer probe;
        probe.listen(QHostAddress::LocalHost, 0);
        return int(probe.serverPort());
    };
    const auto names = [](const AdminStatus* status, int port) {
        return status->text() == QStringLiteral("admin :%1").arg(port) && status->server().port() == port &&
            status->toolTip().contains(QStringLiteral("http://127.0.0.1:%1").arg(port));
    };
    RunningLab r;
    MainWindow w(&r.lab);
    w.resize(1366, 740);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const AdminStatus* status = w.findChild<AdminStatus*>(QStringLiteral("adminStatus"));
    QVERIFY(status);
    const int first = status->server().port();
    QVERIFY(names(status, first));

    QTemporaryDir dir;
    QString error;
    LabConfig withAdmin = freePortLab();
    withAdmin.admin = {true, QStringLiteral("127.0.0.1"), freePort()};
    const QString file = dir.filePath(QStringLiteral("admin.json"));
    QVERIFY2(saveLabConfig(withAdmin, file, &error), qPrintable(error));
    QVERIFY2(w.openConfigFile(file, &error), qPrintable(error));
    QVERIFY2(names(status, withAdmin.admin.port), qPrintable(status->text()));
    QVERIFY(connectionRefused(quint16(first)));
    std::optional<TestResponse> state = adminCall(quint16(withAdmin.admin.port), "GET", "/api/state");
    QVERIFY(state && state->status() == 200);

    LabConfig moved = withAdmin;
    moved.admin.port = freePort();
    QVERIFY2(saveLabConfig(moved, file, &error), qPrintable(error));
    QVERIFY2(w.reloadConfigFile(&error), qPrintable(error));
    QVERIFY2(names(status, moved.admin.port), qPrintable(status->text()));
    QVERIFY(connectionRefused(quint16(withAdmin.admin.port)));
    QVERIFY(r.eventContains(
        QStringLiteral("reload: admin 127.0.0.1:%1 → 127.0.0.1:%2").arg(withAdmin.admin.port).arg(moved.admin.port)));
    state = adminCall(quint16(moved.admin.port), "GET", "/api/state");
    QVERIFY(state && state->status() == 200);

    const QString plainFile = dir.filePath(QStringLiteral("plain.json"));
    QVERIFY2(saveLabConfig(freePortLab(), plainFile, &error), qPrintable(error));
    QVERIFY2(w.openConfigFile(plainFile, &error), qPrintable(error));
    QVERIFY(status->server().isListening());
    QVERIFY(status->server().address().isLoopback());
    QVERIFY(int(status->server().port()) != moved.admin.port);
    QVERIFY2(names(status, status->server().port()), qPrintable(status->text()));
    QVERIFY(connectionRefused(quint16(moved.admin.port)));
    QVERIFY2(w.statusText().endsWith(QStringLiteral(" · plain.json")), qPrintable(w.statusText()));
    QVERIFY(w.grab().save(outputPath(QStringLiteral("admin-status-after-open.png"))));
}

void TestMainWindow::screenshotIsNotBlank()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.resize(1366, 740);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    for (int i = 0; i < 30; ++i)
        QVERIFY(httpGet(r.port(), "/"));
    QTest::qWait(1200); // a few chart samples
    const QImage img = w.grab().toImage();
    const QString dir = qEnvironmentVariable("LAB_TEST_OUTPUT_DIR", QDir::tempPath());
    QVERIFY(img.save(dir + QStringLiteral("/mainwindow.png")));
    QSet<QRgb> colours;
    for (int y = 0; y < img.height(); y += 7)
        for (int x = 0; x < img.width(); x += 7)
            colours.insert(img.pixel(x, y));
    QVERIFY2(colours.size() > 10, "the window rendered (almost) one colour");
    QCOMPARE(img.width(), 1366); // nothing in it asks for more than a 1366 px screen
    // The same window on a 1920x1080 screen: the splitters hand out the extra room.
    w.resize(1920, 1050);
    QTest::qWait(600);
    QVERIFY(w.grab().save(dir + QStringLiteral("/mainwindow-1080.png")));
    QVERIFY(w.backendView()->width() > 1100);
}

void TestMainWindow::consoleTrafficAndTraceUseTheHttpListenerAfterATcpOne()
{
    RunningLab r(tcpThenHttpLab());
    QCOMPARE(r.lab.proxies().size(), size_t(2));
    QVERIFY(r.lab.proxies()[0]->settings().kind == ListenerKind::Tcp);
    Proxy* http = r.lab.httpProxy();
    QVERIFY(http && http->settings().kind == ListenerKind::Http);
    const quint16 tcpPort = r.lab.proxies()[0]->port();
    MainWindow w(&r.lab);
    w.resize(1366, 740);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));

    // The proxy bar shows the HTTP listener, not the relay listed first.
    QCOMPARE(w.proxyPanel()->findChild<QSpinBox*>(QStringLiteral("listenerPort"))->value(), int(http->port()));
    QTRY_VERIFY(w.statusText().contains(QStringLiteral("http 127.0.0.1:%1").arg(http->port())));
    QVERIFY(w.statusText().contains(QStringLiteral("tcp 127.0.0.1:%1").arg(tcpPort)));
    QVERIFY(!w.statusText().contains(QStringLiteral("no HTTP listener")));

    // The console goes through the HTTP proxy: a backend's name and the attempts from the proxy's trace.
    w.tabs()->setCurrentIndex(2);
    ConsolePanel* c = w.consolePanel();
    c->pathEdit()->setText(QStringLiteral("/via-http"));
    QSignalSpy answered(c, &ConsolePanel::answered);
    QTest::mouseClick(c->sendButton(), Qt::LeftButton);
    QVERIFY(answered.wait(10000));
    QVERIFY2(c->resultLabel()->text().contains(QStringLiteral("served by <b>backend-")),
             qPrintable(c->resultLabel()->text()));
    QVERIFY2(c->attemptsLabel()->text().contains(QStringLiteral(": 200")), qPrintable(c->attemptsLabel()->text()));
    QVERIFY(!c->attemptsLabel()->text().contains(QStringLiteral("not in the proxy's trace")));
    QVERIFY(w.grab().save(outputPath(QStringLiteral("tcp-then-http-console.png"))));

    // The trace tab reads the HTTP proxy's trace.
    QTRY_VERIFY(w.traceModel()->rowCount() >= 1);

    // The traffic generator aims at the HTTP listener: every answer names its backend.
    TrafficPanel* t = w.trafficPanel();
    t->connectionsBox()->setValue(2);
    t->rateBox()->setValue(0);
    t->durationBox()->setValue(5);
    t->maxRequestsBox()->setValue(12);
    QTest::mouseClick(t->startButton(), Qt::LeftButton);
    QVERIFY(waitFinished(*w.generator(), 10000));
    const LoadTotals totals = w.generator()->totals();
    QCOMPARE(totals.completed, 12ULL);
    quint64 named = 0;
    for (quint64 n : totals.byBackend)
        named += n;
    QCOMPARE(named, 12ULL);
}

void TestMainWindow::labWithoutHttpListenerSaysSo()
{
    LabConfig c = freePortLab();
    c.listeners = {ListenerConfig{QStringLiteral("relay"), ListenerKind::Tcp, QStringLiteral("127.0.0.1"), 0, {}}};
    RunningLab r(c);
    QVERIFY(!r.lab.httpProxy());
    MainWindow w(&r.lab);
    w.resize(1366, 740);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.tabs()->setCurrentIndex(2);
    ConsolePanel* console = w.consolePanel();
    QVERIFY(!console->sendButton()->isEnabled());
    QVERIFY2(console->resultLabel()->text().contains(QStringLiteral("No HTTP listener")),
             qPrintable(console->resultLabel()->text()));
    QVERIFY(!w.trafficPanel()->startButton()->isEnabled());
    QVERIFY(w.trafficPanel()
                ->findChild<QLabel*>(QStringLiteral("trafficTotals"))
                ->text()
                .contains(QStringLiteral("No HTTP listener")));
    QTRY_VERIFY(w.statusText().contains(QStringLiteral("no HTTP listener")));
    // The explanation wraps: it must not make the window wider than a 1366 px screen (a learner saw the
    // board's columns and the Stop buttons pushed off-screen, and the width saved for the next run).
    QVERIFY2(w.minimumSizeHint().width() <= 1366, qPrintable(QString::number(w.minimumSizeHint().width())));
    QCOMPARE(w.width(), 1366);
    // The proxy bar has no HTTP address to edit, but still starts and stops the relay.
    auto* address = w.proxyPanel()->findChild<QLineEdit*>(QStringLiteral("listenerAddress"));
    QVERIFY(!address->isEnabled());
    QVERIFY(address->text().isEmpty());
    QCOMPARE(address->placeholderText(), QStringLiteral("no HTTP"));
    QPushButton* startStop = buttonNamed(w, QStringLiteral("proxyStartStop"));
    QVERIFY(startStop->isEnabled());
    QCOMPARE(startStop->text(), QStringLiteral("Stop proxy"));
    QVERIFY(w.grab().save(outputPath(QStringLiteral("tcp-only-lab.png"))));
    // Retries still apply to a lab without an HTTP listener (there is no listener address to check).
    RetryConfig retry = r.lab.config().retry;
    retry.retries = 1;
    QString error;
    QVERIFY2(r.lab.setProxyOptions(retry, r.lab.config().timeouts, ListenerConfig{}, &error), qPrintable(error));
    QCOMPARE(r.lab.config().retry.retries, 1);
}

// The proxy bar's retry button says which backends a retry avoids, the default rule too, and follows a
// change made elsewhere (a lesson's retry step goes through the same setProxyOptions).
void TestMainWindow::retryButtonNamesTheRule()
{
    RunningLab r;
    MainWindow w(&r.lab);
    auto* button = w.proxyPanel()->findChild<QToolButton*>(QStringLiteral("retryOn"));
    QVERIFY(button);
    QCOMPARE(r.lab.config().retry.avoid, QStringLiteral("tried"));
    QCOMPARE(button->text(), QStringLiteral("connect, timeout · avoid tried"));
    RetryConfig retry = r.lab.config().retry;
    retry.avoid = QStringLiteral("previous");
    retry.retryOn << QStringLiteral("404");
    ListenerConfig http = r.lab.config().listeners.first(); // the listener as it is: only the retry changes
    QCOMPARE(http.kind, ListenerKind::Http);
    QString error;
    QVERIFY2(r.lab.setProxyOptions(retry, r.lab.config().timeouts, http, &error), qPrintable(error));
    QTRY_COMPARE(button->text(), QStringLiteral("connect, timeout, 404 · avoid previous"));
}

void TestMainWindow::healthCellColourFollowsTheVerdictNotItsText()
{
    const HealthTextTranslator translator;
    RunningLab r;
    HealthConfig fast = r.lab.config().health;
    fast.intervalMs = 100;
    fast.timeoutMs = 300;
    r.lab.setHealthDefaults(fast);
    MainWindow w(&r.lab);
    BackendTableModel* m = w.backendModel();
    const QModelIndex health = m->index(2, BackendTableModel::Health);
    QTRY_COMPARE(health.data().toString(), QStringLiteral("bien"));
    QCOMPARE(health.data(BackendTableModel::HealthVerdictRole).toInt(), int(BackendTableModel::HealthVerdict::Passing));
    QVERIFY2(!health.data(Qt::BackgroundRole).isValid(), "a passing backend's Health cell is not painted as failing");
    FaultProfile f;
    f.healthFails = true;
    r.lab.setFaults(r.id(2), f);
    QTRY_VERIFY_WITH_TIMEOUT(health.data().toString().startsWith(QStringLiteral("échec")), 3000);
    QCOMPARE(health.data(BackendTableModel::HealthVerdictRole).toInt(), int(BackendTableModel::HealthVerdict::Failing));
    QCOMPARE(health.data(Qt::BackgroundRole).value<QBrush>().color(),
             BackendTableModel::healthColor(BackendTableModel::HealthVerdict::Failing));
    QVERIFY(!m->index(1, BackendTableModel::Health).data(Qt::BackgroundRole).isValid());
    w.resize(1366, 740);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(w.backendView()->grab().save(outputPath(QStringLiteral("health-cells-translated.png"))));
    r.lab.setFaults(r.id(2), {});
}

void TestMainWindow::healthBandsKeepEveryEjection()
{
    using K = HealthMark::Kind;
    using B = HealthBand::Kind;
    // Ejected, its time up at 40 s but the pool not yet round to writing Returned, ejected again at 45 s.
    const std::vector<HealthMark> raced{{10'000, K::Ejected}, {45'000, K::Ejected}, {90'000, K::Returned}};
    QCOMPARE(HealthTimeline::bands(raced, 100'000, 0, 0),
             (std::vector<HealthBand>{{B::Ejected, 10'000, 45'000}, {B::Ejected, 45'000, 90'000}}));
    // Two ejections, each with its Returned.
    const std::vector<HealthMark> two{
        {10'000, K::Ejected}, {40'000, K::Returned}, {50'000, K::Ejected}, {80'000, K::Returned}};
    QCOMPARE(HealthTimeline::bands(two, 100'000, 0, 0),
             (std::vector<HealthBand>{{B::Ejected, 10'000, 40'000}, {B::Ejected, 50'000, 80'000}}));
    // One still running ends at its deadline or now, whichever is first.
    const std::vector<HealthMark> open{{10'000, K::Ejected}, {40'000, K::Returned}, {90'000, K::Ejected}};
    QCOMPARE(HealthTimeline::bands(open, 100'000, 95'000, 0),
             (std::vector<HealthBand>{{B::Ejected, 10'000, 40'000}, {B::Ejected, 90'000, 95'000}}));
    // Breaker, probes and slow start, drawn taller bands first.
    const std::vector<HealthMark> mixed{
        {1'000, K::Down}, {2'000, K::BreakerOpen}, {3'000, K::BreakerHalfOpen}, {4'000, K::BreakerOpen},
        {5'000, K::Up},   {6'000, K::SlowStart},   {7'000, K::BreakerHalfOpen}, {8'000, K::BreakerClosed}};
    QCOMPARE(HealthTimeline::bands(mixed, 10'000, 0, 500),
             (std::vector<HealthBand>{{B::Down, 1'000, 5'000},
                                      {B::CircuitOpen, 2'000, 3'000},
                                      {B::CircuitOpen, 4'000, 7'000},
                                      {B::HalfOpen, 3'000, 4'000},
                                      {B::HalfOpen, 7'000, 8'000},
                                      {B::SlowStart, 6'000, 6'500}}));
}

void TestMainWindow::healthTabDrawsAnEarlierEjectionToo()
{
    // External backends, never started: the timeline holds only the marks written here.
    LabConfig c = freePortLab();
    c.listeners.clear();
    c.backends = {BackendConfig{QStringLiteral("far-a"), QStringLiteral("127.0.0.1"), 1, 1, false, {}, {}},
                  BackendConfig{QStringLiteral("far-b"), QStringLiteral("127.0.0.1"), 2, 1, false, {}, {}},
                  BackendConfig{QStringLiteral("far-c"), QStringLiteral("127.0.0.1"), 3, 1, false, {}, {}}};
    Lab lab(c);
    const BackendPtr b = lab.poolBackend(backendAt(lab, 0));
    QVERIFY(b);
    const qint64 now = steadyNowMs();
    b->mark(HealthMark::Kind::Ejected, now - 50'000); // over at -40 s; Returned not written yet ...
    b->mark(HealthMark::Kind::Ejected, now - 20'000); // ... when it is ejected again
    b->mark(HealthMark::Kind::Returned, now - 10'000);
    // What the pool writes since it marks a missed end on the next ejection: two separate bands.
    const BackendPtr second = lab.poolBackend(backendAt(lab, 1));
    second->mark(HealthMark::Kind::Ejected, now - 50'000);
    second->mark(HealthMark::Kind::Returned, now - 40'000);
    second->mark(HealthMark::Kind::Ejected, now - 20'000);
    second->mark(HealthMark::Kind::Returned, now - 10'000);
    // Ejected again 8 ms after the first ejection ended (seen in a learner's trial): far less than a
    // pixel apart, yet two ejections, so two bands.
    const BackendPtr third = lab.poolBackend(backendAt(lab, 2));
    third->mark(HealthMark::Kind::Ejected, now - 50'000);
    third->mark(HealthMark::Kind::Returned, now - 30'008);
    third->mark(HealthMark::Kind::Ejected, now - 30'000);
    third->mark(HealthMark::Kind::Returned, now - 10'000);
    MainWindow w(&lab);
    w.resize(1366, 740);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.tabs()->setCurrentIndex(4);
    auto* timeline = w.findChild<HealthTimeline*>(QStringLiteral("healthTimeline"));
    QVERIFY(timeline && timeline->isVisible());
    // The timeline paints at the pool's clock when grabbed, which is later than `now` by the window's
    // start-up (about a second on a loaded machine: 5 px here); the x of a mark counts from the paint.
    const qint64 paintedAt = lab.pool()->now();
    const QImage img = timeline->grab().toImage();
    QVERIFY(img.save(outputPath(QStringLiteral("health-two-ejections.png"))));
    // Lane 0 spans y 4..28, the ejected band its lower half; the span is 60 s (the oldest mark is 50 s old).
    const int y = 4 + 18;
    const int left = 110;
    const int width = img.width() - left - 6;
    const double late = double(paintedAt - now) / 1000.0;
    auto xAt = [&](int secondsAgo) {
        return left + int((60 - secondsAgo - late) * width / 60.0);
    };
    const QColor ejected = HealthTimeline::bandColor(HealthBand::Kind::Ejected);
    QCOMPARE(img.pixelColor(xAt(35), y), ejected); // the first ejection
    QCOMPARE(img.pixelColor(xAt(15), y), ejected); // the second
    QVERIFY(img.pixelColor(xAt(5), y) != ejected); // back since -10 s
    QVERIFY(img.pixelColor(xAt(55), y) != ejected);
    const int y1 = y + 30; // lane 1
    QCOMPARE(img.pixelColor(xAt(45), y1), ejected);
    QVERIFY(img.pixelColor(xAt(30), y1) != ejected);
    QCOMPARE(img.pixelColor(xAt(15), y1), ejected);
    const int y2 = y1 + 30; // lane 2
    QCOMPARE(img.pixelColor(xAt(40), y2), ejected);
    QCOMPARE(img.pixelColor(xAt(20), y2), ejected);
    int gapColumns = 0;
    for (int x = xAt(30) - 3; x <= xAt(30) + 3; ++x)
        gapColumns += img.pixelColor(x, y2) != ejected ? 1 : 0;
    QVERIFY2(gapColumns >= 1, "two ejections 8 ms apart drawn as one band");
}

void TestMainWindow::boardAndHealthTabPaintAStateInOneColour_data()
{
    using State = BackendTableModel::RowState;
    using Band = HealthBand::Kind;
    QTest::addColumn<QColor>("board");
    QTest::addColumn<QColor>("healthTab");
    QTest::newRow("down") << BackendTableModel::stateColor(State::Down) << HealthTimeline::bandColor(Band::Down);
    QTest::newRow("unhealthy") << BackendTableModel::stateColor(State::Unhealthy)
                               << HealthTimeline::bandColor(Band::Down);
    QTest::newRow("failing probes") << BackendTableModel::healthColor(BackendTableModel::HealthVerdict::Failing)
                                    << HealthTimeline::bandColor(Band::Down);
    QTest::newRow("ejected") << BackendTableModel::stateColor(State::Ejected)
                             << HealthTimeline::bandColor(Band::Ejected);
    QTest::newRow("circuit open") << BackendTableModel::stateColor(State::CircuitOpen)
                                  << HealthTimeline::bandColor(Band::CircuitOpen);
    QTest::newRow("half-open") << BackendTableModel::stateColor(State::HalfOpen)
                               << HealthTimeline::bandColor(Band::HalfOpen);
    QTest::newRow("slow start") << BackendTableModel::stateColor(State::SlowStart)
                                << HealthTimeline::bandColor(Band::SlowStart);
}

void TestMainWindow::boardAndHealthTabPaintAStateInOneColour()
{
    QFETCH(QColor, board);
    QFETCH(QColor, healthTab);
    QVERIFY(board.isValid());
    QCOMPARE(board, healthTab);
}

// The window offers what the config allows: each spin box for a setting has the schema's range, and the
// board's weight editor too (a weight the window accepts is one a saved lab loads with).
void TestMainWindow::windowLimitsComeFromTheConfigSchema()
{
    RunningLab r;
    MainWindow w(&r.lab);
    auto checkSpin = [](QWidget* panel, const QString& objectName, const schema::Range& range) {
        auto* box = panel->findChild<QSpinBox*>(objectName);
        QVERIFY2(box, qPrintable(objectName));
        QCOMPARE(box->minimum(), range.min);
        QCOMPARE(box->maximum(), range.max);
    };
    checkSpin(w.backendPanel(), QStringLiteral("intervalMs"), schema::rangeOf(&HealthConfig::intervalMs));
    checkSpin(w.backendPanel(), QStringLiteral("timeoutMs"), schema::rangeOf(&HealthConfig::timeoutMs));
    checkSpin(w.backendPanel(), QStringLiteral("rise"), schema::rangeOf(&HealthConfig::rise));
    checkSpin(w.backendPanel(), QStringLiteral("fall"), schema::rangeOf(&HealthConfig::fall));
    checkSpin(w.backendPanel(), QStringLiteral("latencyMs"), schema::rangeOf(&FaultProfile::latencyMs));
    checkSpin(w.backendPanel(), QStringLiteral("jitterMs"), schema::rangeOf(&FaultProfile::jitterMs));
    checkSpin(w.backendPanel(), QStringLiteral("capacity"), schema::rangeOf(&FaultProfile::capacity));
    checkSpin(w.backendPanel(), QStringLiteral("workers"), schema::rangeOf(&FaultProfile::workers));
    checkSpin(w.backendPanel(), QStringLiteral("queue"), schema::rangeOf(&FaultProfile::queue));
    checkSpin(w.backendPanel(), QStringLiteral("serviceMs"), schema::rangeOf(&FaultProfile::serviceMs));
    checkSpin(w.proxyPanel(), QStringLiteral("listenerPort"), schema::rangeOf(&ListenerConfig::port));
    checkSpin(w.proxyPanel(), QStringLiteral("retries"), schema::rangeOf(&RetryConfig::retries));
    checkSpin(w.proxyPanel(), QStringLiteral("rateLimitRps"), schema::rangeOf(&RateLimitConfig::requestsPerSecond));
    checkSpin(w.proxyPanel(), QStringLiteral("burst"), schema::rangeOf(&RateLimitConfig::burst));
    checkSpin(w.proxyPanel(), QStringLiteral("connectMs"), schema::rangeOf(&TimeoutsConfig::connectMs));
    checkSpin(w.proxyPanel(), QStringLiteral("upstreamResponseMs"),
              schema::rangeOf(&TimeoutsConfig::upstreamResponseMs));
    if (QTest::currentTestFailed())
        return;

    const schema::Range weights = schema::rangeOf(&BackendConfig::weight);
    auto* board = w.findChild<QTableView*>(QStringLiteral("board"));
    QVERIFY(board);
    const QModelIndex weight = board->model()->index(0, BackendTableModel::Weight);
    QVERIFY(
        weight.data(Qt::ToolTipRole).toString().contains(QStringLiteral("(%1-%2)").arg(weights.min).arg(weights.max)));
    board->edit(weight);
    QSpinBox* editor = nullptr;
    for (QSpinBox* box : board->viewport()->findChildren<QSpinBox*>())
        editor = box;
    QVERIFY(editor);
    QCOMPARE(editor->minimum(), weights.min);
    QCOMPARE(editor->maximum(), weights.max);
}

// Stop proxy with a 1 s request in flight: the click returns to the event loop at once (the listener is
// already closed), the request still gets its 200, and only then does the lab say the proxies stopped.
void TestMainWindow::stopProxyReturnsAtOnceWhileARequestFinishes()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    FaultProfile slow;
    slow.latencyMs = 1000;
    r.lab.setFaults(r.id(0), slow);
    TestHttpConnection c;
    QVERIFY(c.connectTo(r.port()));
    QVERIFY(c.send(getRequest("/slow"))); // round robin starts at backend-8001
    QTRY_COMPARE(r.lab.httpProxy()->activeExchanges(), 1);
    QSignalSpy stopped(&r.lab, &Lab::proxiesStopped);
    QPushButton* startStop = buttonNamed(w, QStringLiteral("proxyStartStop"));
    QCOMPARE(startStop->text(), QStringLiteral("Stop proxy"));
    const quint16 port = r.port();

    QElapsedTimer t;
    t.start();
    QTest::mouseClick(startStop, Qt::LeftButton);
    const qint64 clickMs = t.elapsed();
    QVERIFY2(clickMs < 50, qPrintable(QStringLiteral("Stop proxy blocked the GUI thread for %1 ms").arg(clickMs)));
    QVERIFY(connectionRefused(port));
    QCOMPARE(startStop->text(), QStringLiteral("Stopping…"));
    QVERIFY(!startStop->isEnabled());
    QVERIFY(r.lab.proxiesStopping());
    w.refresh();
    QVERIFY2(w.statusText().startsWith(QStringLiteral("http stopping: 1 in flight finishing")),
             qPrintable(w.statusText()));
    QCOMPARE(cell(w.backendModel(), 0, BackendTableModel::Active), QStringLiteral("1"));
    w.grab().save(outputPath(QStringLiteral("proxy-stopping.png")));
    QCOMPARE(stopped.size(), 0);

    const auto resp = c.readResponse(5000);
    QVERIFY(resp);
    QCOMPARE(resp->status(), 200); // the request in flight finished
    QTRY_COMPARE(stopped.size(), 1);
    qInfo("Stop proxy: the click returned in %lld ms; the proxies stopped %lld ms after it", clickMs, t.elapsed());
    QCOMPARE(startStop->text(), QStringLiteral("Start proxy"));
    QVERIFY(startStop->isEnabled());
    QVERIFY(!r.lab.proxiesStopping());
    QVERIFY(r.eventContains(QStringLiteral("proxy stopped (port %1 closed)").arg(port)));
    w.refresh();
    QVERIFY2(w.statusText().startsWith(QStringLiteral("http stopped")), qPrintable(w.statusText()));
}

void TestMainWindow::statusBarNamesEachCount()
{
    TrafficStats l;
    l.requests = 1;
    l.responsesByClass[5] = 3; // two from backends, one 503 the proxy wrote
    l.answeredByProxy5xx = 1;
    l.responsesByClass[0] = 1;
    l.rateLimited = 4;
    l.answeredByProxy = 5;
    l.responsesByClass[4] = 7; // the proxy's four 429s and three 404s from backends
    l.activeConnections = 0;
    MetricsSnapshot latest;
    for (int n : {15, 15, 14}) {
        BackendStats b;
        b.traffic.activeConnections = n; // idle keep-alive the proxy holds after the traffic stopped
        latest.backends << b;
    }
    const QString text = MainWindow::trafficStatusText(l, latest, 0);
    QCOMPARE(
        text,
        QStringLiteral(
            "1 request · 0 req/s (last second) · 5xx from backends 2 · 4xx from backends 3 · failed (no response) 1 · "
            "answered by the proxy 5 (5xx 1, 429 rate-limited 4) · client connections 0 · to backends 44"));
    l.requests = 2;
    QVERIFY(MainWindow::trafficStatusText(l, latest, 0).startsWith(QStringLiteral("2 requests · ")));
    const QString tip = MainWindow::trafficStatusTip();
    for (const char* term : {"5xx from backends", "4xx from backends", "failed (no response)", "answered by the proxy",
                             "429", "The board's Err counts attempts", "keep-alive"})
        QVERIFY2(tip.contains(QLatin1String(term)), term);
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
