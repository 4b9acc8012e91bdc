// The board (BackendTableModel) maps its rows to BackendIds, as qBittorrent's transfer list maps rows to
// torrent ids: rows come and go by the id's row, and everything the window does to a row goes to the lab
// by that row's id. Offscreen, with QAbstractItemModelTester on.
#include "BackendPanel.h"
#include "BackendTableModel.h"
#include "MainWindow.h"
#include "TestHttp.h"
#include "TestLab.h"
#include "fakebackend/FakeBackend.h"
#include "health/ActiveHealthChecker.h"
#include "lab/Lab.h"
#include "metrics/EventLog.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTest>

using namespace lab;
using namespace lab::test;

namespace {
QString cell(const QAbstractItemModel* m, int row, int column)
{
    return m->index(row, column).data().toString();
}
} // namespace

class TestBoard : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void boardKeepsRowsWhenAMiddleBackendGoesAndAnotherComes();
    void stoppedBackendsHealthReadsStopped();
    void columnsFitAt1024Wide_data();
    void columnsFitAt1024Wide();
    void queueFullEjectionNamesItsCause();
    void backendTabTellsCapacityModelFromFaults();
};

namespace {
// Where a test's pictures go, to be looked at.
QString outputPath(const QString& name)
{
    const QString dir = qEnvironmentVariable("LAB_TEST_OUTPUT_DIR", QDir::tempPath());
    return QDir(dir).filePath(name);
}
} // namespace

// The board maps rows to ids: a backend removed from the middle takes its own row with it, the one added
// lands at the end, and a later change to a backend (by id) shows on that backend's row, not on the row it
// used to have.
void TestBoard::boardKeepsRowsWhenAMiddleBackendGoesAndAnotherComes()
{
    RunningLab r;
    MainWindow w(&r.lab);
    QAbstractItemModelTester tester(w.backendModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    BackendTableModel* m = w.backendModel();
    const BackendId first = r.id(0);
    const BackendId middle = r.id(1);
    const BackendId last = r.id(2);
    QCOMPARE(m->idAt(1), middle);
    QSignalSpy removed(m, &QAbstractItemModel::rowsRemoved);
    QSignalSpy inserted(m, &QAbstractItemModel::rowsInserted);

    r.lab.removeBackend(middle);
    QCOMPARE(removed.size(), 1);
    QCOMPARE(removed[0][1].toInt(), 1); // the middle row went, not the last one
    QCOMPARE(removed[0][2].toInt(), 1);
    QString error;
    const BackendId added = r.lab.addEmbeddedBackend(&error);
    QVERIFY2(added.isValid(), qPrintable(error));
    QCOMPARE(inserted.size(), 1);
    QCOMPARE(inserted[0][1].toInt(), 2);
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete); // the view deletes replaced buttons later

    const QList<BackendId> expected{first, last, added};
    QCOMPARE(m->rowCount(), 3);
    for (int row = 0; row < 3; ++row) {
        QCOMPARE(m->idAt(row), expected[row]);
        QCOMPARE(m->rowOf(expected[row]), row);
        QCOMPARE(cell(m, row, BackendTableModel::Name), r.lab.backendConfig(expected[row]).name);
    }
    QCOMPARE(cell(m, 1, BackendTableModel::Name), QStringLiteral("backend-8003"));
    QCOMPARE(m->rowOf(middle), -1);
    QVERIFY(!m->idAt(3).isValid());
    // The removed id stays dead: the lab never hands it out again.
    QVERIFY(!r.lab.hasBackend(middle));
    QVERIFY(!(added == middle));

    // A change by id lands on its row.
    r.lab.setWeight(last, 7);
    QCOMPARE(m->index(1, BackendTableModel::Weight).data().toInt(), 7);
    QCOMPARE(m->index(2, BackendTableModel::Weight).data().toInt(), 1);
    // The second row's button belongs to backend-8003 and stops that one only.
    QPushButton* stop = w.startStopButton(1);
    QVERIFY(stop);
    QCOMPARE(stop->objectName(), QStringLiteral("startStop-backend-8003"));
    QTest::mouseClick(stop, Qt::LeftButton);
    QVERIFY(!r.lab.embeddedBackend(last)->isStarted());
    QVERIFY(r.lab.embeddedBackend(first)->isStarted() && r.lab.embeddedBackend(added)->isStarted());
    QTRY_COMPARE(cell(m, 1, BackendTableModel::State), QStringLiteral("stopped"));
    QCOMPARE(cell(m, 0, BackendTableModel::State), QStringLiteral("up"));
    QCOMPARE(cell(m, 2, BackendTableModel::State), QStringLiteral("up"));
    // The backend panel follows the selected row's id.
    w.backendView()->selectRow(2);
    QCOMPARE(w.backendPanel()->backend(), added);
    r.lab.removeBackend(first);
    QCOMPARE(w.backendPanel()->backend(), added); // still selected, one row up
    QCOMPARE(m->rowOf(added), 1);
}

