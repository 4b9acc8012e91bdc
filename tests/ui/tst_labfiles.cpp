// The window's lab files: what File > Save writes (the Traffic tab's settings too) and the question asked
// before a changed lab is closed or replaced. The question is answered by the test (setUnsavedPrompt), so
// no dialog ever waits for a person. Offscreen.
#include "BackendPanel.h"
#include "BackendTableModel.h"
#include "MainWindow.h"
#include "ProxyPanel.h"
#include "TestHttp.h"
#include "TestLab.h"
#include "TrafficPanel.h"
#include "config/LabConfig.h"
#include "config/TlsCredentials.h"
#include "lab/Lab.h"
#include "metrics/RequestTrace.h"
#include "proxy/Proxy.h"

#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSslSocket>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace lab;
using namespace lab::test;

class TestLabFiles : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void trafficSettingsAreSavedAndReopened_data();
    void trafficSettingsAreSavedAndReopened();
    void unchangedLabAsksNothing();
    void changedLabAsksBeforeQuitting_data();
    void changedLabAsksBeforeQuitting();
    void changedLabAsksBeforeOpeningAnother();
    void anotherLabLeavesNoStaleBackendFields();
    void offscreenPromptNeverBlocks();
    void reloadAppliesTheFileLive();
    void makeCertificateWritesAUsablePair();
    void httpsButtonServesHttpsAtOnce();
};

void TestLabFiles::trafficSettingsAreSavedAndReopened_data()
{
    QTest::addColumn<int>("rate");
    QTest::newRow("200 req/s") << 200;
    QTest::newRow("7 req/s") << 7;
    QTest::newRow("max (0)") << 0;
}

// Change a Traffic field, save, reopen: the same value, in the file and in the tab.
void TestLabFiles::trafficSettingsAreSavedAndReopened()
{
    QFETCH(int, rate);
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("traffic.json"));
    {
        RunningLab r;
        MainWindow w(&r.lab);
        TrafficPanel* t = w.trafficPanel();
        t->rateBox()->setValue(rate == 200 ? 1 : 200); // a change, whatever the value before
        t->rateBox()->setValue(rate);
        t->connectionsBox()->setValue(3);
        t->usersBox()->setValue(12);
        t->thinkBox()->setValue(250);
        t->pathTemplateEdit()->setText(QStringLiteral("/item/{1..50}"));
        Q_EMIT t->pathTemplateEdit()->editingFinished();
        t->arrivalBox()->setCurrentText(QStringLiteral("poisson"));
        QCOMPARE(r.lab.config().traffic.ratePerSecond, rate); // the lab keeps it at once
        QString error;
        QVERIFY2(w.saveConfigFile(file, &error), qPrintable(error));
    }
    const LabConfigResult saved = loadLabConfig(file);
    QVERIFY2(saved.ok(), qPrintable(saved.error));
    QCOMPARE(saved.config.traffic.ratePerSecond, rate);
    QCOMPARE(saved.config.traffic.connections, 3);
    QCOMPARE(saved.config.traffic.users, 12);
    QCOMPARE(saved.config.traffic.thinkMs, 250);
    QCOMPARE(saved.config.traffic.pathTemplate, QStringLiteral("/item/{1..50}"));
    QCOMPARE(saved.config.traffic.arrival, QStringLiteral("poisson"));

    // Reopened in another window (a lab that starts with the default traffic): the tab shows the file's.
    RunningLab other;
    MainWindow w(&other.lab);
    QCOMPARE(w.trafficPanel()->rateBox()->value(), 200);
    QString error;
    LabConfig freePorts = saved.config;
    for (ListenerConfig& l : freePorts.listeners)
        l.port = 0;
    for (BackendConfig& b : freePorts.backends)
        b.port = 0;
    const QString reopened = dir.filePath(QStringLiteral("reopened.json"));
    QVERIFY(saveLabConfig(freePorts, reopened, &error));
    QVERIFY2(w.openConfigFile(reopened, &error), qPrintable(error));
    QCOMPARE(w.trafficPanel()->rateBox()->value(), rate);
    QCOMPARE(w.trafficPanel()->connectionsBox()->value(), 3);
    QCOMPARE(w.trafficPanel()->usersBox()->value(), 12);
    QCOMPARE(w.trafficPanel()->pathTemplateEdit()->text(), QStringLiteral("/item/{1..50}"));
    QCOMPARE(w.trafficPanel()->arrivalBox()->currentText(), QStringLiteral("poisson"));
    QCOMPARE(other.lab.config().traffic, saved.config.traffic);
}

