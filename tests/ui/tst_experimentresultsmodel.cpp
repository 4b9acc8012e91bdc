// The window's experiment results table (ExperimentResultsModel): the same figures under the same names
// as the terminal's table and arms.csv (ArmFigures.h), the prediction beside what it predicts, the
// keys-moved column once an arm has it. Fed with hand-made arms: no sockets.
#include "ExperimentResultsModel.h"
#include "experiment/ArmFigures.h"
#include "experiment/ResultsReport.h"

#include <QAbstractItemModelTester>
#include <QTest>

using namespace lab;

namespace {

ArmResult arm(const QString& name, double meanMs, std::optional<double> keysMoved = {})
{
    ArmResult a;
    a.name = name;
    a.requests = 100;
    a.byClass[2] = 90;
    a.byClass[5] = 10;
    a.proxy5xx = 4;
    a.meanMs = meanMs;
    BackendResult b;
    b.name = QStringLiteral("x");
    b.attempts = 130;
    b.busy = 0.9;
    a.backends << b;
    TheoryResult t;
    t.model = QStringLiteral("M/M/1");
    t.meanResponseMs = 40;
    a.theory = t;
    a.keysMoved = keysMoved;
    a.keysMovedIdeal = 0.2;
    return a;
}

} // namespace

class TestExperimentResultsModel final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void headersAreTheTerminals();
    void cellsSayTheFigures();
    void keysMovedColumnAppearsWithTheFirstArmThatHasIt();
    void hashingVerdictJudgesClosenessToTheIdeal_data();
    void hashingVerdictJudgesClosenessToTheIdeal();
};

void TestExperimentResultsModel::headersAreTheTerminals()
{
    ExperimentResultsModel model;
    QAbstractItemModelTester tester(&model);
    for (ArmFigure f : allArmFigures()) {
        if (f == ArmFigure::KeysMoved)
            continue; // not a column yet
        const int c = int(f);
        // The window's M/M/c headers add a second line saying what they are; the first is the terminal's.
        const bool theory = f == ArmFigure::MmcMean || f == ArmFigure::MmcP99;
        QCOMPARE(model.headerData(c, Qt::Horizontal).toString(),
                 QString::fromLatin1(armFigureInfo(f).header) +
                     (theory ? QStringLiteral("\npredicted (measured ±%)") : QString()));
        QVERIFY(model.headerData(c, Qt::Horizontal, Qt::ToolTipRole)
                    .toString()
                    .startsWith(QString::fromLatin1(armFigureInfo(f).tip)));
    }
    // The prediction's tooltip says what it assumes and what the percentage is.
    const QString tip =
        model.headerData(ExperimentResultsModel::TheoryMean, Qt::Horizontal, Qt::ToolTipRole).toString();
    QVERIFY(tip.contains(QStringLiteral("Poisson arrivals")));
    QVERIFY(tip.contains(QStringLiteral("(measured - predicted) / predicted")));
    QVERIFY(tip.contains(QStringLiteral("random")));
    // Fairness does not read as a score.
    QVERIFY(model.headerData(ExperimentResultsModel::Jain, Qt::Horizontal, Qt::ToolTipRole)
                .toString()
                .contains(QStringLiteral("not a score")));
    QCOMPARE(ExperimentResultsModel::TheoryMean, ExperimentResultsModel::Mean + 1);
    QCOMPARE(ExperimentResultsModel::TheoryP99, ExperimentResultsModel::P99 + 1);
}

void TestExperimentResultsModel::cellsSayTheFigures()
{
    ExperimentResultsModel model;
    QAbstractItemModelTester tester(&model);
    model.append(arm(QStringLiteral("rr"), 43.2));
    const auto cell = [&model](int column) {
        return model.data(model.index(0, column)).toString();
    };
    QCOMPARE(cell(ExperimentResultsModel::Ok), QStringLiteral("90"));
    QCOMPARE(cell(ExperimentResultsModel::Backend5xx), QStringLiteral("6"));
    QCOMPARE(cell(ExperimentResultsModel::Proxy5xx), QStringLiteral("4"));
    QCOMPARE(cell(ExperimentResultsModel::Mean), QStringLiteral("43.2"));
    QCOMPARE(cell(ExperimentResultsModel::TheoryMean), QStringLiteral("40.0 (+8%)"));
    QCOMPARE(cell(ExperimentResultsModel::Attempts), QStringLiteral("130"));
    QCOMPARE(cell(ExperimentResultsModel::Load), QStringLiteral("1.30x"));
    QCOMPARE(cell(ExperimentResultsModel::Busiest), QStringLiteral("90%"));
    for (ArmFigure f : allArmFigures()) {
        if (f != ArmFigure::KeysMoved)
            QCOMPARE(cell(int(f)), armFigureText(f, model.arms().first()));
    }
    ArmResult none = arm(QStringLiteral("lc"), 30);
    none.theory.reset();
    none.theoryNote = QStringLiteral("arrivals are not Poisson");
    model.append(none);
    QCOMPARE(model.data(model.index(1, ExperimentResultsModel::TheoryP99)).toString(), QStringLiteral("n/a"));
    QCOMPARE(model.data(model.index(1, ExperimentResultsModel::TheoryP99), Qt::ToolTipRole).toString(),
             QStringLiteral("No M/M/c prediction: arrivals are not Poisson"));
}