// A stopped backend's Health cell says stopped, then what the probes found so far (not "ok · 1/3 failed").
void TestBoard::stoppedBackendsHealthReadsStopped()
{
    RunningLab r;
    HealthConfig fast = r.lab.config().health;
    fast.intervalMs = 100;
    fast.timeoutMs = 100;
    fast.fall = 30; // a long way to "fail": the whole test runs while the probes still say up
    r.lab.setHealthDefaults(fast);
    MainWindow w(&r.lab);
    BackendTableModel* m = w.backendModel();
    QTRY_COMPARE(cell(m, 1, BackendTableModel::Health), QStringLiteral("ok"));
    r.lab.stopBackend(r.id(1));
    const QString name = r.lab.backendConfig(r.id(1)).name;
    QTRY_VERIFY(r.lab.healthChecker()->status(name)->failuresInARow >= 1); // what used to read "ok · 1/30 failed"
    m->refresh(MetricsHistory());
    QCOMPARE(cell(m, 1, BackendTableModel::State), QStringLiteral("stopped"));
    const QString health = cell(m, 1, BackendTableModel::Health);
    QVERIFY2(health.startsWith(QStringLiteral("stopped · probes: ")) && health.endsWith(QStringLiteral("/30 failed")),
             qPrintable(health));
    QVERIFY(
        m->index(1, BackendTableModel::Health).data(Qt::ToolTipRole).toString().startsWith(QStringLiteral("Stopped")));
    QCOMPARE(cell(m, 0, BackendTableModel::Health), QStringLiteral("ok")); // the others are untouched
    QString error;
    QVERIFY2(r.lab.startBackend(r.id(1), &error), qPrintable(error));
    m->refresh(MetricsHistory());
    QVERIFY(!cell(m, 1, BackendTableModel::Health).startsWith(QStringLiteral("stopped")));

    // With fall = 2 the probes count it down soon after the stop, and the cell says so.
    fast.fall = 2;
    r.lab.setHealthDefaults(fast);
    QTRY_COMPARE(cell(m, 1, BackendTableModel::Health), QStringLiteral("ok"));
    r.lab.stopBackend(r.id(1));
    QTRY_VERIFY(!r.lab.healthChecker()->status(name)->up);
    m->refresh(MetricsHistory());
    QCOMPARE(cell(m, 1, BackendTableModel::Health), QStringLiteral("stopped · probes: down"));
}

void TestBoard::columnsFitAt1024Wide_data()
{
    QTest::addColumn<QSize>("size");
    QTest::addColumn<int>("extraBackends");
    QTest::newRow("1024x768, 3 backends") << QSize(1024, 768) << 0;
    QTest::newRow("1024x768, 4 backends") << QSize(1024, 768) << 1;
    QTest::newRow("1280x720, 3 backends") << QSize(1280, 720) << 0;
}