void TestLabFiles::unchangedLabAsksNothing()
{
    RunningLab r;
    MainWindow w(&r.lab);
    int asked = 0;
    w.setUnsavedPrompt([&](const QString&) {
        ++asked;
        return UnsavedAnswer::Cancel;
    });
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(!w.labModified());
    QVERIFY(w.close());
    QCOMPARE(asked, 0);
}

void TestLabFiles::changedLabAsksBeforeQuitting_data()
{
    QTest::addColumn<QString>("change");
    QTest::addColumn<int>("answer");
    QTest::addColumn<bool>("closes");
    QTest::addColumn<bool>("written");
    for (const QString& change : {QStringLiteral("weight"), QStringLiteral("algorithm"), QStringLiteral("backend"),
                                  QStringLiteral("traffic")}) {
        QTest::newRow(qPrintable(change + QStringLiteral(", cancel")))
            << change << int(UnsavedAnswer::Cancel) << false << false;
        QTest::newRow(qPrintable(change + QStringLiteral(", discard")))
            << change << int(UnsavedAnswer::Discard) << true << false;
        QTest::newRow(qPrintable(change + QStringLiteral(", save")))
            << change << int(UnsavedAnswer::Save) << true << true;
    }
}

// Each kind of change makes the lab "changed"; quitting then asks, and the answer is what happens.
void TestLabFiles::changedLabAsksBeforeQuitting()
{
    QFETCH(QString, change);
    QFETCH(int, answer);
    QFETCH(bool, closes);
    QFETCH(bool, written);
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("lab.json"));
    QString error;
    QVERIFY(saveLabConfig(freePortLab(), file, &error));
    RunningLab r;
    MainWindow w(&r.lab);
    QVERIFY2(w.openConfigFile(file, &error), qPrintable(error));
    QVERIFY(!w.labModified());
    QStringList questions;
    w.setUnsavedPrompt([&](const QString& q) {
        questions << q;
        return UnsavedAnswer(answer);
    });
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));

    if (change == QLatin1String("weight")) {
        r.lab.setWeight(r.id(0), 5);
    } else if (change == QLatin1String("algorithm")) {
        QVERIFY(r.lab.setAlgorithm(QStringLiteral("least-connections"), &error));
    } else if (change == QLatin1String("backend")) {
        QVERIFY2(r.lab.addEmbeddedBackend(&error).isValid(), qPrintable(error));
    } else {
        w.trafficPanel()->connectionsBox()->setValue(w.trafficPanel()->connectionsBox()->value() + 1);
    }
    QVERIFY(w.labModified());
    const LabConfig changed = r.lab.config();

    QCOMPARE(w.close(), closes);
    QCOMPARE(questions.size(), 1);
    QVERIFY(questions.first().contains(QStringLiteral("quitting")));
    QCOMPARE(w.isVisible(), !closes);
    const LabConfigResult onDisk = loadLabConfig(file);
    QVERIFY(onDisk.ok());
    QCOMPARE(onDisk.config.algorithm == changed.algorithm && onDisk.config.backends.size() == changed.backends.size() &&
                 onDisk.config.traffic == changed.traffic &&
                 onDisk.config.backends[0].weight == changed.backends[0].weight,
             written);
    QCOMPARE(w.labModified(), !written);
}

