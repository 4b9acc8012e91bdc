// What trial 7 found the window saying that it did not show, each checked in the real window offscreen:
// a column a lesson's "Watch:" names that the board had hidden (Reqs) or never had ("share"), an address
// cut to "127…501", a flow legend that lost its last entries at 1024 px, a pause banner that did not say
// when it froze, and the passive-health form's labels without tooltips.
#include "BackendTableModel.h"
#include "FlowViewCanvas.h"
#include "PassiveHealthButton.h"
#include "TestLab.h"
#include "TimeControls.h"
#include "WindowTestSupport.h"

#include <QDir>
#include <QFile>
#include <QFormLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QRegularExpression>
#include <QTableView>
#include <QTest>
#include <QWidgetAction>

using namespace lab;
using namespace lab::test;

class TestWindowTexts final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void boardKeepsWhatLessonsWatch_data() { windowSizes(); }
    void boardKeepsWhatLessonsWatch();
    void flowLegendIsWhole_data() { windowSizes(); }
    void flowLegendIsWhole();
    void pauseBannerSaysWhenItFroze();
    void passiveFormExplainsEveryLabel();
};

void TestWindowTexts::boardKeepsWhatLessonsWatch()
{
    // Trial 7 at 1024 px with the dock: lesson 1 said to watch the request counter, the board had hidden
    // its Reqs column, and another step named a "share column" the board never had. Every column a
    // lesson's "Watch:" names is on the board and shown; the address, when shown, is whole ("127…501").
    QFETCH(QSize, size);
    QFETCH(bool, dock);
    RunningLab r;
    r.lab.setEmbeddedPortBase(0);
    MainWindow w(&r.lab);
    QVERIFY(showWindow(w, size, dock));
    auto* board = w.findChild<QTableView*>(QStringLiteral("board"));
    QVERIFY(board);
    const QAbstractItemModel* m = board->model();
    QTRY_VERIFY(m->rowCount() > 0);
    w.refresh();
    QCoreApplication::processEvents();
    const QHeaderView* h = board->horizontalHeader();
    QStringList shown;
    for (int c = 0; c < m->columnCount(); ++c)
        if (!h->isSectionHidden(c))
            shown << m->headerData(c, Qt::Horizontal).toString();
    QVERIFY2(!h->isSectionHidden(BackendTableModel::Requests), qPrintable(shown.join(u' ')));
    if (!h->isSectionHidden(BackendTableModel::Address)) {
        for (int row = 0; row < m->rowCount(); ++row) {
            const QString address = m->index(row, BackendTableModel::Address).data().toString();
            QVERIFY2(h->sectionSize(BackendTableModel::Address) >= board->fontMetrics().horizontalAdvance(address),
                     qPrintable(address));
        }
    }
    static const QRegularExpression column(QStringLiteral("([A-Za-z/]+) column"));
    for (const QString& file : QDir(QStringLiteral(":/lessons")).entryList({QStringLiteral("*.json")})) {
        QFile f(QStringLiteral(":/lessons/") + file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonArray steps = QJsonDocument::fromJson(f.readAll()).object().value(QLatin1String("steps")).toArray();
        QVERIFY2(!steps.isEmpty(), qPrintable(file));
        for (const QJsonValue& step : steps) {
            const QString watch = step.toObject().value(QLatin1String("watch")).toString();
            for (auto it = column.globalMatch(watch); it.hasNext();) {
                const QString name = it.next().captured(1);
                QVERIFY2(
                    shown.contains(name),
                    qPrintable(
                        QStringLiteral("%1: \"%2 column\" not on the board (%3)").arg(file, name, shown.join(u' '))));
            }
        }
    }
}

void TestWindowTexts::flowLegendIsWhole()
{
    // Trial 7 at 1024 px: the legend's rows stopped at three and the marks' entries vanished. It wraps to
    // as many rows as it takes; the canvas grows and the flow view scrolls.
    QFETCH(QSize, size);
    QFETCH(bool, dock);
    RunningLab r;
    r.lab.setEmbeddedPortBase(0);
    MainWindow w(&r.lab);
    QVERIFY(showWindow(w, size, dock));
    auto* canvas = w.findChild<FlowViewCanvas*>(QStringLiteral("flowCanvas"));
    QVERIFY(canvas);
    QTRY_COMPARE(canvas->legendEntriesPainted(), int(FlowViewCanvas::legendText().size()));
}

void TestWindowTexts::pauseBannerSaysWhenItFroze()
{
    // Trial 7: paused, the proxy box said "all picks since Reset: 831" beside the board's 1071. The banner
    // says when the frozen parts froze and which keep counting (the counts say "at pause": tst_flowview).
    RunningLab r;
    MainWindow w(&r.lab);
    w.resize(1366, 768);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QTest::mouseClick(w.timeControls()->pauseButton(), Qt::LeftButton);
    const QString banner = w.pauseBanner()->text();
    QVERIFY2(banner.contains(QRegularExpression(QStringLiteral("Paused at \\d\\d:\\d\\d:\\d\\d"))), qPrintable(banner));
    QVERIFY2(banner.contains(QLatin1String("still counting")), qPrintable(banner));
    QTest::mouseClick(w.timeControls()->pauseButton(), Qt::LeftButton);
}

void TestWindowTexts::passiveFormExplainsEveryLabel()
{
    // Trial 7 hovered "at most", "opens at" and "half-open trials" and got nothing; each label now says what
    // its field says, named after the real config key, and each group says how it differs from the other.
    PassiveHealthButton button;
    QVERIFY(button.menu() && !button.menu()->actions().isEmpty());
    const auto* action = qobject_cast<QWidgetAction*>(button.menu()->actions().constFirst());
    QVERIFY(action && action->defaultWidget());
    const auto* form = qobject_cast<QFormLayout*>(action->defaultWidget()->layout());
    QVERIFY(form);
    int labelled = 0;
    QStringList headings;
    for (int row = 0; row < form->rowCount(); ++row) {
        auto* label = qobject_cast<QLabel*>(
            form->itemAt(row, QFormLayout::LabelRole) ? form->itemAt(row, QFormLayout::LabelRole)->widget() : nullptr);
        if (label && label->buddy()) {
            ++labelled;
            QVERIFY2(!label->toolTip().isEmpty(), qPrintable(label->text()));
            QCOMPARE(label->toolTip(), label->buddy()->toolTip());
            QVERIFY2(label->toolTip().contains(QStringLiteral("Config key: outlierDetection.")) ||
                         label->toolTip().contains(QStringLiteral("Config key: circuitBreaker.")),
                     qPrintable(label->toolTip()));
        } else if (auto* span = form->itemAt(row, QFormLayout::SpanningRole);
                   span && qobject_cast<QLabel*>(span->widget())) {
            headings << qobject_cast<QLabel*>(span->widget())->text();
        }
    }
    QCOMPARE(labelled, 9);
    QVERIFY2(headings.filter(QStringLiteral("Per backend")).size() == 2, qPrintable(headings.join(u'\n')));
}

QTEST_MAIN(TestWindowTexts)
#include "tst_windowtexts.moc"
