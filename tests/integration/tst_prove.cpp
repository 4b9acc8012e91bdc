// prove (core/prove/ProveRunner): the real HAProxy and nginx in front of the lab's own fake backends,
// the same seeded workload through both, shares compared. The "done when": for each built-in
// lesson's lab, HAProxy's per-backend shares are within 5 points of the lab's for round robin, weighted
// round robin and least-connections. Each arm is 1.5 s of constant arrivals at 200/s
// (defaultProveWorkload(); 6 s of Poisson ones for a lab that retries on a status) on the path of the lesson's own
// traffic when it has one: lesson 5 (cascading failover) sends /c/page, which only backend-8003 serves,
// and the default "/" would be a page no backend of that lab has (every request three 404s, no share to
// compare). Its lab uses retry.avoid "previous", HAProxy's own rule, which the export says exactly; a
// retry's pick then uses up the avoided backend's turn on both sides (HAProxy's roundrobin walks its
// whole schedule past the server to avoid, and so do the lab's round robin and smooth WRR under that
// rule: docs/export.md).
#include "export/ExportValidator.h"
#include "prove/ProveRunner.h"
#include "teach/Lessons.h"
#include "teach/Scenario.h"

#include <QProcess>
#include <QSignalSpy>
#include <QTest>

using namespace lab;

namespace {

// The path of a lesson's first traffic step, or empty (the default workload's "/").
QByteArray lessonTrafficPath(const Scenario& scenario)
{
    for (const ScenarioStep& step : scenario.steps)
        if (step.action == StepAction::Traffic)
            return step.traffic.path;
    return {};
}

// Runs prove to its end (bounded: two arms of the workload plus the target's start).
bool runProve(ProveRunner& runner)
{
    QSignalSpy done(&runner, &ProveRunner::finished);
    runner.start();
    return done.wait(60'000);
}

} // namespace

class TestProve : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void haproxyMatchesTheLab_data();
    void haproxyMatchesTheLab();
    void cascadingFailoverExportsHaproxysRetryRule();
    void nginxMatchesTheLab_data();
    void nginxMatchesTheLab();
    void flagsADifference();
    void commandLine();
};

void TestProve::haproxyMatchesTheLab_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("algorithm");
    for (const LessonInfo& l : builtInLessons())
        for (const char* a : {"round-robin", "weighted-round-robin", "least-connections"})
            QTest::addRow("lesson %d %s", l.number, a) << l.file << QString::fromLatin1(a);
}

void TestProve::haproxyMatchesTheLab()
{
    QFETCH(QString, file);
    QFETCH(QString, algorithm);
    const ScenarioResult s = loadScenario(file);
    QVERIFY2(s.ok(), qPrintable(s.error));
    LabConfig lab = s.scenario.lab;
    lab.algorithm = algorithm;
    WorkloadSpec w = defaultProveWorkload(lab);
    if (const QByteArray path = lessonTrafficPath(s.scenario); !path.isEmpty())
        w.path = path;
    ProveRunner runner(ExportFormat::Haproxy, lab, w);
    QVERIFY(runProve(runner));
    QVERIFY2(runner.error().isEmpty(), qPrintable(runner.error()));
    const ProveReport& r = runner.report();
    QVERIFY2(!r.anyFlagged(), qPrintable(proveTable(r)));
    QCOMPARE(r.rows.size(), lab.backends.size());
    // Both sides answered, and the same requests went through each.
    QCOMPARE(r.lab.requests, r.other.requests);
    QVERIFY2(r.other.completed > r.other.requests * 9 / 10, qPrintable(proveTable(r)));
    QVERIFY(r.exported.contains("haproxy") || r.exported.contains("HAProxy"));
}

// Lesson 5 with its own traffic: the lab's retry rule is "previous" and the export says it exactly
// (retries 2, option redispatch 1, retry-on ... 404) with no warning about it. The walk is then the same
// on both sides: most requests end on backend-8003, the others on a 404 after a retry came back to a
// backend that had missed, in the lab as in HAProxy; no 5xx on either side.
void TestProve::cascadingFailoverExportsHaproxysRetryRule()
{
    QString file;
    for (const LessonInfo& l : builtInLessons())
        if (l.number == 5)
            file = l.file;
    QVERIFY(!file.isEmpty());
    const ScenarioResult s = loadScenario(file);
    QVERIFY2(s.ok(), qPrintable(s.error));
    QCOMPARE(s.scenario.lab.retry.avoid, QStringLiteral("previous"));
    WorkloadSpec w = defaultProveWorkload(s.scenario.lab);
    QCOMPARE(w.durationMs, kProveRetryWalkDurationMs); // its retries follow a status: the longer arm,
    QCOMPARE(w.arrival, ArrivalProcess::Poisson); // and arrivals that do not move in step with the walks
    QCOMPARE(defaultProveWorkload(LabConfig::defaultLab()).arrival, ArrivalProcess::Constant);
    w.path = lessonTrafficPath(s.scenario);
    QCOMPARE(w.path, QByteArray("/c/page"));
    ProveRunner runner(ExportFormat::Haproxy, s.scenario.lab, w);
    QVERIFY(runProve(runner));
    QVERIFY2(runner.error().isEmpty(), qPrintable(runner.error()));
    const ProveReport& r = runner.report();
    const QString table = proveTable(r);
    for (const char* line : {"    retries 2\n", "    option redispatch 1\n",
                             "    retry-on conn-failure empty-response response-timeout 404\n"})
        QVERIFY2(r.exported.contains(line), r.exported.constData());
    QVERIFY2(r.warnings.filter(QStringLiteral("avoids only")).isEmpty() &&
                 r.warnings.filter(QStringLiteral("retry.avoid")).isEmpty(),
             qPrintable(r.warnings.join(QLatin1Char('\n'))));
    QCOMPARE(r.rows.size(), 3);
    QCOMPARE(r.rows[2].name, QStringLiteral("backend-8003"));
    // Without retry-on 404 round robin would leave a third on backend-8003; both sides retry the misses.
    QVERIFY2(r.rows[2].labShare > 0.6 && r.rows[2].targetShare > 0.6, qPrintable(table));
    // Some walks come back to a backend that missed, on both sides.
    QVERIFY2(r.lab.byClass[4] > 0 && r.other.byClass[4] > 0, qPrintable(table));
    QCOMPARE(r.lab.errors(), r.lab.byClass[4]);
    QCOMPARE(r.other.errors(), r.other.byClass[4]);
}

