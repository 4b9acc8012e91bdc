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
    void stepStepLastsItsPresses();
    void lessonChecksDecide_data();
    void lessonChecksDecide();
    void failingExpectationFailsTheRun();
    void skipToAppliesTheStepsBeforeAndRestartPlaysAll();
    void actionsReachTheLab();
    void pauseFreezesTheTimeline();
    void playerStepsHeldRequestsInPickOrder_data();
    void playerStepsHeldRequestsInPickOrder();
    void learnerStepsAreWaitedFor();
    void twoRunsFromTheirOwnAddressesUnderARateLimit();
    void comparisonWithASkippedStepDoesNotHold();
    void commandExitCodes_data();
    void statusOverNoRequestsDoesNotHold();
    void waitingKeepsTheTrafficAndRechecks();
    void aCheckThatStopsHoldingWhileWaitingSaysSo();
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
           R"(stop, start, drain, undrain, add, remove, weight, algorithm, health, retry, request, step-mode, step, )"
           R"(rate-limit)";
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
           "id, backend";
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
           "state, queue, picks, clients, moved";
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

    // Step mode, rate limits, named traffic runs, ids and the expectations that use them.
    QTest::newRow("step-mode scope") << scenarioWith(R"([{"do": "step-mode", "scope": "sometimes"}])")
                                     << R"(x.json: steps[0].scope: must be one of off, lab-traffic, all-clients )"
                                        R"((got "sometimes"))";
    QTest::newRow("step-mode without scope")
        << scenarioWith(R"([{"do": "step-mode"}])")
        << "x.json: steps[0].scope: is required for do: step-mode; one of off, lab-traffic, all-clients";
    QTest::newRow("step without count")
        << scenarioWith(R"([{"do": "step"}])")
        << "x.json: steps[0].count: is required for do: step (how many held requests to let go, 1 to 1000)";
    QTest::newRow("step count 0") << scenarioWith(R"([{"do": "step", "count": 0}])")
                                  << "x.json: steps[0].count: must be an integer from 1 to 1000 (got 0)";
    QTest::newRow("step interval too short")
        << scenarioWith(R"([{"do": "step", "count": 2, "intervalMs": 10}])")
        << "x.json: steps[0].intervalMs: must be an integer from 50 to 60000 (got 10)";
    QTest::newRow("rate-limit without its object")
        << scenarioWith(R"([{"do": "rate-limit"}])")
        << "x.json: steps[0].rateLimit: is required for do: rate-limit (an object)";
    QTest::newRow("rate-limit key (the config's own check)")
        << scenarioWith(R"([{"do": "rate-limit", "rateLimit": {"requestsPerSecond": 5, "bogus": 1}}])")
        << "x.json: steps[0].rateLimit.bogus: unknown key; allowed here: requestsPerSecond, burst, key";
    QTest::newRow("client address off loopback")
        << scenarioWith(R"([{"do": "traffic", "traffic": {"clientAddress": "10.0.0.1"}}])")
        << "x.json: steps[0].traffic.clientAddress: must be an IPv4 loopback address from 127.0.0.1 to "
           "127.255.255.254, such as 127.0.0.20 (the lab only sends on loopback) (got \"10.0.0.1\")";
    QTest::newRow("client address not an address")
        << scenarioWith(R"([{"do": "traffic", "traffic": {"clientAddress": "127.0.0.300"}}])")
        << "x.json: steps[0].traffic.clientAddress: must be an IPv4 loopback address from 127.0.0.1 to "
           "127.255.255.254, such as 127.0.0.20 (the lab only sends on loopback) (got \"127.0.0.300\")";
    QTest::newRow("run name with a space")
        << scenarioWith(R"([{"do": "traffic", "traffic": {"name": "two words"}}])")
        << R"(x.json: steps[0].traffic.name: must be 1 to 32 letters, digits, '-' or '_' (got "two words"))";
    QTest::newRow("stop a run never started")
        << scenarioWith(
               R"([{"do": "traffic", "traffic": {"name": "polite"}}, {"do": "stop-traffic", "name": "greedy"}])")
        << R"(x.json: steps[1].name: unknown traffic run "greedy"; runs started by earlier steps: polite (leave )"
           R"(name out to stop them all))";
    QTest::newRow("clients of an unknown run")
        << scenarioWith(R"([{"do": "watch", "expect": {"windowMs": 10, "clients": {"x": {"status": {"2xx": 1}}}}}])")
        << R"(x.json: steps[0].expect.clients.x: unknown traffic run "x"; runs started by this or earlier steps: )"
           R"(none (a traffic step names its run with traffic.name))";
    QTest::newRow("clients: a status that is none")
        << scenarioWith(R"([{"do": "traffic", "traffic": {"name": "g"},
                             "expect": {"windowMs": 10, "clients": {"g": {"status": {"42x": 1}}}}}])")
        << "x.json: steps[0].expect.clients.g.status.42x: unknown status; allowed: 1xx .. 5xx, failed (no "
           "response), or a status code from 100 to 599 such as 429";
    QTest::newRow("clients: an empty object")
        << scenarioWith(
               R"([{"do": "traffic", "traffic": {"name": "g"}, "expect": {"windowMs": 10, "clients": {"g": {}}}}])")
        << "x.json: steps[0].expect.clients.g: has no expectation; give status or latency";
    QTest::newRow("picks name an unknown backend")
        << scenarioWith(R"([{"do": "watch", "expect": {"windowMs": 10, "picks": ["a", "z"]}}])")
        << R"(x.json: steps[0].expect.picks[1]: unknown backend "z"; backends at this step: a, b, ext)";
    QTest::newRow("picks empty")
        << scenarioWith(R"([{"do": "watch", "expect": {"windowMs": 10, "picks": []}}])")
        << "x.json: steps[0].expect.picks: must be a list of 1 to 100 backend names, in the order the balancer "
           "picks them (got 0 names)";
    QTest::newRow("queue of an external backend")
        << scenarioWith(R"([{"do": "watch", "expect": {"windowMs": 10, "queue": {"ext": [0, 3]}}}])")
        << R"(x.json: steps[0].expect.queue.ext: "ext" is an external backend; queues are measured at embedded )"
           R"(backends (their workers and queue, docs/config.md))";
    QTest::newRow("compare with an id nobody has")
        << scenarioWith(R"([{"do": "watch", "id": "first", "expect": {"windowMs": 10, "requests": [0]}},
                            {"do": "watch", "expect": {"windowMs": 10, "share": {"a": {"below": "rr"}}}}])")
        << R"(x.json: steps[1].expect.share.a.below: no earlier step has the id "rr"; ids so far: first)";
    QTest::newRow("compare with the step itself")
        << scenarioWith(
               R"([{"do": "watch", "id": "me", "expect": {"windowMs": 10, "latency": {"p99Ms": {"above": "me"}}}}])")
        << R"(x.json: steps[0].expect.latency.p99Ms.above: no earlier step has the id "me"; ids so far: none)";
    QTest::newRow("compare with a step without a window")
        << scenarioWith(R"([{"do": "stop", "backend": "a", "id": "x"},
                            {"do": "watch", "expect": {"windowMs": 10, "queue": {"a": {"below": "x"}}}}])")
        << R"(x.json: steps[1].expect.queue.a.below: step "x" (steps[0]) has no expect window, so it measured )"
           R"(nothing to compare with)";
    QTest::newRow("compare both ways")
        << scenarioWith(R"([{"do": "watch", "id": "x", "expect": {"windowMs": 10, "requests": [0]}},
                            {"do": "watch", "expect": {"windowMs": 10, "share": {"a": {"below": "x", "above": "x"}}}}])")
        << "x.json: steps[1].expect.share.a: give below or above: the id of an earlier step whose window measured "
           "the same value (and times, a factor, default 1)";
    QTest::newRow("compare times 0")
        << scenarioWith(R"([{"do": "watch", "id": "x", "expect": {"windowMs": 10, "requests": [0]}},
                            {"do": "watch", "expect": {"windowMs": 10, "share": {"a": {"below": "x", "times": 0}}}}])")
        << "x.json: steps[1].expect.share.a.times: must be a number above 0 and at most 1000 (got 0)";
    QTest::newRow("an id twice") << scenarioWith(R"([{"do": "watch", "id": "x"}, {"do": "watch", "id": "x"}])")
                                 << R"(x.json: steps[1].id: steps[0] has the id "x" already; ids must be unique)";
    QTest::newRow("an id with a space") << scenarioWith(R"([{"do": "watch", "id": "a b"}])")
                                        << R"(x.json: steps[0].id: must be 1 to 32 letters, digits, '-' or '_' )"
                                           R"((got "a b"))";
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

