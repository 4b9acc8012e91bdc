// Scenarios: the format's errors (file, JSON path, what is allowed), the checks' rules on plain snapshots,
// the player against a real lab on free ports (a failing expectation fails the run, skip, pause), the
// `scenario` command's exit codes and report, and every built-in lesson played through with all its
// expectations holding.
#include "TestLab.h"
#include "balancing/Registry.h"
#include "config/ConfigSchema.h"
#include "lab/Lab.h"
#include "teach/Lessons.h"
#include "teach/Scenario.h"
#include "teach/ScenarioChecks.h"
#include "teach/ScenarioPlayer.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace lab;

namespace {

// Two embedded backends, a and b, and an external one, ext, behind a listener on a free port.
const QByteArray kLab = R"("lab": {
    "listeners": [{"port": 0}],
    "backends": [{"name": "a", "port": 0, "embedded": true}, {"name": "b", "port": 0, "embedded": true},
                 {"name": "ext", "host": "127.0.0.1", "port": 9}],
    "health": {"intervalMs": 200, "timeoutMs": 150, "rise": 1, "fall": 1}})";

QByteArray scenarioWith(const QByteArray& steps)
{
    return "{" + kLab + ", \"steps\": " + steps + "}";
}

// Two embedded backends only (the player's runs: an external backend on port 9 would only refuse).
const QByteArray kRunLab = R"("lab": {
    "listeners": [{"port": 0}],
    "backends": [{"name": "a", "port": 0, "embedded": true}, {"name": "b", "port": 0, "embedded": true}],
    "health": {"intervalMs": 200, "timeoutMs": 150, "rise": 1, "fall": 1}})";

Scenario runnable(const QByteArray& steps)
{
    const ScenarioResult r = parseScenario("{" + kRunLab + ", \"steps\": " + steps + "}", QStringLiteral("run.json"));
    if (!r.ok())
        qFatal("test scenario does not parse: %s", qPrintable(r.error));
    return r.scenario;
}

MetricsSnapshot snapshotOf(std::initializer_list<std::pair<const char*, quint64>> attempts, quint64 requests,
                           quint64 fiveHundreds)
{
    MetricsSnapshot s;
    int id = 0;
    for (const auto& [name, n] : attempts) {
        BackendStats b;
        b.id = id++;
        b.name = QLatin1String(name);
        b.traffic.requests = n;
        s.backends << b;
    }
    s.listener.requests = requests;
    s.listener.responsesByClass[5] = fiveHundreds;
    return s;
}

} // namespace

class TestScenario : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void malformedScenariosSayWhereAndWhat_data();
    void malformedScenariosSayWhereAndWhat();
    void scheduleFollowsAtAndAfter();
    void checksDecideFromDeltas_data();
    void checksDecideFromDeltas();
    void failingExpectationFailsTheRun();
    void skipToAppliesTheStepsBeforeAndRestartPlaysAll();
    void actionsReachTheLab();
    void pauseFreezesTheTimeline();
    void commandExitCodes_data();
    void commandExitCodes();
    void commandSaysWhenAPortIsTaken();
    void lessonsAreBuiltIn();
    void lessonHoldsHeadless_data();
    void lessonHoldsHeadless();

private:
    QString write(const QString& name, const QByteArray& json);
    QTemporaryDir m_dir;
};

QString TestScenario::write(const QString& name, const QByteArray& json)
{
    const QString path = m_dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(json) != json.size())
        qFatal("cannot write %s", qPrintable(path));
    return path;
}