// The board fits its window: no sideways scrolling at 1024 px, every name readable in full (or elided in
// the middle with the full name in the tooltip), the Start/Stop button whole.
void TestBoard::columnsFitAt1024Wide()
{
    QFETCH(QSize, size);
    QFETCH(int, extraBackends);
    RunningLab r;
    for (int i = 0; i < extraBackends; ++i) {
        QString error;
        QVERIFY2(r.lab.addEmbeddedBackend(&error).isValid(), qPrintable(error));
    }
    MainWindow w(&r.lab);
    w.resize(size);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.refresh();
    QTableView* board = w.backendView();
    QCoreApplication::processEvents();
    QTRY_COMPARE(board->horizontalScrollBar()->maximum(), 0);
    QCOMPARE(board->textElideMode(), Qt::ElideMiddle);
    const QFontMetrics fm(board->font());
    const int nameWidth = board->columnWidth(BackendTableModel::Name);
    QVERIFY2(nameWidth >= fm.horizontalAdvance(QStringLiteral("backend-8001")) + 8,
             qPrintable(QStringLiteral("Name column %1 px").arg(nameWidth)));
    int total = 0;
    for (int c = 0; c < BackendTableModel::ColumnCount; ++c)
        total += board->isColumnHidden(c) ? 0 : board->columnWidth(c);
    QVERIFY2(total <= board->viewport()->width(),
             qPrintable(QStringLiteral("%1 px of columns in %2 px").arg(total).arg(board->viewport()->width())));
    // The full name is a tooltip away, whatever the width.
    const QModelIndex name = w.backendModel()->index(0, BackendTableModel::Name);
    QVERIFY(name.data(Qt::ToolTipRole).toString().contains(r.lab.backendConfig(r.id(0)).name));
    QPushButton* button = w.startStopButton(0);
    QVERIFY(button);
    QVERIFY2(button->width() >= button->fontMetrics().horizontalAdvance(button->text()) + 8,
             qPrintable(QStringLiteral("a %1 px button for '%2'").arg(button->width()).arg(button->text())));
    QVERIFY(board->grab().save(
        outputPath(QStringLiteral("board-%1x%2-%3.png").arg(size.width()).arg(size.height()).arg(3 + extraBackends))));
}

// Queue-full 503s eject a capacity-limited backend: the board's State tooltip and the event log say so in
// those words, so a learner sees overload behind the ejection, not a broken backend.
void TestBoard::queueFullEjectionNamesItsCause()
{
    RunningLab r;
    const BackendId slow = r.id(0);
    FaultProfile f = r.lab.embeddedBackend(slow)->faults();
    f.workers = 1;
    f.queue = 0;
    f.serviceMs = 800; // one request holds the only worker; the ones behind it find the queue full
    r.lab.setFaults(slow, f);
    MainWindow w(&r.lab);
    // 30 at once, round robin: 10 reach the slow backend, 9 of them while its worker is busy.
    std::vector<std::unique_ptr<TestHttpConnection>> clients;
    for (int i = 0; i < 30; ++i) {
        auto c = std::make_unique<TestHttpConnection>();
        QVERIFY(c->connectTo(r.port()));
        QVERIFY(c->send(getRequest("/burst")));
        clients.push_back(std::move(c));
    }
    int queueFull = 0;
    for (auto& c : clients) {
        const auto resp = c->readResponse();
        QVERIFY(resp);
        queueFull += resp->status() == 503 ? 1 : 0;
    }
    QVERIFY2(queueFull >= 5, qPrintable(QString::number(queueFull)));
    BackendTableModel* m = w.backendModel();
    QTRY_COMPARE(cell(m, 0, BackendTableModel::State), QStringLiteral("ejected"));
    const QString tip = m->index(0, BackendTableModel::State).data(Qt::ToolTipRole).toString();
    QVERIFY2(tip.startsWith(QStringLiteral("ejected: 5 consecutive 5xx (queue full)")), qPrintable(tip));
    // The tooltip names the lab file's real key (trial 7: "outlier", a key the schema does not have), and
    // passing probes beside "ejected" say whose verdict took it out (trial 7: a bare "probes ok").
    QVERIFY2(tip.contains(QStringLiteral("\"outlierDetection\" (consecutiveFailures")), qPrintable(tip));
    const QString health = cell(m, 0, BackendTableModel::Health);
    QVERIFY2(!health.startsWith(QStringLiteral("probes ok")) ||
                 health == QStringLiteral("probes ok · passive: ejected"),
             qPrintable(health));
    QVERIFY(r.eventContains(QStringLiteral("EJECTED for 30 s: 5 consecutive 5xx (queue full); ejection #1")));
}

