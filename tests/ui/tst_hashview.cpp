// The hash view: what it says with no users and for algorithms that do not map keys, the counts after
// a backend leaves (hand-fed totals over a real lab's board), and in the window with real simulated users
// under sticky sessions: a backend stopped, its users (and only they) outlined as moved, grabbed at two
// window sizes with the cells' colours checked against the backends' chart colours.
#include "BackendTableModel.h"
#include "HashView.h"
#include "LessonPanel.h"
#include "MainWindow.h"
#include "TestLab.h"
#include "TrafficPanel.h"
#include "loadgen/LoadGenerator.h"
#include "teach/ScenarioPlayer.h"

#include <QDir>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QTest>

using namespace lab;
using namespace lab::test;

namespace {

QString outputPath(const QString& fileName)
{
    return qEnvironmentVariable("LAB_TEST_OUTPUT_DIR", QDir::tempPath()) + QLatin1Char('/') + fileName;
}

// Users u1..uN on the given backends, each with `answers` answers.
LoadTotals totalsOf(const QStringList& backends, quint64 answers, quint64 sent)
{
    LoadTotals t;
    t.sent = sent;
    for (int i = 0; i < backends.size(); ++i) {
        const QString user = QStringLiteral("u%1").arg(i + 1);
        t.lastBackendOfUser.insert(user, backends[i]);
        t.byUser[user][backends[i]] = answers;
    }
    return t;
}

LabConfig labWith(const QString& algorithm, bool sticky)
{
    LabConfig c = freePortLab();
    c.algorithm = algorithm;
    c.sticky.enabled = sticky;
    return c;
}

} // namespace

class TestHashView : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void saysWhatItIsFor_data();
    void saysWhatItIsFor();
    void countsTheUsersThatMoved();
    void pathKeysArePaths();
    void grabsInTheWindow_data();
    void grabsInTheWindow();
    void lessonSixFeedsTheView();
};

void TestHashView::saysWhatItIsFor_data()
{
    QTest::addColumn<QString>("algorithm");
    QTest::addColumn<bool>("sticky");
    QTest::addColumn<bool>("applies");
    QTest::newRow("round robin") << "round-robin" << false << false;
    QTest::newRow("least connections") << "least-connections" << false << false;
    QTest::newRow("ip-hash") << "ip-hash" << false << true;
    QTest::newRow("ring-hash") << "ring-hash" << false << true;
    QTest::newRow("maglev") << "maglev" << false << true;
    QTest::newRow("round robin, sticky") << "round-robin" << true << true;
}

void TestHashView::saysWhatItIsFor()
{
    QFETCH(QString, algorithm);
    QFETCH(bool, sticky);
    QFETCH(bool, applies);
    RunningLab r(labWith(algorithm, sticky));
    BackendTableModel board(&r.lab);
    board.refreshState();
    HashView view(&r.lab);
    view.refresh(LoadTotals{}, r.lab.snapshot(), board);
    QCOMPARE(view.applies(), applies);
    if (!applies) {
        // It says what it is for and which algorithms use it, and draws nothing.
        for (const char* word : {"ip-hash", "ring-hash", "maglev", "sticky sessions"})
            QVERIFY2(view.headlineText().contains(QLatin1String(word)), qPrintable(view.headlineText()));
        QVERIFY(view.headlineText().contains(algorithm));
        QVERIFY(!view.emptyText().isEmpty());
        return;
    }
    QVERIFY2(view.emptyText().startsWith(QStringLiteral("No users yet: start simulated users on the Traffic tab")),
             qPrintable(view.emptyText()));
    QVERIFY(view.countsText().isEmpty());
    QVERIFY2(view.headlineText().contains(sticky ? QStringLiteral("Sticky sessions") : algorithm),
             qPrintable(view.headlineText()));
    // Users on the board's backends: cells, and the counts per backend.
    view.refresh(totalsOf({QStringLiteral("backend-8001"), QStringLiteral("backend-8002")}, 1, 2), r.lab.snapshot(),
                 board);
    QVERIFY(view.emptyText().isEmpty());
    QCOMPARE(view.userCount(), 2);
    QVERIFY2(view.countsText().startsWith(QStringLiteral("2 users now: ")), qPrintable(view.countsText()));
}

