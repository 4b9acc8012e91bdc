// File > Export to HAProxy / nginx… (ProductionDialog): the preview is the writer's text, the warnings list
// what the target cannot express, Save… writes the preview. Grabbed to PNG for a look.
#include "ProductionDialog.h"

#include <QFile>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>

using namespace lab;

class TestProductionDialog : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void previewWarningsAndSave();
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

QTEST_MAIN(TestProductionDialog)
#include "tst_productiondialog.moc"