void TestScenario::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TestScenario::malformedScenariosSayWhereAndWhat_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("expectedLine");
    QTest::newRow("unknown action")
        << scenarioWith(R"([{"do": "explode"}])")
        << R"(x.json: steps[0].do: unknown action "explode"; allowed: watch, pause, traffic, stop-traffic, faults, )"
           R"(stop, start, drain, undrain, add, remove, weight, algorithm, health, retry, request)";
    QTest::newRow("bad traffic path") << scenarioWith(R"([{"do": "traffic", "traffic": {"path": "nope"}}])")
                                      << R"(x.json: steps[0].traffic.path: must start with / and contain no spaces )"
                                         R"(or line breaks (got "nope"))";
    QTest::newRow("share above 1")
        << scenarioWith(R"([{"do": "watch", "expect": {"windowMs": 100, "share": {"a": [0, 1.5]}}}])")
        << "x.json: steps[0].expect.share.a: must be [min, max] with 0 <= min <= max <= 1 (a share of the "
           "requests) (got [0,1.5])";
    QTest::newRow("share below 0")
        << scenarioWith(R"([{"do": "watch", "expect": {"windowMs": 100, "share": {"b": [-0.1, 0.5]}}}])")
        << "x.json: steps[0].expect.share.b: must be [min, max] with 0 <= min <= max <= 1 (a share of the "
           "requests) (got [-0.1,0.5])";
    QTest::newRow("missing lab") << QByteArray(R"({"steps": [{"do": "watch"}]})")
                                 << "x.json: lab: is required: the lab to run (the format of docs/config.md)";
    QTest::newRow("time going backwards")
        << scenarioWith(R"([{"do": "pause", "durationMs": 1000}, {"do": "watch", "at": 500}])")
        << "x.json: steps[1].at: 500 ms is before the previous step ends (at 1000 ms); times must not go backwards "
           "(use after for a time relative to the previous step)";
    QTest::newRow("unknown backend")
        << scenarioWith(R"([{"do": "stop", "backend": "c"}])")
        << R"(x.json: steps[0].backend: unknown backend "c"; backends at this step: a, b, ext)";
    QTest::newRow("backend removed earlier")
        << scenarioWith(R"([{"do": "remove", "backend": "b"}, {"do": "start", "backend": "b"}])")
        << R"(x.json: steps[1].backend: unknown backend "b"; backends at this step: a, ext)";
    QTest::newRow("unknown backend in an expectation")
        << scenarioWith(R"([{"do": "watch", "expect": {"windowMs": 100, "state": {"zed": "ejected"}}}])")
        << R"(x.json: steps[0].expect.state.zed: unknown backend "zed"; backends at this step: a, b, ext)";
    QTest::newRow("stop an external backend")
        << scenarioWith(R"([{"do": "stop", "backend": "ext"}])")
        << R"(x.json: steps[0].backend: "ext" is an external backend; do: stop works on embedded backends only)";
    QTest::newRow("drain and stop an external backend")
        << scenarioWith(R"([{"do": "drain", "backend": "ext", "durationMs": 500}])")
        << R"(x.json: steps[0].backend: "ext" is an external backend; do: drain with durationMs (drain, then stop) )"
           R"(works on embedded backends only)";
    QTest::newRow("key of another action")
        << scenarioWith(R"([{"do": "stop", "backend": "a", "weight": 3}])")
        << "x.json: steps[0].weight: unknown key; allowed here: at, after, do, title, watch, why, question, expect, "
           "backend";
    QTest::newRow("lab error keeps its path")
        << QByteArray(R"({"lab": {"listeners": [{"port": 0}], "backends": [{"port": 0, "embedded": true, )"
                      R"("weight": 0}]}, "steps": [{"do": "watch"}]})")
        << "x.json: lab.backends[0].weight: must be an integer from 1 to 1000 (got 0)";
    QTest::newRow("fault knob out of range (the config schema's range)")
        << scenarioWith(R"([{"do": "faults", "backend": "a", "faults": {"latencyMs": -1}}])")
        << QStringLiteral("x.json: steps[0].faults.latencyMs: must be an integer from 0 to %1 (got -1)")
               .arg(schema::rangeOf(&FaultProfile::latencyMs).max);
    QTest::newRow("expectation without a window")
        << scenarioWith(R"([{"do": "watch", "expect": {"requests": 1}}])")
        << "x.json: steps[0].expect.windowMs: is required (how long to watch, in ms, from 1 to 3600000)";
    QTest::newRow("unknown state")
        << scenarioWith(R"([{"do": "watch", "expect": {"windowMs": 10, "state": {"a": "sleepy"}}}])")
        << "x.json: steps[0].expect.state.a: states are eligible, panic-routed, half-open, slow-start, ejected, "
           "passive-hold, breaker-open, unhealthy, draining, breaker-closed, probe-up, probe-down, running, stopped "
           "(got \"sleepy\")";
    QTest::newRow("response outside a request step")
        << scenarioWith(R"([{"do": "watch", "expect": {"windowMs": 10, "response": {"status": 200}}}])")
        << "x.json: steps[0].expect.response: unknown key; allowed here: windowMs, share, status, requests, latency, "
           "state, moved";
    QTest::newRow("count range upside down")
        << scenarioWith(R"([{"do": "watch", "expect": {"windowMs": 10, "status": {"5xx": [5, 2]}}}])")
        << "x.json: steps[0].expect.status.5xx: the range's max (2) is below its min (5)";
    QTest::newRow("unknown algorithm") << scenarioWith(R"([{"do": "algorithm", "algorithm": "fastest"}])")
                                       << QStringLiteral(
                                              "x.json: steps[0].algorithm: must be one of %1 (got \"fastest\")")
                                              .arg(algorithmNames().join(QStringLiteral(", ")));
    QTest::newRow("a key twice") << scenarioWith("[{\"do\": \"watch\",\n \"do\": \"pause\"}]")
                                 << "x.json: steps[0].do: appears twice in one object (lines 5 and 6); each key "
                                    "may appear only once";
    QTest::newRow("step not an object") << scenarioWith(R"([5])") << "x.json: steps[0]: must be an object (got 5)";
    QTest::newRow("not JSON") << QByteArray("{\"lab\": {},\n \"steps\": [}")
                              << "x.json:2:13: not valid JSON: object is missing after a comma";
}