void TestHashView::countsTheUsersThatMoved()
{
    RunningLab r(labWith(QStringLiteral("ip-hash"), false));
    BackendTableModel board(&r.lab);
    board.refreshState();
    HashView view(&r.lab);
    view.resize(600, 400);
    const QString a = QStringLiteral("backend-8001");
    const QString b = QStringLiteral("backend-8002");
    const QString c = QStringLiteral("backend-8003");
    view.refresh(totalsOf({a, b, c, b, a, c}, 1, 6), r.lab.snapshot(), board);
    view.refresh(totalsOf({a, b, c, b, a, c}, 2, 12), r.lab.snapshot(), board);
    QVERIFY(!view.hasChange());
    // backend-8002 stops; the next look sees it out of rotation and takes the look before as the baseline.
    r.lab.stopBackend(r.id(1));
    board.refreshState();
    LoadTotals after = totalsOf({a, c, c, a, c, c}, 3, 18);
    after.byUser[QStringLiteral("u6")] = {{c, 2}}; // u6 has not answered since
    view.refresh(after, r.lab.snapshot(), board);
    QVERIFY(view.hasChange());
    QCOMPARE(view.changeText(), QStringLiteral("backend-8002 stopped"));
    QCOMPARE(view.moves().moved.size(), 3); // u2 and u4 from b, u5 from a
    QCOMPARE(view.moves().compared, 5);
    QCOMPARE(view.moves().waiting, 1);
    QVERIFY2(view.countsText().contains(QStringLiteral("<b>3 of 5 users moved</b> since backend-8002 stopped")),
             qPrintable(view.countsText()));
    QVERIFY2(view.countsText().contains(QStringLiteral("2 from backend-8002 (out), 1 others")),
             qPrintable(view.countsText()));
    QVERIFY2(view.countsText().contains(QStringLiteral("1 not answered since")), qPrintable(view.countsText()));
    // Removed from the lab: it says so, and its users keep their old colour in the corners.
    const QColor old = view.colorOf(b);
    r.lab.removeBackend(r.id(1));
    board.refreshState();
    view.refresh(totalsOf({a, c, c, a, c, c}, 4, 24), r.lab.snapshot(), board);
    QCOMPARE(view.colorOf(b), old);
    QVERIFY(view.colorOf(b) != view.colorOf(a));
    // A new traffic run (its counters start again) forgets the change.
    view.refresh(totalsOf({a, c}, 1, 2), r.lab.snapshot(), board);
    QVERIFY(!view.hasChange());
}