void TestScenario::stepStepLastsItsPresses()
{
    const ScenarioResult r = parseScenario(scenarioWith(R"([
        {"do": "step-mode", "scope": "lab-traffic"},
        {"do": "step", "count": 3, "intervalMs": 200, "expect": {"windowMs": 100, "picks": ["a"]}},
        {"do": "step", "count": 2, "expect": {"windowMs": 5000, "picks": ["b"]}},
        {"do": "step-mode", "scope": "off"}])"),
                                           QStringLiteral("x.json"));
    QVERIFY2(r.ok(), qPrintable(r.error));
    const QList<ScenarioStep>& s = r.scenario.steps;
    QCOMPARE(s[0].stepScope, StepScope::LabTraffic);
    QCOMPARE(s[1].count, 3);
    QCOMPARE(s[1].endMs - s[1].startMs, 600); // three presses 200 ms apart, longer than the window
    QCOMPARE(s[2].intervalMs, 500); // the default
    QCOMPARE(s[2].endMs - s[2].startMs, 5000); // the window, longer than two presses
    QCOMPARE(s[3].stepScope, StepScope::Off);
    QCOMPARE(s[1].checks.first().picks, QStringList{QStringLiteral("a")});
}

void TestScenario::lessonChecksDecide_data()
{
    QTest::addColumn<QByteArray>("expect");
    QTest::addColumn<bool>("held");
    QTest::addColumn<QString>("observed");
    // This window: a 60 and b 140 new attempts; a's queue sampled 0, 4, 9, 2; picks a a b; run g got 30
    // 200s and 70 429s, run p 10 200s. The step "before" (the reference): a 100 and b 100; a's queue at
    // most 20; run g's latency 100 ms, this window's 10 ms.
    QTest::newRow("queue at most 9 is in [5, 10]")
        << QByteArray(R"({"queue": {"a": [5, 10]}})") << true << "9 at most (4 samples)";
    QTest::newRow("queue 9 is not in [0, 3]")
        << QByteArray(R"({"queue": {"a": [0, 3]}})") << false << "9 at most (4 samples)";
    QTest::newRow("queue below half of the earlier step's")
        << QByteArray(R"({"queue": {"a": {"below": "before", "times": 0.5}}})") << true
        << "9 at most (4 samples); step before had 20 at most (2 samples), so the bound is 10";
    QTest::newRow("queue not below 0.4 of it")
        << QByteArray(R"({"queue": {"a": {"below": "before", "times": 0.4}}})") << false
        << "9 at most (4 samples); step before had 20 at most (2 samples), so the bound is 8";
    QTest::newRow("share below the earlier step's")
        << QByteArray(R"({"share": {"a": {"below": "before"}}})") << true
        << "0.300 (60 of 200 attempts); step before had 0.500 (100 of 200 attempts), so the bound is 0.5";
    QTest::newRow("share not above the earlier step's")
        << QByteArray(R"({"share": {"a": {"above": "before"}}})") << false
        << "0.300 (60 of 200 attempts); step before had 0.500 (100 of 200 attempts), so the bound is 0.5";
    QTest::newRow("picks begin with a a") << QByteArray(R"({"picks": ["a", "a"]})") << true << "a a b (3 picks)";
    QTest::newRow("picks out of order") << QByteArray(R"({"picks": ["a", "b", "a"]})") << false
                                        << "a a b (3 picks); pick 2 was a, not b";
    QTest::newRow("more picks than seen")
        << QByteArray(R"({"picks": ["a", "a", "b", "a"]})") << false << "a a b (3 picks)";
    QTest::newRow("a run's 429s") << QByteArray(R"({"clients": {"g": {"status": {"429": [50, null]}}}})") << true
                                  << "70 (of 100 answered or failed)";
    QTest::newRow("a run's 2xx class") << QByteArray(R"({"clients": {"g": {"status": {"2xx": [31, null]}}}})") << false
                                       << "30 (of 100 answered or failed)";
    QTest::newRow("the other run has no 429")
        << QByteArray(R"({"clients": {"p": {"status": {"429": 0}}}})") << true << "0 (of 10 answered or failed)";
    // 10.1, not 10.0: the run's histogram has seen 100 ms too, so the bucket is interpolated up to its edge.
    QTest::newRow("a run's latency below a fifth of the earlier step's")
        << QByteArray(R"({"clients": {"g": {"latency": {"p50Ms": {"below": "before", "times": 0.2}}}}})") << true
        << "10.1 ms over 100 responses; step before had 100.0 ms over 50 responses, so the bound is 20";
}