void TestLabFiles::changedLabAsksBeforeOpeningAnother()
{
    QTemporaryDir dir;
    const QString first = dir.filePath(QStringLiteral("first.json"));
    const QString second = dir.filePath(QStringLiteral("second.json"));
    LabConfig two = freePortLab();
    two.algorithm = QStringLiteral("random");
    QString error;
    QVERIFY(saveLabConfig(freePortLab(), first, &error));
    QVERIFY(saveLabConfig(two, second, &error));
    RunningLab r;
    MainWindow w(&r.lab);
    QVERIFY2(w.openConfigFile(first, &error), qPrintable(error));
    UnsavedAnswer next = UnsavedAnswer::Cancel;
    int asked = 0;
    QString question;
    w.setUnsavedPrompt([&](const QString& q) {
        ++asked;
        question = q;
        return next;
    });
    r.lab.setWeight(r.id(1), 9);
    // Cancel: the changed lab stays, weight and all
    QVERIFY(!w.openConfigFile(second, &error));
    QCOMPARE(asked, 1);
    QVERIFY2(question.contains(QStringLiteral("second.json")), qPrintable(question)); // names the lab to open
    QCOMPARE(r.lab.config().algorithm, QStringLiteral("round-robin"));
    QCOMPARE(r.lab.backendConfig(r.id(1)).weight, 9);
    // Discard: the other lab opens, nothing asked after it
    next = UnsavedAnswer::Discard;
    QVERIFY2(w.openConfigFile(second, &error), qPrintable(error));
    QCOMPARE(asked, 2);
    QCOMPARE(r.lab.config().algorithm, QStringLiteral("random"));
    QVERIFY(!w.labModified());
    QCOMPARE(loadLabConfig(first).config.backends[1].weight, 1); // discarded, not written
    // An unchanged lab opens the next one without a question
    QVERIFY2(w.openConfigFile(first, &error), qPrintable(error));
    QCOMPARE(asked, 2);
}

// After another lab opens, the Backend tab shows nothing of the old lab's backend: the board has no
// selection, and the greyed fields hold the defaults, not the old backend's faults (trial 10: a lesson's
// "5 ms" and "/a" stayed under "Select a backend").
void TestLabFiles::anotherLabLeavesNoStaleBackendFields()
{
    QTemporaryDir dir;
    const QString faulty = dir.filePath(QStringLiteral("faulty.json"));
    const QString plain = dir.filePath(QStringLiteral("plain.json"));
    LabConfig one = freePortLab();
    FaultProfile f;
    f.latencyMs = 5;
    f.onlyPaths = {QStringLiteral("/a")};
    one.backends[0].faults = f;
    QString error;
    QVERIFY(saveLabConfig(one, faulty, &error));
    QVERIFY(saveLabConfig(freePortLab(), plain, &error));
    RunningLab r;
    MainWindow w(&r.lab);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY2(w.openConfigFile(faulty, &error), qPrintable(error));
    auto* onlyPaths = w.backendPanel()->findChild<QLineEdit*>(QStringLiteral("onlyPaths"));
    QVERIFY(onlyPaths);
    w.backendView()->setCurrentIndex(w.backendModel()->index(0, 0));
    QCOMPARE(onlyPaths->text(), QStringLiteral("/a"));
    QVERIFY2(w.openConfigFile(plain, &error), qPrintable(error));
    QVERIFY(!w.backendPanel()->backend().isValid() || w.backendView()->currentIndex().isValid());
    QCOMPARE(onlyPaths->text(), QString());
    const QList<QSpinBox*> spins = w.backendPanel()->findChildren<QSpinBox*>();
    for (QSpinBox* s : spins)
        QVERIFY2(!(s->value() == 5 && s->suffix() == QStringLiteral(" ms")), qPrintable(s->objectName()));
}

// The default prompt, on the offscreen platform the tests run on, decides by itself (Discard): a test that
// quits a changed lab without a prompt of its own finishes instead of waiting for a click.
void TestLabFiles::offscreenPromptNeverBlocks()
{
    QCOMPARE(QGuiApplication::platformName(), QStringLiteral("offscreen"));
    RunningLab r;
    MainWindow w(&r.lab);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    r.lab.setWeight(r.id(0), 3);
    QVERIFY(w.labModified());
    QVERIFY(w.close());
}