void TestProve::nginxMatchesTheLab_data()
{
    QTest::addColumn<QString>("algorithm");
    QTest::newRow("round-robin") << "round-robin";
    QTest::newRow("weighted-round-robin") << "weighted-round-robin";
}

void TestProve::nginxMatchesTheLab()
{
    QFETCH(QString, algorithm);
    LabConfig lab = LabConfig::defaultLab();
    lab.algorithm = algorithm;
    lab.backends[0].weight = 3;
    ProveRunner runner(ExportFormat::Nginx, lab, defaultProveWorkload());
    QVERIFY(runProve(runner));
    QVERIFY2(runner.error().isEmpty(), qPrintable(runner.error()));
    QVERIFY2(!runner.report().anyFlagged(), qPrintable(proveTable(runner.report())));
    QVERIFY(runner.report().other.completed > 0);
}

void TestProve::flagsADifference()
{
    // A report whose shares are 20 points apart: the table flags the row and the verdict says so.
    ProveReport r;
    r.rows << ProveRow{QStringLiteral("a"), 50, 30, 0.5, 0.3, true}
           << ProveRow{QStringLiteral("b"), 50, 70, 0.5, 0.7, true};
    QVERIFY(r.anyFlagged());
    QCOMPARE(qRound(r.maxShareDifferencePoints()), 20);
    const QString table = proveTable(r);
    QVERIFY2(table.contains(QStringLiteral("<-- differs by more than 5 points")), qPrintable(table));
    QVERIFY2(table.contains(QStringLiteral("verdict: shares DIFFER")), qPrintable(table));
    r.rows = {ProveRow{QStringLiteral("a"), 50, 52, 0.5, 0.52, false}};
    QVERIFY(proveTable(r).contains(QStringLiteral("verdict: shares agree within 5 points")));
    QVERIFY(!proveTable(r).contains(QStringLiteral("note: ")));
    // Shares that agree with errors far apart: the verdict stays on the shares, a note says the rest.
    r.lab.requests = r.other.requests = 100;
    r.other.byClass[4] = 20;
    const QString noted = proveTable(r);
    QVERIFY2(noted.contains(QStringLiteral("verdict: shares agree within 5 points")), qPrintable(noted));
    QVERIFY2(noted.contains(QStringLiteral("note: errors differ (0 in the lab, 20 through haproxy)")),
             qPrintable(noted));
    r.other.byClass[4] = 4; // 4 points apart: no note
    QVERIFY(!proveTable(r).contains(QStringLiteral("note: errors differ")));
}

void TestProve::commandLine()
{
    QProcess p;
    p.start(QStringLiteral(LAB_BINARY),
            {QStringLiteral("prove"), QStringLiteral("--target"), QStringLiteral("haproxy"),
             QStringLiteral("--duration-ms"), QStringLiteral("1000")});
    QVERIFY(p.waitForFinished(60'000));
    const QString out = QString::fromUtf8(p.readAllStandardOutput());
    QVERIFY2(p.exitCode() == 0, qPrintable(out + QString::fromUtf8(p.readAllStandardError())));
    QVERIFY2(out.contains(QStringLiteral("verdict: shares agree within 5 points")), qPrintable(out));
    QVERIFY(out.contains(QStringLiteral("backend-8002")));

    p.start(QStringLiteral(LAB_BINARY), {QStringLiteral("prove"), QStringLiteral("--target"), QStringLiteral("envoy")});
    QVERIFY(p.waitForFinished(10'000));
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(p.readAllStandardError().contains("allowed: haproxy, nginx"));

    p.start(QStringLiteral(LAB_BINARY),
            {QStringLiteral("prove"), QStringLiteral("--target"), QStringLiteral("haproxy"), QStringLiteral("--path"),
             QStringLiteral("c/page")});
    QVERIFY(p.waitForFinished(10'000));
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(p.readAllStandardError().contains("--path: path template 'c/page': must start with /"));

    p.start(QStringLiteral(LAB_BINARY),
            {QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("nginx"), QStringLiteral("--check")});
    QVERIFY(p.waitForFinished(20'000));
    const QByteArray err = p.readAllStandardError();
    QVERIFY2(p.exitCode() == 0, err.constData());
    QVERIFY(err.contains("warning: active health checks"));
    QVERIFY(err.contains("nginx check: valid"));
    QVERIFY(p.readAllStandardOutput().contains("upstream lab_http {"));
}

QTEST_GUILESS_MAIN(TestProve)
#include "tst_prove.moc"
