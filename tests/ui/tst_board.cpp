// The board (BackendTableModel) maps its rows to BackendIds, as qBittorrent's transfer list maps rows to
// torrent ids: rows come and go by the id's row, and everything the window does to a row goes to the lab
// by that row's id. Offscreen, with QAbstractItemModelTester on.
#include "BackendPanel.h"
#include "BackendTableModel.h"
#include "MainWindow.h"
#include "TestLab.h"
#include "fakebackend/FakeBackend.h"
#include "lab/Lab.h"

#include <QAbstractItemModelTester>
#include <QPushButton>
#include <QSignalSpy>
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
};

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

QTEST_MAIN(TestBoard)
#include "tst_board.moc"