void TestHashView::pathKeysArePaths()
{
    LabConfig c = labWith(QStringLiteral("ring-hash"), false);
    c.hashKey = QStringLiteral("path");
    RunningLab r(c);
    BackendTableModel board(&r.lab);
    board.refreshState();
    HashView view(&r.lab);
    view.refresh(LoadTotals{}, r.lab.snapshot(), board);
    QVERIFY(view.keysArePaths());
    QVERIFY2(view.emptyText().startsWith(QStringLiteral("No paths yet")), qPrintable(view.emptyText()));
    LoadTotals t = totalsOf({QStringLiteral("backend-8001"), QStringLiteral("backend-8001")}, 5, 10);
    t.lastBackendOfPath = {{QStringLiteral("/item/10"), QStringLiteral("backend-8002")},
                           {QStringLiteral("/item/2"), QStringLiteral("backend-8003")},
                           {QStringLiteral("/item/7"), QStringLiteral("backend-8002")}};
    t.answersOfPath = {{QStringLiteral("/item/10"), 4}, {QStringLiteral("/item/2"), 3}, {QStringLiteral("/item/7"), 3}};
    view.refresh(t, r.lab.snapshot(), board);
    QCOMPARE(view.userCount(), 3); // the paths, not the two users
    QVERIFY2(view.countsText().startsWith(QStringLiteral("3 paths now: ")), qPrintable(view.countsText()));
    QVERIFY2(view.headlineText().contains(QStringLiteral("the key is the request path")),
             qPrintable(view.headlineText()));
    // Number order: /item/2, /item/7, /item/10.
    view.resize(400, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QVERIFY(view.cellRect(QStringLiteral("/item/2")).left() < view.cellRect(QStringLiteral("/item/7")).left());
    QVERIFY(view.cellRect(QStringLiteral("/item/7")).left() < view.cellRect(QStringLiteral("/item/10")).left());
    // Back to the client key: users again, and no change is made of users against paths.
    r.lab.setHashKey(QStringLiteral("client"), nullptr);
    view.refresh(t, r.lab.snapshot(), board);
    QVERIFY(!view.keysArePaths());
    QCOMPARE(view.userCount(), 2);
    QVERIFY(!view.hasChange());
}

void TestHashView::grabsInTheWindow_data()
{
    QTest::addColumn<QSize>("size");
    QTest::newRow("1024x768") << QSize(1024, 768);
    QTest::newRow("1280x720") << QSize(1280, 720);
}

void TestHashView::grabsInTheWindow()
{
    QFETCH(QSize, size);
    RunningLab r(labWith(QStringLiteral("round-robin"), true));
    MainWindow w(&r.lab);
    w.resize(size);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.viewTabs()->setCurrentWidget(w.hashView());
    QCOMPARE(w.viewTabs()->tabText(w.viewTabs()->currentIndex()), QStringLiteral("Hash"));
    HashView* view = w.hashView();
    QVERIFY(view->emptyText().startsWith(QStringLiteral("No users yet")));
    QVERIFY(
        view->grab().save(outputPath(QStringLiteral("hashview-empty-%1x%2.png").arg(size.width()).arg(size.height()))));

    // 24 users from the Traffic tab, with their cookies: sticky sessions spread them in turn.
    TrafficPanel* t = w.trafficPanel();
    t->usersBox()->setValue(24);
    t->rateBox()->setValue(0);
    t->durationBox()->setValue(30);
    t->thinkBox()->setValue(40);
    QTest::mouseClick(t->startButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(view->userCount(), 24, 10'000);
    QTest::qWait(300);
    const QMap<QString, QString> before = w.generator()->totals().lastBackendOfUser;
    const QString stopped = r.lab.backendConfig(r.id(1)).name;
    const int usersOfStopped = int(std::count(before.cbegin(), before.cend(), stopped));
    QVERIFY(usersOfStopped >= 4); // round robin gave it about a third

    r.lab.stopBackend(r.id(1));
    // Every user answers again; exactly the stopped backend's users moved.
    QTRY_VERIFY_WITH_TIMEOUT(view->hasChange() && view->moves().compared == 24 && view->moves().waiting == 0, 10'000);
    QTest::qWait(300);
    const KeyMoves m = view->moves();
    QCOMPARE(int(m.moved.size()), usersOfStopped);
    QCOMPARE(m.movedFrom.value(stopped), usersOfStopped);
    QCOMPARE(m.movedNotFrom(stopped), 0);
    QVERIFY2(view->countsText().contains(
                 QStringLiteral("<b>%1 of 24 users moved</b> since %2 stopped").arg(usersOfStopped).arg(stopped)),
             qPrintable(view->countsText()));
    QVERIFY2(view->countsText().contains(QStringLiteral("%1 from %2 (out), 0 others").arg(usersOfStopped).arg(stopped)),
             qPrintable(view->countsText()));
    w.generator()->stop();
    w.refresh();

    const QImage img = w.grab().toImage();
    QVERIFY(img.save(outputPath(QStringLiteral("hashview-%1x%2.png").arg(size.width()).arg(size.height()))));
    const QPoint origin = view->mapTo(&w, QPoint(0, 0));
    const QImage mine = img.copy(QRect(origin, view->size()));
    const QMap<QString, QString> now = w.generator()->totals().lastBackendOfUser;
    for (auto it = now.cbegin(); it != now.cend(); ++it) {
        const QRect cell = view->cellRect(it.key());
        QVERIFY2(cell.width() >= 24, qPrintable(QStringLiteral("%1: cell %2 px").arg(it.key()).arg(cell.width())));
        // Below the name: the cell is in its backend's colour.
        const QPoint fillAt(cell.right() - cell.width() / 5, cell.bottom() - cell.height() / 5);
        QCOMPARE(QColor(mine.pixel(fillAt)), view->colorOf(it.value()));
        const QPoint cornerAt(cell.left() + cell.width() * 16 / 100, cell.top() + cell.height() * 16 / 100);
        if (m.movedUser(it.key())) // the corner shows where it was
            QCOMPARE(QColor(mine.pixel(cornerAt)), view->colorOf(stopped));
        else
            QCOMPARE(QColor(mine.pixel(cornerAt)), view->colorOf(it.value()));
    }
}

void TestHashView::lessonSixFeedsTheView()
{
    // While a lesson plays, the view reads the lesson's own generator: in lesson 6's second step (stop
    // backend-8002 under sticky sessions) it counts backend-8002's users as moved, and nobody else.
    RunningLab r;
    r.lab.setEmbeddedPortBase(0);
    MainWindow w(&r.lab);
    w.resize(1280, 720);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.lessonPanel()->setAnyPorts(true);
    w.lessonPanel()->setPlayThrough(true); // step 1 follows step 0 without a Next press
    w.viewTabs()->setCurrentWidget(w.hashView());
    QString error;
    QVERIFY2(w.openLesson(QStringLiteral(":/lessons/06-sticky-sessions-and-hashing.json"), &error), qPrintable(error));
    HashView* view = w.hashView();
    QTRY_COMPARE_WITH_TIMEOUT(view->userCount(), 50, 10'000);
    QVERIFY(w.generator()->totals().lastBackendOfUser.isEmpty()); // not the Traffic tab's generator
    QTRY_VERIFY_WITH_TIMEOUT(view->hasChange() && view->changeText() == QStringLiteral("backend-8002 stopped") &&
                                 view->moves().compared >= 40 && view->moves().moved.size() >= 10,
                             10'000);
    QCOMPARE(view->moves().movedNotFrom(QStringLiteral("backend-8002")), 0);
    QVERIFY(w.grab().save(outputPath(QStringLiteral("hashview-lesson6.png"))));
}

QTEST_MAIN(TestHashView)
#include "tst_hashview.moc"