void TestScenario::lessonChecksDecide()
{
    QFETCH(QByteArray, expect);
    QFETCH(bool, held);
    QFETCH(QString, observed);
    const ScenarioResult r = parseScenario(scenarioWith(R"([
        {"do": "traffic", "id": "before", "traffic": {"name": "g"}, "expect": {"windowMs": 10, "requests": [0, null]}},
        {"do": "traffic", "traffic": {"name": "p"}},
        {"do": "watch", "expect": {"windowMs": 10, )" + expect.mid(1) +
                                                        "}]"),
                                           QStringLiteral("x.json"));
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.scenario.steps[2].checks.size(), 1);
    const auto totals = [](quint64 ok, quint64 limited, quint64 ms) {
        LoadTotals t;
        t.completed = ok + limited;
        t.byClass[2] = ok;
        t.byClass[4] = limited;
        if (ok)
            t.byStatus.insert(200, ok);
        if (limited)
            t.byStatus.insert(429, limited);
        LatencyHistogram h;
        for (quint64 i = 0; i < ok + limited; ++i)
            h.record(ms * 1000);
        t.latency.add(h);
        return t;
    };
    WindowObservation earlier;
    earlier.before = snapshotOf({{"a", 0}, {"b", 0}}, 0, 0);
    earlier.after = snapshotOf({{"a", 100}, {"b", 100}}, 200, 0);
    earlier.queueSamples[QStringLiteral("a")] = {20, 3};
    earlier.runsBefore[QStringLiteral("g")] = LoadTotals{};
    earlier.runsAfter[QStringLiteral("g")] = totals(50, 0, 100);
    WindowObservation w;
    w.before = earlier.after;
    w.after = snapshotOf({{"a", 160}, {"b", 240}}, 400, 0);
    w.queueSamples[QStringLiteral("a")] = {0, 4, 9, 2};
    w.picks = QStringList{QStringLiteral("a"), QStringLiteral("a"), QStringLiteral("b")};
    // Run g's totals grow from the earlier window's (its latency histogram goes on); p starts here.
    const LoadTotals g = totals(30, 70, 10);
    LoadTotals gAfter = earlier.runsAfter.value(QStringLiteral("g"));
    gAfter.completed += g.completed;
    gAfter.byClass[2] += g.byClass[2];
    gAfter.byClass[4] += g.byClass[4];
    gAfter.byStatus[200] += g.byStatus.value(200);
    gAfter.byStatus[429] += g.byStatus.value(429);
    gAfter.latency.add(g.latency);
    w.runsBefore[QStringLiteral("g")] = earlier.runsAfter.value(QStringLiteral("g"));
    w.runsAfter[QStringLiteral("g")] = gAfter;
    w.runsBefore[QStringLiteral("p")] = LoadTotals{};
    w.runsAfter[QStringLiteral("p")] = totals(10, 0, 5);
    const CheckOutcome o = evaluateCheck(r.scenario.steps[2].checks[0], w, &earlier);
    QCOMPARE(o.observed, observed);
    QCOMPARE(o.held, held);
}