void TestExperimentResultsModel::keysMovedColumnAppearsWithTheFirstArmThatHasIt()
{
    ExperimentResultsModel model;
    QAbstractItemModelTester tester(&model);
    model.append(arm(QStringLiteral("plain"), 10));
    QCOMPARE(model.columnCount(), int(ExperimentResultsModel::ColumnCount) - 1);
    model.append(arm(QStringLiteral("ring-hash"), 10, 0.185));
    QCOMPARE(model.columnCount(), int(ExperimentResultsModel::ColumnCount));
    QCOMPARE(model.headerData(ExperimentResultsModel::KeysMoved, Qt::Horizontal).toString(),
             QStringLiteral("keys moved"));
    QCOMPARE(model.data(model.index(1, ExperimentResultsModel::KeysMoved)).toString(),
             QStringLiteral("18.5% (ideal 20.0%)"));
    QCOMPARE(model.data(model.index(0, ExperimentResultsModel::KeysMoved)).toString(), QStringLiteral("n/a"));
    model.clear();
    QCOMPARE(model.columnCount(), int(ExperimentResultsModel::ColumnCount) - 1);
}

void TestExperimentResultsModel::hashingVerdictJudgesClosenessToTheIdeal_data()
{
    QTest::addColumn<double>("ipHash");
    QTest::addColumn<double>("ringHash");
    QTest::addColumn<double>("maglev");
    QTest::addColumn<QString>("verdict");
    const QString head =
        QStringLiteral("Keys moved against an ideal of 20.0% (the keys that must change backend; within "
                       "±6.7 points of it counts as about the ideal):");
    // The two runs the learner saw: ring-hash fewest in one, Maglev in the other. Both are about the
    // ideal (a third of it, 6.7 points, either side) in both runs, so the verdict is the same words bar
    // the figures.
    QTest::newRow("run 1") << 0.807 << 0.143 << 0.185
                           << head +
            QStringLiteral(" ring-hash (14.3%) and maglev (18.5%) are consistent — about "
                           "the ideal. Far more: ip-hash moves 80.7%, 4.0x the ideal.");
    QTest::newRow("run 2") << 0.78 << 0.21 << 0.185
                           << head +
            QStringLiteral(" ring-hash (21.0%) and maglev (18.5%) are consistent — about "
                           "the ideal. Far more: ip-hash moves 78.0%, 3.9x the ideal.");
    // Fewer than the ideal is no prize: the new backend gets less than its share of the keys.
    QTest::newRow("one far below") << 0.8 << 0.08 << 0.2
                                   << head +
            QStringLiteral(" maglev (20.0%) is consistent — about the ideal. Far "
                           "more: ip-hash moves 80.0%, 4.0x the ideal. Far fewer: "
                           "ring-hash moves 8.0%, 0.4x the ideal.");
    QTest::newRow("all about the ideal") << 0.24 << 0.16 << 0.2
                                         << head +
            QStringLiteral(" all arms, ip-hash (24.0%), ring-hash (16.0%) and maglev (20.0%) are consistent "
                           "— about the ideal.");
}

void TestExperimentResultsModel::hashingVerdictJudgesClosenessToTheIdeal()
{
    QFETCH(double, ipHash);
    QFETCH(double, ringHash);
    QFETCH(double, maglev);
    QFETCH(QString, verdict);
    QList<ArmResult> arms{arm(QStringLiteral("ip-hash"), 12, ipHash), arm(QStringLiteral("ring-hash"), 12, ringHash),
                          arm(QStringLiteral("maglev"), 12, maglev)};
    for (ArmResult& a : arms)
        a.backends.first().attempts = a.requests; // no retries: the verdict is the keys' sentence alone
    // Hashing is judged on keys alone: the p99 and the errors (alike here) are not part of it.
    QCOMPARE(experimentVerdict(arms), verdict);
}

QTEST_GUILESS_MAIN(TestExperimentResultsModel)
#include "tst_experimentresultsmodel.moc"