void TestScenario::malformedScenariosSayWhereAndWhat()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, expectedLine);
    const ScenarioResult r = parseScenario(json, QStringLiteral("x.json"));
    QVERIFY(!r.ok());
    QVERIFY2(r.error.split(QLatin1Char('\n')).contains(expectedLine), qPrintable(r.error));
}

void TestScenario::scheduleFollowsAtAndAfter()
{
    const ScenarioResult r = parseScenario(scenarioWith(R"([
        {"do": "watch", "at": 100, "expect": {"windowMs": 400, "requests": [0, null]}},
        {"do": "pause", "after": 50, "durationMs": 200},
        {"do": "stop", "backend": "a"},
        {"do": "start", "at": 2000, "backend": "a"}])"),
                                           QStringLiteral("x.json"));
    QVERIFY2(r.ok(), qPrintable(r.error));
    const QList<ScenarioStep>& s = r.scenario.steps;
    QCOMPARE(s.size(), 4);
    QCOMPARE(s[0].startMs, 100);
    QCOMPARE(s[0].endMs, 500); // its window
    QCOMPARE(s[1].startMs, 550);
    QCOMPARE(s[1].endMs, 750); // its pause
    QCOMPARE(s[2].startMs, 750);
    QCOMPARE(s[2].endMs, 750);
    QCOMPARE(s[3].startMs, 2000);
    QCOMPARE(r.scenario.durationMs(), 2000);
}

void TestScenario::checksDecideFromDeltas_data()
{
    QTest::addColumn<QByteArray>("expect");
    QTest::addColumn<bool>("held");
    QTest::addColumn<QString>("observed");
    // Before: a 100, b 100, 200 requests, no 5xx. After: a 150, b 250 (a has 50 of 200 new attempts),
    // 400 requests, 3 responses 5xx. b's states: eligible, ejected, eligible; entered breaker-open.
    const char* seen = "seen eligible → ejected → eligible; entered breaker-open";
    QTest::newRow("share held") << QByteArray(R"({"share": {"a": [0.2, 0.3]}})") << true
                                << "0.250 (50 of 200 attempts)";
    QTest::newRow("share not held") << QByteArray(R"({"share": {"a": [0, 0.05]}})") << false
                                    << "0.250 (50 of 200 attempts)";
    QTest::newRow("no 5xx fails on 3") << QByteArray(R"({"status": {"5xx": 0}})") << false << "3 (of 200 requests)";
    QTest::newRow("5xx at most 3") << QByteArray(R"({"status": {"5xx": [0, 3]}})") << true << "3 (of 200 requests)";
    QTest::newRow("requests at least 200") << QByteArray(R"({"requests": [200, null]})") << true << "200 requests";
    QTest::newRow("requests at least 201") << QByteArray(R"({"requests": [201]})") << false << "200 requests";
    QTest::newRow("ejected at some sample") << QByteArray(R"({"state": {"b": "ejected"}})") << true
                                            << QStringLiteral("1 of 3 samples match; ") + QString::fromUtf8(seen);
    QTest::newRow("eligible throughout fails")
        << QByteArray(R"({"state": {"b": {"is": "eligible", "during": "all"}}})") << false
        << QStringLiteral("2 of 3 samples match; ") + QString::fromUtf8(seen);
    QTest::newRow("eligible at the end") << QByteArray(R"({"state": {"b": {"is": "eligible", "during": "end"}}})")
                                         << true << QStringLiteral("2 of 3 samples match; ") + QString::fromUtf8(seen);
    QTest::newRow("a state between samples is seen")
        << QByteArray(R"({"state": {"b": "breaker-open"}})") << true
        << QStringLiteral("0 of 3 samples match; ") + QString::fromUtf8(seen);
    QTest::newRow("a latency needs responses")
        << QByteArray(R"({"latency": {"p99Ms": [0, 50]}})") << false << "no response in the window to measure";
}