// The Backend tab keeps the capacity model (workers, queue, service time) apart from the faults, the
// request cap among the faults, each field saying what it does and in which unit.
void TestBoard::backendTabTellsCapacityModelFromFaults()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.backendView()->selectRow(0);
    BackendPanel* panel = w.backendPanel();
    QCOMPARE(panel->backend(), r.id(0));
    QStringList labels;
    for (const QLabel* l : panel->findChildren<QLabel*>())
        labels << l->text();
    QVERIFY(labels.contains(QStringLiteral("<b>Capacity model</b>: requests wait for a worker")));
    QVERIFY(labels.contains(QStringLiteral("<b>Faults</b>: what goes wrong, whatever the load")));
    QVERIFY(labels.contains(QStringLiteral("Refuse above")));
    QVERIFY(!labels.contains(QStringLiteral("Capacity"))); // the word that meant two things is gone
    const auto* cap = panel->findChild<QSpinBox*>(QStringLiteral("capacity"));
    const auto* workers = panel->findChild<QSpinBox*>(QStringLiteral("workers"));
    const auto* queue = panel->findChild<QSpinBox*>(QStringLiteral("queue"));
    const auto* service = panel->findChild<QSpinBox*>(QStringLiteral("serviceMs"));
    QVERIFY(cap && workers && queue && service);
    QVERIFY(cap->toolTip().contains(QStringLiteral("not the capacity model")));
    QVERIFY(cap->toolTip().contains(QStringLiteral("Unit: requests in progress")));
    QCOMPARE(cap->specialValueText(), QStringLiteral("off"));
    QVERIFY(workers->toolTip().startsWith(QStringLiteral("Capacity model:")));
    QVERIFY(workers->toolTip().contains(QStringLiteral("Unit: requests in service")));
    QVERIFY(queue->toolTip().contains(QStringLiteral("Unit: requests waiting")));
    QVERIFY(service->toolTip().contains(QStringLiteral("in ms")));
    w.resize(1024, 768);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    for (int i = 0; i < w.tabs()->count(); ++i) {
        if (w.tabs()->widget(i)->isAncestorOf(panel))
            w.tabs()->setCurrentIndex(i);
    }
    QTRY_VERIFY(panel->isVisible());
    // Each field sits under its group's title: the request cap with the faults, the workers with the model.
    QLabel* faultsTitle = nullptr;
    QLabel* modelTitle = nullptr;
    for (QLabel* l : panel->findChildren<QLabel*>()) {
        if (l->text().startsWith(QStringLiteral("<b>Faults</b>")))
            faultsTitle = l;
        if (l->text().startsWith(QStringLiteral("<b>Capacity model</b>")))
            modelTitle = l;
    }
    QVERIFY(faultsTitle && modelTitle);
    const auto y = [panel](const QWidget* w) {
        return w->mapTo(panel, QPoint()).y();
    };
    QVERIFY(y(faultsTitle) < y(cap) && y(cap) < y(modelTitle));
    QVERIFY(y(modelTitle) < y(workers) && y(workers) < y(queue) && y(queue) < y(service));
    QVERIFY(panel->grab().save(outputPath(QStringLiteral("backend-tab.png"))));
}

QTEST_MAIN(TestBoard)
#include "tst_board.moc"
