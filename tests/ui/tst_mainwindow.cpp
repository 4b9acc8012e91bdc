#include "BackendTableModel.h"
#include "MainWindow.h"
#include "TestHttp.h"
#include "backends/FakeBackend.h"
#include "lab/Lab.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QPushButton>
#include <QTest>

using namespace lab;
using namespace lab::test;

namespace {
// The default lab, but on free ports so tests never collide with anything.
LabConfig testLab()
{
    LabConfig c = LabConfig::defaultLab();
    c.listeners[0].port = 0;
    for (BackendConfig& b : c.backends)
        b.port = 0;
    return c;
}
} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void boardShowsBackends();
    void stopAndStartButtons();
    void screenshotIsNotBlank();
};

void TestMainWindow::boardShowsBackends()
{
    Lab lab(testLab());
    QVERIFY(lab.startEmbeddedBackends(nullptr));
    MainWindow w(&lab);
    QAbstractItemModelTester tester(w.backendModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    BackendTableModel* m = w.backendModel();
    QCOMPARE(m->rowCount(), 3);
    QCOMPARE(m->index(1, BackendTableModel::Name).data().toString(), QStringLiteral("backend-8002"));
    QCOMPARE(m->index(1, BackendTableModel::State).data().toString(), QStringLiteral("up"));
    // Traffic shows up in the Requests column through the snapshot refresh.
    QVERIFY(httpGet(lab.embeddedBackend(0)->port(), "/"));
    QTRY_COMPARE(m->index(0, BackendTableModel::Requests).data().toULongLong(), 1ULL);
}

void TestMainWindow::stopAndStartButtons()
{
    Lab lab(testLab());
    QVERIFY(lab.startEmbeddedBackends(nullptr));
    MainWindow w(&lab);
    QAbstractItemModelTester tester(w.backendModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const quint16 port = lab.embeddedBackend(1)->port();
    QPushButton* button = w.findChild<QPushButton*>(QStringLiteral("startStop-backend-8002"));
    QVERIFY(button);
    QCOMPARE(button->text(), QStringLiteral("Stop"));

    QTest::mouseClick(button, Qt::LeftButton);
    QVERIFY(connectionRefused(port));
    QCOMPARE(button->text(), QStringLiteral("Start"));
    QTRY_COMPARE(w.backendModel()->index(1, BackendTableModel::State).data().toString(), QStringLiteral("stopped"));
    QCOMPARE(w.backendModel()->index(0, BackendTableModel::State).data().toString(), QStringLiteral("up"));

    QTest::mouseClick(button, Qt::LeftButton);
    QCOMPARE(httpGet(port, "/health")->status(), 200);
    QTRY_COMPARE(w.backendModel()->index(1, BackendTableModel::State).data().toString(), QStringLiteral("up"));
    QCOMPARE(button->text(), QStringLiteral("Stop"));
}

void TestMainWindow::screenshotIsNotBlank()
{
    Lab lab(testLab());
    QVERIFY(lab.startEmbeddedBackends(nullptr));
    MainWindow w(&lab);
    w.resize(1100, 640);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const QImage img = w.grab().toImage();
    const QString dir = qEnvironmentVariable("LAB_TEST_OUTPUT_DIR", QDir::tempPath());
    QVERIFY(img.save(dir + QStringLiteral("/mainwindow.png")));
    QSet<QRgb> colours;
    for (int y = 0; y < img.height(); y += 7)
        for (int x = 0; x < img.width(); x += 7)
            colours.insert(img.pixel(x, y));
    QVERIFY2(colours.size() > 10, "the window rendered (almost) one colour");
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
