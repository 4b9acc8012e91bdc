// The window's Experiments tab: it runs an experiment in labs of its own and shows what the command
// prints (table, CDFs, share bars, theory), and exports PNG and CSV.
#include "ExperimentResultsModel.h"
#include "ExperimentsTab.h"
#include "experiment/Experiment.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace lab;

class TestExperimentsTab final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void listsTheBuiltInExperiments();
    void runsAndShowsTheArms();
};

void TestExperimentsTab::listsTheBuiltInExperiments()
{
    ExperimentsTab tab;
    auto* choice = tab.findChild<QComboBox*>();
    QVERIFY(choice);
    QCOMPARE(choice->count(), builtInExperiments().size());
    QVERIFY(tab.statusText().contains(QStringLiteral("arms")));
    QCOMPARE(tab.cdfSeriesCount(), 0); // nothing measured yet: no line pretends otherwise
}

void TestExperimentsTab::runsAndShowsTheArms()
{
    // Two arms over two backends of unequal capacity (M/M/c each): least-connections must send more to the
    // big one than round robin does, and the table, bars, CDFs and theory must say the runner's figures.
    const ExperimentResult r = parseExperiment(
        R"({"title": "tab test", "summary": "two arms",
            "workload": {"seed": 4, "arrival": "poisson", "ratePerSecond": 200, "requests": 300,
                         "cost": {"dist": "exp", "meanMs": 8}},
            "lab": {"backends": [{"name": "one", "faults": {"workers": 1, "queue": 1000}},
                                 {"name": "four", "faults": {"workers": 4, "queue": 1000}}]},
            "arms": [{"name": "rr", "algorithm": "round-robin"},
                     {"name": "lc", "algorithm": "least-connections"}]})",
        QStringLiteral("tab.json"));
    QVERIFY2(r.ok(), qPrintable(r.error));
    ExperimentsTab tab;
    tab.resize(1200, 800);
    tab.show();
    QAbstractItemModelTester tester(tab.model());
    tab.setExperiment(r.experiment, QStringLiteral("tab.json"));
    QSignalSpy finished(&tab, &ExperimentsTab::runFinished);
    QVERIFY(tab.run());
    QVERIFY(tab.isRunning());
    QVERIFY(!tab.run()); // one run at a time
    QVERIFY(finished.wait(60'000));
    QVERIFY(!tab.isRunning());
    QCOMPARE(tab.model()->rowCount(), 2);
    const ArmResult& rr = tab.model()->arms()[0];
    const ArmResult& lc = tab.model()->arms()[1];
    QCOMPARE(rr.completed, quint64(300));
    QCOMPARE(lc.completed, quint64(300));
    const QModelIndex p99 = tab.model()->index(1, ExperimentResultsModel::P99);
    QCOMPARE(tab.model()->data(p99).toString(), QString::number(lc.percentileMs(99), 'f', 1));
    QCOMPARE(tab.model()->data(tab.model()->index(0, ExperimentResultsModel::Arm)).toString(), QStringLiteral("rr"));
    QVERIFY(rr.theory.has_value()); // Poisson, exp, plain M/M/c backends
    QVERIFY(tab.model()
                ->data(tab.model()->index(0, ExperimentResultsModel::TheoryP99))
                .toString()
                .startsWith(QString::number(rr.theory->p99Ms, 'f', 1) + QStringLiteral(" (")));
    const auto shareOf = [](const ArmResult& a, const QString& name) {
        for (const BackendResult& b : a.backends) {
            if (b.name == name)
                return b.share;
        }
        return -1.0;
    };
    QVERIFY(std::abs(shareOf(rr, QStringLiteral("four")) - 0.5) < 0.02);
    QVERIFY2(shareOf(lc, QStringLiteral("four")) > 0.55,
             qPrintable(QString::number(shareOf(lc, QStringLiteral("four")))));
    QCOMPARE(tab.cdfSeriesCount(), 2);
    QCOMPARE(tab.shareBarSetCount(), 2);
    QVERIFY(tab.detailsText().contains(QStringLiteral("queueing theory (Erlang C)")));
    QVERIFY(tab.statusText().startsWith(QStringLiteral("done: 2 arms")));

    QTemporaryDir dir;
    QVERIFY(tab.exportCsv(dir.filePath(QStringLiteral("x.csv"))));
    QFile csv(dir.filePath(QStringLiteral("x.csv")));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QCOMPARE(csv.readAll().trimmed().split('\n').size(), 3);
    QVERIFY(QFile::exists(dir.filePath(QStringLiteral("x-backends.csv"))));
    const QString png =
        QDir(qEnvironmentVariable("LAB_TEST_OUTPUT_DIR", dir.path())).filePath(QStringLiteral("experiments-tab.png"));
    QVERIFY(tab.exportPng(png));
    QCOMPARE(QImage(png).size(), tab.size());
}

QTEST_MAIN(TestExperimentsTab)
#include "tst_experimentstab.moc"