// File > Reload lab file: the edited file runs without a restart, the event view says what changed, and a
// file that does not load changes nothing.
void TestLabFiles::reloadAppliesTheFileLive()
{
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("lab.json"));
    QString error;
    QVERIFY(saveLabConfig(freePortLab(), file, &error));
    RunningLab r;
    MainWindow w(&r.lab);
    QVERIFY2(w.openConfigFile(file, &error), qPrintable(error));
    const QString second = r.lab.backendConfig(r.id(1)).name;
    const QString third = r.lab.backendConfig(r.id(2)).name;
    const quint16 port = r.port();

    LabConfig edited = loadLabConfig(file).config;
    edited.backends[1].weight = 7;
    edited.backends.removeLast();
    QVERIFY(saveLabConfig(edited, file, &error));
    QVERIFY2(w.reloadConfigFile(&error), qPrintable(error));
    const QString line = QStringLiteral("reload: %1 weight 1 → 7, -%2").arg(second, third);
    QTRY_VERIFY2(w.eventView()->toPlainText().contains(line), qPrintable(w.eventView()->toPlainText()));
    QCOMPARE(r.lab.backendConfig(r.lab.idOf(second)).weight, 7);
    QTRY_COMPARE(r.lab.backendCount(), 2);
    QCOMPARE(r.port(), port); // the proxy never stopped
    QVERIFY(!w.labModified()); // what runs is the file

    QFile bad(file);
    QVERIFY(bad.open(QIODevice::WriteOnly | QIODevice::Truncate));
    bad.write(R"({"algorithm": "fastest"})");
    bad.close();
    QVERIFY(!w.reloadConfigFile(&error));
    QVERIFY2(error.startsWith(file + QStringLiteral(": algorithm: ")), qPrintable(error));
    QCOMPARE(r.lab.backendCount(), 2);
    QCOMPARE(r.lab.config().algorithm, QStringLiteral("round-robin"));

    // The File menu with its new entries, for a look (LAB_TEST_OUTPUT_DIR/file-menu.png).
    QMenu* fileMenu = w.menuBar()->actions().first()->menu();
    QStringList entries;
    for (const QAction* a : fileMenu->actions())
        entries << a->text();
    QVERIFY(entries.contains(QStringLiteral("&Reload lab file")));
    QVERIFY(entries.contains(QStringLiteral("Make a &certificate…")));
    const QString png =
        QDir(qEnvironmentVariable("LAB_TEST_OUTPUT_DIR", QDir::tempPath())).filePath(QStringLiteral("file-menu.png"));
    QVERIFY(fileMenu->grab().save(png));
}

void TestLabFiles::makeCertificateWritesAUsablePair()
{
    QTemporaryDir dir;
    RunningLab r;
    MainWindow w(&r.lab);
    QString error;
    QVERIFY2(w.makeCertificate(dir.filePath(QStringLiteral("tls")), &error), qPrintable(error));
    TlsCredentials loaded;
    QVERIFY2(TlsCredentials::load(dir.filePath(QStringLiteral("tls/cert.pem")),
                                  dir.filePath(QStringLiteral("tls/key.pem")), &loaded, &error),
             qPrintable(error));
    QTRY_VERIFY(r.eventContains(QStringLiteral("certificate made: ")));
}