void TestScenario::checksDecideFromDeltas()
{
    QFETCH(QByteArray, expect);
    QFETCH(bool, held);
    QFETCH(QString, observed);
    const ScenarioResult r =
        parseScenario(scenarioWith(R"([{"do": "watch", "expect": {"windowMs": 10, )" + expect.mid(1) + "}]"),
                      QStringLiteral("x.json"));
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.scenario.steps[0].checks.size(), 1);
    WindowObservation w;
    w.before = snapshotOf({{"a", 100}, {"b", 100}}, 200, 0);
    w.after = snapshotOf({{"a", 150}, {"b", 250}}, 400, 3);
    w.stateSamples[QStringLiteral("b")] = {
        {QStringLiteral("eligible")}, {QStringLiteral("ejected")}, {QStringLiteral("eligible")}};
    w.transitions[QStringLiteral("b")] = {QStringLiteral("breaker-open")};
    const CheckOutcome o = evaluateCheck(r.scenario.steps[0].checks[0], w);
    QCOMPARE(o.observed, observed);
    QCOMPARE(o.held, held);
}

void TestScenario::failingExpectationFailsTheRun()
{
    // Round robin over two backends gives each half: "a gets at most 5 %" cannot hold.
    Scenario s = runnable(R"([
        {"do": "traffic", "traffic": {"connections": 2, "ratePerSecond": 200}},
        {"do": "watch", "expect": {"windowMs": 600, "share": {"a": [0, 0.05]}, "status": {"5xx": 0}}}])");
    Lab lab(s.lab);
    ScenarioPlayer player(&lab, s);
    QSignalSpy finished(&player, &ScenarioPlayer::finished);
    QSignalSpy results(&player, &ScenarioPlayer::expectationResult);
    QVERIFY(player.play());
    QVERIFY(finished.wait(10'000));
    QCOMPARE(finished.first().first().toBool(), false);
    QCOMPARE(results.size(), 2);
    QCOMPARE(results[0][2].toBool(), false); // the share
    QVERIFY2(results[0][3].toString().contains(QStringLiteral("attempts")), qPrintable(results[0][3].toString()));
    QCOMPARE(results[1][2].toBool(), true); // no 5xx
    QVERIFY(!player.runtimeFailed());
    const QJsonObject report = player.report();
    QCOMPARE(report.value(QStringLiteral("allHeld")).toBool(true), false);
}

void TestScenario::skipToAppliesTheStepsBeforeAndRestartPlaysAll()
{
    Scenario s = runnable(R"([
        {"do": "stop", "backend": "b", "expect": {"windowMs": 1500, "state": {"b": "unhealthy"}}},
        {"do": "watch", "expect": {"windowMs": 300, "state": {"b": {"is": "stopped", "during": "all"}}}}])");
    Lab lab(s.lab);
    ScenarioPlayer player(&lab, s);
    QSignalSpy finished(&player, &ScenarioPlayer::finished);
    QSignalSpy started(&player, &ScenarioPlayer::stepStarted);
    QVERIFY(player.skipTo(1));
    QVERIFY(finished.wait(10'000));
    QCOMPARE(started.size(), 1);
    QCOMPARE(started.first().first().toInt(), 1);
    QVERIFY(player.records()[0].skipped);
    QVERIFY(!player.records()[0].checks[0].evaluated);
    QVERIFY(player.records()[1].checks[0].evaluated);
    QVERIFY2(player.records()[1].checks[0].held, qPrintable(player.records()[1].checks[0].observed)); // b stopped
    QCOMPARE(finished.first().first().toBool(), false); // a skipped check did not hold

    // From the beginning, on a fresh lab (b running again): every step plays and every check holds.
    QVERIFY(player.restart());
    QCOMPARE(player.records()[0].skipped, false);
    QVERIFY(finished.wait(10'000));
    QCOMPARE(started.size(), 3);
    QVERIFY2(finished.last().first().toBool(), QJsonDocument(player.report()).toJson().constData());
}

void TestScenario::actionsReachTheLab()
{
    // Each action's effect is what a later expectation measures, so a step the adapter got wrong fails.
    Scenario s = runnable(R"([
        {"do": "algorithm", "algorithm": "weighted-round-robin"},
        {"do": "weight", "backend": "a", "weight": 3},
        {"do": "traffic", "traffic": {"connections": 2, "ratePerSecond": 200}},
        {"do": "watch", "expect": {"windowMs": 800, "share": {"a": [0.65, 0.85]}}},
        {"do": "drain", "backend": "b", "expect": {"windowMs": 600, "share": {"b": [0, 0.02]},
                                                   "state": {"b": {"is": "draining", "during": "end"}}}},
        {"do": "undrain", "backend": "b"},
        {"do": "add", "as": "c", "expect": {"windowMs": 800, "share": {"c": [0.05, 0.4]},
                                            "state": {"c": {"is": "running", "during": "all"}}}},
        {"do": "health", "health": {"intervalMs": 100, "timeoutMs": 80, "rise": 1, "fall": 1, "expectBody": "nope"},
         "expect": {"windowMs": 1000, "state": {"a": "probe-down"}}},
        {"do": "stop-traffic"}])");
    Lab lab(s.lab);
    ScenarioPlayer player(&lab, s);
    QSignalSpy finished(&player, &ScenarioPlayer::finished);
    QVERIFY(player.play());
    QVERIFY(finished.wait(15'000));
    QVERIFY2(finished.first().first().toBool(), QJsonDocument(player.report()).toJson().constData());
    QCOMPARE(lab.backendCount(), 3); // c was added
    QCOMPARE(lab.config().algorithm, QStringLiteral("weighted-round-robin"));
    QCOMPARE(lab.config().health.expectBody, QStringLiteral("nope"));
}

void TestScenario::pauseFreezesTheTimeline()
{
    Scenario s = runnable(R"([
        {"do": "traffic", "traffic": {"connections": 1, "ratePerSecond": 100}},
        {"do": "watch", "expect": {"windowMs": 300, "requests": [1, null], "status": {"5xx": 0}}}])");
    Lab lab(s.lab);
    ScenarioPlayer player(&lab, s);
    QSignalSpy finished(&player, &ScenarioPlayer::finished);
    QSignalSpy started(&player, &ScenarioPlayer::stepStarted);
    QVERIFY(player.play());
    QTRY_COMPARE(started.size(), 2);
    player.pause();
    QCOMPARE(player.phase(), ScenarioPlayer::Phase::Paused);
    const qint64 frozenAt = player.scenarioNowMs();
    QVERIFY(!finished.wait(800)); // more than the whole window: paused, nothing ends
    QCOMPARE(player.scenarioNowMs(), frozenAt);
    QVERIFY(player.play());
    QVERIFY(finished.wait(5000));
    QVERIFY2(finished.first().first().toBool(), QJsonDocument(player.report()).toJson().constData());
}

void TestScenario::commandExitCodes_data()
{
    QTest::addColumn<QByteArray>("scenario");
    QTest::addColumn<QStringList>("extraArguments");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("inOutput");
    const QByteArray pass = "{" + kRunLab + R"(, "steps": [
        {"do": "traffic", "traffic": {"connections": 2, "ratePerSecond": 100}},
        {"do": "watch", "expect": {"windowMs": 500, "share": {"a": [0.3, 0.7]}, "status": {"5xx": 0}}}]})";
    const QByteArray fail = "{" + kRunLab + R"(, "steps": [
        {"do": "traffic", "traffic": {"connections": 2, "ratePerSecond": 100}},
        {"do": "watch", "expect": {"windowMs": 500, "share": {"a": [0, 0.05]}}}]})";
    QTest::newRow("all held") << pass << QStringList() << 0 << "scenario: all 2 expectations held";
    QTest::newRow("one failed") << fail << QStringList() << 1 << "FAILED share of a in [0, 0.05]: 0.";
    QTest::newRow("bad file") << scenarioWith(R"([{"do": "explode"}])") << QStringList() << 2
                              << "steps[0].do: unknown action \"explode\"";
    QTest::newRow("bad speed") << pass << QStringList{QStringLiteral("--speed"), QStringLiteral("0")} << 2
                               << "--speed must be a number from 0.1 to 100 (got '0')";
}

