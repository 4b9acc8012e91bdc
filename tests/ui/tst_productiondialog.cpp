// File > Export to HAProxy / nginx… (ProductionDialog): the preview is the writer's text, the warnings list
// what the target cannot express, Save… writes the preview. Grabbed to PNG for a look. File > Prove…:
// the requests ask for what the window's traffic asks for, and the dialog shows prove's comparison.
#include "LessonPanel.h"
#include "MainWindow.h"
#include "ProductionDialog.h"
#include "TestLab.h"
#include "teach/Lessons.h"
#include "teach/Scenario.h"

#include <QAction>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace lab;
using lab::test::RunningLab;

class TestProductionDialog : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void previewWarningsAndSave();
    void proveAsksForTheLessonsPath();
    void proveRejectsABadPath();
    void proveShowsTheComparison();
};

void TestProductionDialog::previewWarningsAndSave()
{
    ProductionDialog dialog(LabConfig::defaultLab(), ProductionDialog::Page::Export);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QVERIFY(dialog.preview()->toPlainText().contains(QStringLiteral("backend lab_http")));
    dialog.setFormat(ExportFormat::Nginx);
    QVERIFY(dialog.preview()->toPlainText().contains(QStringLiteral("upstream lab_http {")));
    QVERIFY(!dialog.warnings()->findItems(QStringLiteral("active health checks"), Qt::MatchStartsWith).isEmpty());

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("nginx.conf"));
    dialog.setSavePathPrompt([&](const QString&, const QString&, const QString&) { return path; });
    const QList<QPushButton*> buttons = dialog.findChildren<QPushButton*>();
    for (QPushButton* b : buttons)
        if (b->text().contains(QStringLiteral("Save")))
            b->click();
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(f.readAll()), dialog.preview()->toPlainText());
    dialog.grab().save(qEnvironmentVariable("LAB_TEST_OUTPUT_DIR", QStringLiteral(".")) +
                       QStringLiteral("/production-dialog.png"));
}

namespace {

QString lessonFile(int number)
{
    for (const LessonInfo& l : builtInLessons())
        if (l.number == number)
            return l.file;
    return {};
}

QAction* menuAction(QWidget* window, const QString& startsWith)
{
    for (QAction* a : window->findChildren<QAction*>())
        if (a->text().remove(QLatin1Char('&')).startsWith(startsWith))
            return a;
    return nullptr;
}

} // namespace

// Lesson 5's backends each serve one path: prove with "/" would compare three 404s per request. With the
// lesson playing, File > Prove… asks for the lesson's /c/page; without one, for the Traffic tab's path.
void TestProductionDialog::proveAsksForTheLessonsPath()
{
    RunningLab r;
    r.lab.setEmbeddedPortBase(0);
    MainWindow w(&r.lab);
    w.lessonPanel()->setAnyPorts(true);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QAction* prove = menuAction(&w, QStringLiteral("Prove against"));
    QVERIFY(prove);
    prove->trigger();
    auto* dialog = w.findChild<ProductionDialog*>();
    QVERIFY(dialog);
    QCOMPARE(dialog->provePathEdit()->text(), QStringLiteral("/"));
    auto* origin = dialog->findChild<QLabel*>(QStringLiteral("provePathOrigin"));
    QVERIFY(origin);
    QCOMPARE(origin->text(), QStringLiteral("(the Traffic tab's path)"));
    dialog->close(); // deletes itself
    QTRY_VERIFY(!w.findChild<ProductionDialog*>());

    QString error;
    QVERIFY2(w.openLesson(lessonFile(5), &error), qPrintable(error));
    prove->trigger();
    dialog = w.findChild<ProductionDialog*>();
    QVERIFY(dialog);
    QCOMPARE(dialog->provePathEdit()->text(), QStringLiteral("/c/page"));
    QCOMPARE(dialog->findChild<QLabel*>(QStringLiteral("provePathOrigin"))->text(),
             QStringLiteral("(what the lesson's traffic asks for)"));
}

void TestProductionDialog::proveRejectsABadPath()
{
    ProductionDialog dialog(LabConfig::defaultLab(), ProductionDialog::Page::Prove);
    dialog.setProvePath(QStringLiteral("no-slash"));
    dialog.startProve();
    QVERIFY(!dialog.proveRunning());
    const QList<QLabel*> labels = dialog.findChildren<QLabel*>();
    const bool said = std::any_of(labels.begin(), labels.end(),
                                  [](QLabel* l) { return l->text().startsWith(QStringLiteral("Path: ")); });
    QVERIFY(said);
}

// The real HAProxy against lesson 5's lab with its path, in the dialog: the same table as the command line,
// within 5 points (6 s arms: the lab retries on 404).
void TestProductionDialog::proveShowsTheComparison()
{
    const ScenarioResult s = loadScenario(lessonFile(5));
    QVERIFY2(s.ok(), qPrintable(s.error));
    ProductionDialog dialog(s.scenario.lab, ProductionDialog::Page::Prove);
    dialog.resize(820, 600);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    dialog.setFormat(ExportFormat::Haproxy);
    dialog.setProvePath(QStringLiteral("/c/page"));
    QSignalSpy done(&dialog, &ProductionDialog::proveFinished);
    dialog.startProve();
    QVERIFY(dialog.proveRunning());
    QVERIFY(!dialog.provePathEdit()->isEnabled());
    QVERIFY(done.wait(60'000));
    const QString table = dialog.comparison()->toPlainText();
    QVERIFY2(table.contains(QStringLiteral("backend-8003")) && table.contains(QStringLiteral("agree within 5")),
             qPrintable(table));
    QVERIFY2(table.contains(QStringLiteral("requests each for /c/page")) &&
                 table.contains(QStringLiteral("for 6.0 s")) &&
                 table.contains(QStringLiteral("A backend's share: the responses the clients got from it")),
             qPrintable(table));
    QVERIFY(dialog.provePathEdit()->isEnabled());
    dialog.grab().save(qEnvironmentVariable("LAB_TEST_OUTPUT_DIR", QStringLiteral(".")) +
                       QStringLiteral("/production-dialog-prove.png"));
    // Another target: HAProxy's table goes rather than read as nginx's result.
    dialog.setFormat(ExportFormat::Nginx);
    QVERIFY(dialog.comparison()->toPlainText().isEmpty());
}

QTEST_MAIN(TestProductionDialog)
#include "tst_productiondialog.moc"