// The proxy bar's HTTPS button: one click and the lab answers HTTPS on a new loopback port, with a
// certificate a client verifies for "localhost" (what `curl --cacert` does); the HTTP listener still
// answers, a second click adds nothing, and the certificate is reused by a new window.
void TestLabFiles::httpsButtonServesHttpsAtOnce()
{
    QStandardPaths::setTestModeEnabled(true); // httpsDirectory() under ~/.qttest, not the user's own
    QDir(MainWindow::httpsDirectory()).removeRecursively();
    RunningLab r;
    MainWindow w(&r.lab);
    w.setPreferredHttpsPort(0); // any free port, as every test server
    QPushButton* button = w.proxyPanel()->httpsButton();
    QCOMPARE(button->text(), QStringLiteral("HTTPS…"));
    const qsizetype before = r.lab.config().listeners.size();
    button->click();
    QVERIFY2(r.lab.config().listeners.size() == before + 1, qPrintable(w.statusBar()->currentMessage()));
    const ListenerConfig https = r.lab.config().listeners.last();
    QCOMPARE(https.name, QStringLiteral("https"));
    QCOMPARE(https.address, QStringLiteral("127.0.0.1"));
    QCOMPARE(QFileInfo(https.tls.cert).dir().absolutePath(), QDir(MainWindow::httpsDirectory()).absolutePath());
    quint16 port = 0;
    for (const auto& p : r.lab.proxies())
        if (p->settings().tls && p->isListening())
            port = p->port();
    QVERIFY(port != 0);
    QCOMPARE(https.port, int(port)); // File > Save writes the port the curl command names
    QTRY_COMPARE(button->text(), QStringLiteral("HTTPS :%1").arg(port));
    QVERIFY(w.statusBar()->currentMessage().contains(
        QStringLiteral("curl --cacert %1 https://localhost:%2/").arg(https.tls.cert).arg(port)));

    QSslSocket s;
    QSslConfiguration c = s.sslConfiguration();
    c.setCaCertificates(QSslCertificate::fromPath(https.tls.cert)); // trusts this certificate only
    s.setSslConfiguration(c);
    s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port, QStringLiteral("localhost"));
    QVERIFY2(s.waitForEncrypted(10000), qPrintable(s.errorString()));
    s.write(getRequest("/over-https"));
    QByteArray response;
    while (!response.contains("\r\n\r\n") && s.waitForReadyRead(10000))
        response += s.readAll();
    QVERIFY2(response.startsWith("HTTP/1.1 200 "), response.constData());
    // The window's trace list and flow view read the first HTTP listener's streams: the HTTPS one writes there.
    QTRY_VERIFY([&] {
        for (const TraceEntry& e : r.lab.httpProxy()->trace().since(0))
            if (e.path == QStringLiteral("/over-https"))
                return true;
        return false;
    }());
    const std::optional<TestResponse> plain = httpGet(r.port(), "/");
    QVERIFY(plain);
    QCOMPARE(plain->status(), 200); // plain HTTP as before

    QString error;
    QVERIFY2(w.serveHttps(&error), qPrintable(error)); // again: says where, adds nothing
    QCOMPARE(r.lab.config().listeners.size(), before + 1);
    int added = 0; // one event line for the change (the window does not repeat the lab's)
    for (const LabEvent& e : r.lab.events().since(0))
        added += e.text.contains(QStringLiteral("+listener https")) ? 1 : 0;
    QCOMPARE(added, 1);

    // Stop HTTPS: the listener goes, its port closes, HTTP goes on.
    QVERIFY2(w.stopHttps(&error), qPrintable(error));
    QCOMPARE(r.lab.config().listeners.size(), before);
    QTRY_COMPARE(button->text(), QStringLiteral("HTTPS…"));
    QTcpSocket closed;
    closed.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(!closed.waitForConnected(2000));
    const std::optional<TestResponse> after = httpGet(r.port(), "/");
    QVERIFY(after);
    QCOMPARE(after->status(), 200);
    QVERIFY(!w.stopHttps(&error));
    QCOMPARE(error, QStringLiteral("no HTTPS listener to stop"));

    const QByteArray cert = [&] {
        QFile f(https.tls.cert);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }();
    RunningLab other;
    MainWindow second(&other.lab);
    second.setPreferredHttpsPort(0);
    QVERIFY2(second.serveHttps(&error), qPrintable(error));
    QFile again(other.lab.config().listeners.last().tls.cert);
    QVERIFY(again.open(QIODevice::ReadOnly));
    QCOMPARE(again.readAll(), cert); // still valid: reused, not replaced
}

QTEST_MAIN(TestLabFiles)
#include "tst_labfiles.moc"