void TestScenario::commandExitCodes()
{
    QFETCH(QByteArray, scenario);
    QFETCH(QStringList, extraArguments);
    QFETCH(int, exitCode);
    QFETCH(QString, inOutput);
    const QString file = write(QStringLiteral("%1.json")
                                   .arg(QLatin1String(QTest::currentDataTag()))
                                   .replace(QLatin1Char(' '), QLatin1Char('-')),
                               scenario);
    const QString report = m_dir.filePath(QStringLiteral("report-%1.json").arg(exitCode));
    QProcess p;
    p.start(QStringLiteral(LAB_BINARY),
            QStringList{QStringLiteral("scenario"), file, QStringLiteral("--report"), report} + extraArguments);
    QVERIFY(p.waitForFinished(30'000));
    const QString out = QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError());
    QCOMPARE(p.exitCode(), exitCode);
    QVERIFY2(out.contains(inOutput), qPrintable(out));
    if (exitCode == 2) {
        if (qstrcmp(QTest::currentDataTag(), "bad file") == 0)
            QVERIFY2(out.contains(file), qPrintable(out)); // the error names the file
        return;
    }
    QFile f(report);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject r = QJsonDocument::fromJson(f.readAll()).object();
    QCOMPARE(r.value(QStringLiteral("allHeld")).toBool(), exitCode == 0);
    QCOMPARE(r.value(QStringLiteral("finished")).toBool(), true);
}

void TestScenario::commandSaysWhenAPortIsTaken()
{
    QTcpServer holder;
    QVERIFY(holder.listen(QHostAddress::LocalHost, 0));
    const QByteArray json = QStringLiteral(R"({"lab": {"listeners": [{"port": %1}],
        "backends": [{"name": "a", "port": 0, "embedded": true}]}, "steps": [{"do": "watch"}]})")
                                .arg(holder.serverPort())
                                .toUtf8();
    const QString file = write(QStringLiteral("taken.json"), json);
    QProcess p;
    p.start(QStringLiteral(LAB_BINARY), {QStringLiteral("scenario"), file});
    QVERIFY(p.waitForFinished(30'000));
    const QString err = QString::fromUtf8(p.readAllStandardError());
    QCOMPARE(p.exitCode(), 3);
    QVERIFY2(err.contains(QString::number(holder.serverPort())), qPrintable(err));
}

void TestScenario::lessonsAreBuiltIn()
{
    QList<int> numbers;
    for (const LessonInfo& l : builtInLessons()) {
        numbers << l.number;
        QVERIFY2(!l.title.isEmpty() && !l.summary.contains(QStringLiteral(": ")), qPrintable(l.summary));
    }
    QCOMPARE(numbers, (QList<int>{1, 4, 5, 6, 7}));
}

void TestScenario::lessonHoldsHeadless_data()
{
    QTest::addColumn<QString>("file");
    for (const LessonInfo& l : builtInLessons())
        QTest::newRow(qPrintable(l.title)) << l.file;
}

void TestScenario::lessonHoldsHeadless()
{
    QFETCH(QString, file);
    ScenarioResult r = loadScenario(file);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QVERIFY2(r.scenario.durationMs() <= 15'000, "a lesson CI plays must stay under ~15 s");
    for (const ScenarioStep& s : std::as_const(r.scenario.steps)) {
        QVERIFY2(!s.title.isEmpty() || s.action == StepAction::Watch || s.action == StepAction::StopTraffic ||
                     s.action == StepAction::Faults || s.action == StepAction::Retry,
                 qPrintable(s.describe()));
    }
    r.scenario.useAnyPorts();
    Lab lab(r.scenario.lab);
    ScenarioPlayer player(&lab, r.scenario);
    QSignalSpy finished(&player, &ScenarioPlayer::finished);
    QVERIFY(player.play());
    QVERIFY(finished.wait(int(r.scenario.durationMs()) + 10'000));
    // On failure, the checks that did not hold and what they saw (the whole report is long).
    QStringList failed;
    for (qsizetype i = 0; i < r.scenario.steps.size(); ++i) {
        for (qsizetype c = 0; c < r.scenario.steps[i].checks.size(); ++c) {
            const ScenarioPlayer::CheckRecord& rec = player.records()[i].checks[c];
            if (!rec.evaluated || !rec.held)
                failed << QStringLiteral("%1 %2: %3")
                              .arg(r.scenario.steps[i].checks[c].path, r.scenario.steps[i].checks[c].describe(),
                                   rec.evaluated ? rec.observed : QStringLiteral("not evaluated"));
        }
    }
    QVERIFY2(finished.first().first().toBool(), qPrintable(failed.join(QLatin1Char('\n'))));
}

QTEST_GUILESS_MAIN(TestScenario)
#include "tst_scenario.moc"