void TestScenario::statusOverNoRequestsDoesNotHold()
{
    // "No 5xx" over a window in which nothing was asked says nothing: it must not pass as if it held.
    const ScenarioResult r = parseScenario(
        scenarioWith(R"([{"do": "watch", "expect": {"windowMs": 10, "status": {"5xx": 0, "failed": 0}}}])"),
        QStringLiteral("x.json"));
    QVERIFY2(r.ok(), qPrintable(r.error));
    WindowObservation w;
    w.before = snapshotOf({{"a", 100}, {"b", 100}}, 200, 0);
    w.after = w.before;
    for (const ScenarioCheck& c : r.scenario.steps[0].checks) {
        const CheckOutcome o = evaluateCheck(c, w);
        QVERIFY2(!o.held, qPrintable(c.describe()));
        QCOMPARE(o.observed, QStringLiteral("no requests in the window: nothing to count"));
    }
    w.after = snapshotOf({{"a", 110}, {"b", 110}}, 220, 0);
    for (const ScenarioCheck& c : r.scenario.steps[0].checks)
        QVERIFY2(evaluateCheck(c, w).held, qPrintable(c.describe()));
}

void TestScenario::waitingKeepsTheTrafficAndRechecks()
{
    // The run is sized to end with the scenario (0.4 s + 1 s); the player waits 3 s for next(): the run is
    // extended, so the rechecks keep seeing its 100 a second and nothing is cut or restarted.
    Scenario s = runnable(R"([
        {"do": "traffic", "traffic": {"connections": 2, "ratePerSecond": 100},
         "expect": {"windowMs": 400, "requests": [15, null], "status": {"5xx": 0, "failed": 0}}},
        {"do": "stop-traffic"}])");
    Lab lab(s.lab);
    ScenarioPlayer player(&lab, s);
    player.setWaitBetweenSteps(true);
    QSignalSpy waiting(&player, &ScenarioPlayer::waitingForNextChanged);
    QSignalSpy results(&player, &ScenarioPlayer::expectationResult);
    QVERIFY(player.play());
    QVERIFY(waiting.wait(10'000));
    QVERIFY(player.waitingForNext());
    QCOMPARE(results.size(), 3);
    QTRY_VERIFY_WITH_TIMEOUT(player.records()[0].checks[0].rechecks >= 6, 15'000); // 6 windows of 0.4 s
    for (const ScenarioPlayer::CheckRecord& c : player.records()[0].checks) {
        QVERIFY2(c.held && !c.lapsed, qPrintable(c.observed));
        QVERIFY(c.rechecks >= 5);
    }
    QCOMPARE(results.size(), 3); // nothing changed its verdict
    QCOMPARE(lab.snapshot().listener.responsesByClass[0], 0ULL); // no request cut
    // The same run all along (a run started again would be younger than the wait, with new users).
    const QList<ScenarioTraffic::RunView> runs = player.runningTraffic();
    QCOMPARE(runs.size(), 1);
    QVERIFY2(runs.first().totals.elapsedMs >= 2400, qPrintable(QString::number(runs.first().totals.elapsedMs)));
    QCOMPARE(runs.first().totals.socketErrors, 0ULL);
    QSignalSpy finished(&player, &ScenarioPlayer::finished);
    player.next(); // the last step runs at once: finished may come inside next()
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10'000);
    QVERIFY2(finished.first().first().toBool(), QJsonDocument(player.report()).toJson().constData());
}

void TestScenario::aCheckThatStopsHoldingWhileWaitingSaysSo()
{
    // The run lasts 1.2 s; the step's check (20 requests in 0.5 s) held over its window, but while the
    // player waits the run ends: a later window sees no requests, and the check is no longer held.
    Scenario s = runnable(R"([
        {"do": "traffic", "traffic": {"connections": 2, "ratePerSecond": 100, "durationMs": 1200},
         "expect": {"windowMs": 500, "requests": [20, null]}},
        {"do": "watch"}])");
    Lab lab(s.lab);
    ScenarioPlayer player(&lab, s);
    player.setWaitBetweenSteps(true);
    QSignalSpy waiting(&player, &ScenarioPlayer::waitingForNextChanged);
    QSignalSpy results(&player, &ScenarioPlayer::expectationResult);
    QVERIFY(player.play());
    QVERIFY(waiting.wait(10'000));
    QCOMPARE(results.size(), 1);
    QVERIFY2(results[0][2].toBool(), qPrintable(results[0][3].toString()));
    QTRY_VERIFY_WITH_TIMEOUT(player.records()[0].checks[0].lapsed, 15'000);
    const ScenarioPlayer::CheckRecord& c = player.records()[0].checks[0];
    QVERIFY(!c.held);
    QVERIFY2(c.observed.contains(QStringLiteral("while the lesson waited")), qPrintable(c.observed));
    QCOMPARE(results.size(), 2);
    QCOMPARE(results[1][0].toInt(), 0);
    QCOMPARE(results[1][2].toBool(), false);
    QSignalSpy finished(&player, &ScenarioPlayer::finished);
    player.next();
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10'000);
    QCOMPARE(finished.first().first().toBool(), false); // the lesson does not end "all held"
    QVERIFY(!player.allHeld());
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

namespace {
// Smooth weighted round robin with weights 2, 1 picks a b a a b a; held one request at a time, released
// by the player, the picks come in that order (and a wrong order does not hold).
QByteArray stepModeSteps(const QByteArray& picks, int count)
{
    return QByteArray(R"([
        {"do": "algorithm", "algorithm": "weighted-round-robin"},
        {"do": "weight", "backend": "a", "weight": 2},
        {"do": "step-mode", "scope": "lab-traffic"},
        {"do": "traffic", "traffic": {"connections": 1}},
        {"do": "step", "count": )") +
        QByteArray::number(count) + R"(, "intervalMs": 100,
         "expect": {"windowMs": 100, "picks": )" +
        picks +
        R"(, "status": {"5xx": 0}}},
        {"do": "step-mode", "scope": "off"},
        {"do": "stop-traffic"}])";
}
} // namespace

void TestScenario::playerStepsHeldRequestsInPickOrder_data()
{
    QTest::addColumn<QByteArray>("picks");
    QTest::addColumn<bool>("held");
    QTest::newRow("a b a a b a") << QByteArray(R"(["a", "b", "a", "a", "b", "a"])") << true;
    QTest::newRow("a a b ... does not hold") << QByteArray(R"(["a", "a", "b", "a", "b", "a"])") << false;
}

void TestScenario::playerStepsHeldRequestsInPickOrder()
{
    QFETCH(QByteArray, picks);
    QFETCH(bool, held);
    Scenario s = runnable(stepModeSteps(picks, 6));
    Lab lab(s.lab);
    ScenarioPlayer player(&lab, s);
    QSignalSpy finished(&player, &ScenarioPlayer::finished);
    QSignalSpy progress(&player, &ScenarioPlayer::stepProgressChanged);
    QVERIFY(player.play());
    QVERIFY(finished.wait(20'000));
    const QList<ScenarioCheck>& checks = player.scenario().steps[4].checks;
    const auto isPicks = [](const ScenarioCheck& c) {
        return c.kind == ScenarioCheck::Kind::Picks;
    };
    const auto at = std::find_if(checks.begin(), checks.end(), isPicks);
    QVERIFY(at != checks.end());
    const ScenarioPlayer::CheckRecord& picked = player.records()[4].checks[int(at - checks.begin())];
    QVERIFY(picked.evaluated);
    QCOMPARE(picked.held, held);
    QVERIFY2(picked.observed.startsWith(QStringLiteral("a b a a b a")), qPrintable(picked.observed));
    QCOMPARE(finished.first().first().toBool(), held);
    QVERIFY(!player.runtimeFailed());
    QVERIFY(progress.size() >= 6); // one per pick at least
    QCOMPARE(lab.stepScope(), StepScope::Off);
    QVERIFY(lab.heldRequests().isEmpty());
}

void TestScenario::learnerStepsAreWaitedFor()
{
    Scenario s = runnable(stepModeSteps(R"(["a", "b", "a"])", 3));
    Lab lab(s.lab);
    ScenarioPlayer player(&lab, s);
    player.setLearnerSteps(true);
    QSignalSpy finished(&player, &ScenarioPlayer::finished);
    QVERIFY(player.play());
    // The step's 300 ms are over and nobody pressed: the clock waits at its end for the learner.
    QTRY_VERIFY_WITH_TIMEOUT(player.stepProgress().clockWaiting, 10'000);
    QVERIFY(player.stepProgress().byLearner);
    QCOMPARE(player.stepProgress().picked, 0);
    const qint64 waitingAt = player.scenarioNowMs();
    QVERIFY(!finished.wait(600));
    QCOMPARE(player.scenarioNowMs(), waitingAt);
    QCOMPARE(player.currentStep(), 4);
    // One press by the learner (the Flow tab's Step calls the same), then the lesson presses the rest.
    QTRY_VERIFY(!lab.heldRequests().isEmpty());
    QVERIFY(lab.stepOnce());
    QTRY_COMPARE(player.stepProgress().picked, 1);
    QVERIFY(!finished.wait(400));
    player.stepForLearner();
    QVERIFY(!player.stepProgress().byLearner);
    QVERIFY(finished.wait(10'000));
    QVERIFY2(finished.first().first().toBool(), QJsonDocument(player.report()).toJson().constData());
}

void TestScenario::twoRunsFromTheirOwnAddressesUnderARateLimit()
{
    // The limiter keys by client address: the greedy run (127.0.0.20) runs out of tokens, the polite one
    // (127.0.0.30) never does. Had both come from one address, the polite run would get 429s too.
    // After greedy stops, a count of greedy's statuses would be over no requests, which does not hold
    // ("nothing to count"); that greedy is silent is the window's request count instead: polite's 3 a
    // second make 3 or 4 in 1.2 s, greedy's 100 a second would make over 100. The window opens 300 ms
    // after the stop, when greedy's requests in flight (stop lets them be answered) have their answers.
    Scenario s = runnable(R"([
        {"do": "rate-limit", "rateLimit": {"requestsPerSecond": 10, "burst": 10}},
        {"do": "traffic", "traffic": {"name": "greedy", "clientAddress": "127.0.0.20", "connections": 4,
                                      "ratePerSecond": 100}},
        {"do": "traffic", "traffic": {"name": "polite", "clientAddress": "127.0.0.30", "connections": 1,
                                      "ratePerSecond": 3}},
        {"do": "watch", "expect": {"windowMs": 1500, "clients": {
            "greedy": {"status": {"429": [50, null], "2xx": [1, 40]}},
            "polite": {"status": {"429": 0, "2xx": [1, null], "failed": 0}}}}},
        {"do": "stop-traffic", "name": "greedy"},
        {"do": "watch", "after": 300, "expect": {"windowMs": 1200, "requests": [1, 8], "clients": {
            "polite": {"status": {"2xx": [1, null], "429": 0, "failed": 0}}}}},
        {"do": "rate-limit", "rateLimit": {}},
        {"do": "stop-traffic"}])");
    Lab lab(s.lab);
    ScenarioPlayer player(&lab, s);
    QSignalSpy finished(&player, &ScenarioPlayer::finished);
    QVERIFY(player.play());
    QVERIFY(finished.wait(20'000));
    QVERIFY2(finished.first().first().toBool(), QJsonDocument(player.report()).toJson().constData());
    QVERIFY(!lab.config().rateLimit.enabled()); // {} turned it off again
}

void TestScenario::comparisonWithASkippedStepDoesNotHold()
{
    Scenario s = runnable(R"([
        {"do": "traffic", "traffic": {"connections": 2, "ratePerSecond": 100}},
        {"do": "watch", "id": "first", "expect": {"windowMs": 500, "requests": [1, null]}},
        {"do": "watch", "expect": {"windowMs": 500, "share": {"a": {"below": "first", "times": 2}}}}])");
    Lab lab(s.lab);
    ScenarioPlayer player(&lab, s);
    QSignalSpy finished(&player, &ScenarioPlayer::finished);
    QVERIFY(player.skipTo(2));
    QVERIFY(finished.wait(10'000));
    const ScenarioPlayer::CheckRecord& c = player.records()[2].checks[0];
    QVERIFY(c.evaluated);
    QVERIFY(!c.held);
    QVERIFY2(c.observed.contains(QStringLiteral("step first was skipped")), qPrintable(c.observed));
    // Played whole, the first window measured a's share (about half): below twice that holds.
    QVERIFY(player.restart());
    QVERIFY(finished.wait(10'000));
    QVERIFY2(finished.last().first().toBool(), QJsonDocument(player.report()).toJson().constData());
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
    QByteArray none = fail;
    none.replace("[0, 0.05]", "[0, 0]");
    QTest::newRow("none expected") << none << QStringList() << 1 << "FAILED share of a = 0: 0."; // not "in = 0"
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
    QCOMPARE(numbers, (QList<int>{1, 2, 3, 4, 5, 6, 7, 8}));
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
