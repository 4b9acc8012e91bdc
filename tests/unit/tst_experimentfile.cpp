// Experiment files (docs/experiments.md) and the pure parts of an experiment: the parser's exact errors,
// the seeded workload, Erlang C and the result arithmetic. No sockets.
#include "experiment/ArmFigures.h"
#include "experiment/Experiment.h"
#include "experiment/ExperimentResults.h"
#include "experiment/ExperimentWorkload.h"
#include "experiment/QueueingTheory.h"

#include <QFile>
#include <QTest>
#include <cmath>

using namespace lab;

namespace {

// A valid experiment whose parts a row of the malformed table replaces (an empty part: the valid one).
QByteArray experimentJson(const QByteArray& workload = {}, const QByteArray& lab = {}, const QByteArray& arms = {},
                          const QByteArray& extra = {})
{
    return "{\"workload\": " + (workload.isEmpty() ? R"({"ratePerSecond": 50, "durationMs": 1000})" : workload) +
        ", \"lab\": " + (lab.isEmpty() ? R"({"backends": [{"name": "a"}, {"name": "b"}]})" : lab) +
        ", \"arms\": " + (arms.isEmpty() ? R"([{"name": "rr", "algorithm": "round-robin"}])" : arms) + extra + "}";
}

} // namespace

class TestExperimentFile final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void validFileParses();
    void builtInExperimentsParse();
    void malformed_data();
    void malformed();
    void sameSeedSamePlan();
    void planFollowsTheSpec_data();
    void planFollowsTheSpec();
    void erlangC_data();
    void erlangC();
    void mm1Percentiles();
    void jainIndex_data();
    void jainIndex();
    void keysMovedComparesLastBackends();
    void outcomesAddUp();
    void theoryBesideTheMeasurement_data();
    void theoryBesideTheMeasurement();
    void docsExplainEveryColumn();
};

void TestExperimentFile::validFileParses()
{
    const ExperimentResult r = parseExperiment(
        experimentJson(R"({"seed": 9, "arrival": "constant", "ratePerSecond": 40, "requests": 30, "users": 5,
                           "path": "/item/{1..9}", "cost": {"dist": "fixed", "meanMs": 3}})",
                       R"({"backends": [{"name": "a", "faults": {"workers": 2}}, {"name": "b"}]})",
                       R"([{"name": "rr", "algorithm": "round-robin"},
                           {"name": "lc + no retries", "algorithm": "least-connections", "retry": {"retries": 0}}])",
                       R"(, "timeline": [{"at": 500, "do": "stop", "backend": "b"}])"),
        QStringLiteral("x.json"));
    QVERIFY2(r.ok(), qPrintable(r.error));
    const Experiment& e = r.experiment;
    QCOMPARE(e.workload.seed, 9u);
    QCOMPARE(e.workload.arrival, ArrivalProcess::Constant);
    QCOMPARE(e.workload.requests, 30);
    QCOMPARE(e.workload.durationMs, 0); // the count alone ends it
    QCOMPARE(e.workload.cost, CostDistribution::Fixed);
    QCOMPARE(e.lab.backends.size(), 2);
    QVERIFY(e.lab.backends[0].embedded);
    QCOMPARE(e.lab.backends[0].port, 0);
    QCOMPARE(e.lab.backends[0].faults.workers, 2);
    QCOMPARE(e.lab.listeners.size(), 1); // added: one HTTP listener on a free port
    QCOMPARE(e.lab.listeners[0].port, 0);
    QCOMPARE(e.arms.size(), 2);
    QCOMPARE(e.arms[1].lab.algorithm, QStringLiteral("least-connections"));
    QCOMPARE(e.arms[1].lab.retry.retries, 0);
    QCOMPARE(e.arms[0].lab.retry.retries, RetryConfig{}.retries); // the lab's, untouched
    QCOMPARE(e.arms[1].overrides, (QStringList{QStringLiteral("algorithm"), QStringLiteral("retry")}));
    QCOMPARE(e.timeline.size(), 1);
    QCOMPARE(e.timeline[0].action, TimelineEvent::Action::Stop);
    QCOMPARE(e.expectedDurationMs(), 750); // 30 requests at 40/s
}

void TestExperimentFile::builtInExperimentsParse()
{
    const QList<ExperimentInfo> list = builtInExperiments();
    QCOMPARE(list.size(), 4);
    for (const ExperimentInfo& info : list) {
        const ExperimentResult r = loadExperiment(info.file);
        QVERIFY2(r.ok(), qPrintable(r.error));
        QVERIFY(!r.experiment.title.isEmpty());
        QVERIFY(r.experiment.arms.size() >= 2);
    }
    // The slow-backend experiment must fit the 2-minute budget: its arms' traffic alone is 60 s.
    const ExperimentResult slow = loadExperiment(QStringLiteral(":/experiments/slow-backend.json"));
    QCOMPARE(slow.experiment.expectedDurationMs() * slow.experiment.arms.size(), 60'000);
}

void TestExperimentFile::malformed_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("error");
    QTest::newRow("not json") << QByteArray("{\"workload\": ")
                              << QStringLiteral("e.json:1:14: not valid JSON: unterminated object");
    QTest::newRow("top level array") << QByteArray("[]")
                                     << QStringLiteral("e.json: the top level must be a JSON object");
    QTest::newRow("unknown top key") << experimentJson({}, {}, {}, R"(, "armz": [])")
                                     << QStringLiteral("e.json: armz: unknown key; allowed here: title, summary, "
                                                       "workload, lab, timeline, arms");
    QTest::newRow("no workload") << QByteArray(R"({"lab": {"backends": [{"name": "a"}]}, "arms": [{"name": "x"}]})")
                                 << QStringLiteral("e.json: workload: is required: the traffic every arm replays "
                                                   "(seed, arrival, ratePerSecond, ...)");
    QTest::newRow("rate zero") << experimentJson(R"({"ratePerSecond": 0, "durationMs": 1000})")
                               << QStringLiteral("e.json: workload.ratePerSecond: must be an integer from 1 to 5000 "
                                                 "(got 0)");
    QTest::newRow("bursts") << experimentJson(R"({"arrival": "bursts", "durationMs": 1000})")
                            << QStringLiteral("e.json: workload.arrival: must be one of constant, poisson (got "
                                              "\"bursts\")");
    QTest::newRow("no end") << experimentJson(R"({"durationMs": 0})")
                            << QStringLiteral("e.json: workload.durationMs: the workload needs an end: durationMs (1 "
                                              "to 600000) or requests (1 to 200000)");
    QTest::newRow("too many") << experimentJson(R"({"ratePerSecond": 5000, "durationMs": 600000})")
                              << QStringLiteral("e.json: workload.durationMs: 5000 requests/s for 600000 ms is "
                                                "3000000 requests; an experiment sends at most 200000 per arm");
    QTest::newRow("bad path") << experimentJson(R"({"durationMs": 1000, "path": "/item/{9..1}"})")
                              << QStringLiteral("e.json: workload.path: path template '/item/{9..1}': the range must "
                                                "be {LOW..HIGH} with 0 <= LOW <= HIGH <= 1000000000");
    QTest::newRow("cost dist") << experimentJson(R"({"durationMs": 1000, "cost": {"dist": "normal"}})")
                               << QStringLiteral("e.json: workload.cost.dist: must be one of fixed, exp, lognormal "
                                                 "(got \"normal\")");
    QTest::newRow("cost key") << experimentJson(R"({"durationMs": 1000, "cost": {"mean": 4}})")
                              << QStringLiteral("e.json: workload.cost.mean: unknown key; allowed here: dist, meanMs");
    QTest::newRow("users") << experimentJson(R"({"durationMs": 1000, "users": 251})")
                           << QStringLiteral("e.json: workload.users: must be an integer from 0 to 250 (got 251)");
    QTest::newRow("lab error") << experimentJson({}, R"({"backends": [{"name": "a", "weight": 0}]})")
                               << QStringLiteral("e.json: lab.backends[0].weight: must be an integer from 1 to 1000 "
                                                 "(got 0)");
    QTest::newRow("external backend") << experimentJson(
                                             {}, R"({"backends": [{"name": "a", "embedded": false, "port": 9}]})")
                                      << QStringLiteral("e.json: lab.backends[0].embedded: must be true: an experiment "
                                                        "runs its own fake backends (a fresh set per arm)");
    QTest::newRow("no backends") << experimentJson({}, R"({"backends": []})")
                                 << QStringLiteral("e.json: lab.backends: none; an experiment needs at least one "
                                                   "backend");
    QTest::newRow("no arms") << experimentJson({}, {}, "[]")
                             << QStringLiteral("e.json: arms: must list 1 to 12 arms (got 0)");
    QTest::newRow("arm without name") << experimentJson({}, {}, R"([{"algorithm": "random"}])")
                                      << QStringLiteral("e.json: arms[0].name: is required: a short label without "
                                                        "commas or line breaks (got nothing)");
    QTest::newRow("arm names twice") << experimentJson({}, {}, R"([{"name": "x"}, {"name": "x"}])")
                                     << QStringLiteral("e.json: arms[1].name: \"x\" names two arms; each arm needs its "
                                                       "own");
    QTest::newRow("arm unknown key") << experimentJson({}, {}, R"([{"name": "x", "backends": []}])")
                                     << QStringLiteral("e.json: arms[0].backends: unknown key; allowed here: name, "
                                                       "algorithm, hashKey, sticky, retry, outlierDetection, "
                                                       "circuitBreaker, health, timeouts, rateLimit");
    QTest::newRow("arm algorithm") << experimentJson({}, {}, R"([{"name": "x", "algorithm": "fastest"}])")
                                   << QStringLiteral("e.json: arms[0].algorithm: must be one of round-robin, "
                                                     "weighted-round-robin, least-connections, power-of-two-choices, "
                                                     "random, ip-hash, ring-hash, maglev, least-latency (got "
                                                     "\"fastest\")");
    QTest::newRow("arm retry") << experimentJson({}, {}, R"([{"name": "x", "retry": {"retries": -1}}])")
                               << QStringLiteral("e.json: arms[0].retry.retries: must be an integer from 0 to 10 (got "
                                                 "-1)");
    QTest::newRow("timeline order")
        << experimentJson(
               {}, {}, {},
               R"(, "timeline": [{"at": 500, "do": "stop", "backend": "a"}, {"at": 100, "do": "start", "backend": "a"}])")
        << QStringLiteral("e.json: timeline[1].at: events must be in time order (100 ms comes after 500 ms)");
    QTest::newRow("timeline backend") << experimentJson({}, {}, {},
                                                        R"(, "timeline": [{"at": 5, "do": "stop", "backend": "c"}])")
                                      << QStringLiteral("e.json: timeline[0].backend: unknown backend \"c\"; backends "
                                                        "at this moment: a, b");
    QTest::newRow("timeline add taken") << experimentJson({}, {}, {},
                                                          R"(, "timeline": [{"at": 5, "do": "add", "backend": "a"}])")
                                        << QStringLiteral("e.json: timeline[0].backend: the added backend needs a new "
                                                          "name (\"a\" is taken or empty)");
    QTest::newRow("timeline faults")
        << experimentJson({}, {}, {},
                          R"(, "timeline": [{"at": 5, "do": "faults", "backend": "a", "faults": {"workers": -2}}])")
        << QStringLiteral("e.json: timeline[0].faults.workers: must be an integer from 0 to 100000 (got -2)");
    QTest::newRow("timeline faults missing")
        << experimentJson({}, {}, {}, R"(, "timeline": [{"at": 5, "do": "faults", "backend": "a"}])")
        << QStringLiteral("e.json: timeline[0].faults: is required for do: faults "
                          "(the backend's new knobs)");
    QTest::newRow("duplicate key") << QByteArray(R"({"workload": {"durationMs": 1000, "durationMs": 2000},
"lab": {"backends": [{"name": "a"}]}, "arms": [{"name": "x"}]})")
                                   << QStringLiteral(
                                          "e.json: workload.durationMs: appears twice in one object (lines 1 "
                                          "and 1); each key may appear only once");
}

void TestExperimentFile::malformed()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, error);
    const ExperimentResult r = parseExperiment(json, QStringLiteral("e.json"));
    QCOMPARE(r.error, error);
}

void TestExperimentFile::sameSeedSamePlan()
{
    WorkloadSpec spec;
    spec.seed = 42;
    spec.users = 7;
    spec.path = "/item/{1..1000}";
    spec.durationMs = 5000;
    const std::vector<PlannedRequest> a = planWorkload(spec);
    const std::vector<PlannedRequest> b = planWorkload(spec);
    QVERIFY(a.size() > 300);
    QCOMPARE(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        QCOMPARE(a[i].atMs, b[i].atMs);
        QCOMPARE(a[i].user, b[i].user);
        QCOMPARE(a[i].path, b[i].path);
        QCOMPARE(a[i].costMs, b[i].costMs);
    }
    spec.seed = 43;
    const std::vector<PlannedRequest> c = planWorkload(spec);
    int samePaths = 0;
    for (size_t i = 0; i < qMin(a.size(), c.size()); ++i)
        samePaths += a[i].path == c[i].path ? 1 : 0;
    QVERIFY2(samePaths < 20, qPrintable(QString::number(samePaths))); // another seed, another sequence
}

void TestExperimentFile::planFollowsTheSpec_data()
{
    QTest::addColumn<int>("arrival");
    QTest::addColumn<int>("cost");
    QTest::newRow("poisson, exp") << int(ArrivalProcess::Poisson) << int(CostDistribution::Exponential);
    QTest::newRow("constant, fixed") << int(ArrivalProcess::Constant) << int(CostDistribution::Fixed);
    QTest::newRow("poisson, lognormal") << int(ArrivalProcess::Poisson) << int(CostDistribution::Lognormal);
}

void TestExperimentFile::planFollowsTheSpec()
{
    QFETCH(int, arrival);
    QFETCH(int, cost);
    WorkloadSpec spec;
    spec.arrival = ArrivalProcess(arrival);
    spec.cost = CostDistribution(cost);
    spec.costMeanMs = 20;
    spec.ratePerSecond = 200;
    spec.durationMs = 100'000; // 20000 requests: the sample means are within a few % of the spec
    spec.users = 4;
    const std::vector<PlannedRequest> plan = planWorkload(spec);
    QVERIFY(std::abs(double(plan.size()) - 20000) < 600);
    double sumCost = 0;
    double sumCostSquares = 0;
    std::array<int, 4> perUser{};
    for (size_t i = 0; i < plan.size(); ++i) {
        QVERIFY(plan[i].atMs < spec.durationMs);
        if (i > 0)
            QVERIFY(plan[i].atMs >= plan[i - 1].atMs);
        QVERIFY(plan[i].costMs >= 0);
        sumCost += plan[i].costMs;
        sumCostSquares += double(plan[i].costMs) * plan[i].costMs;
        ++perUser[size_t(plan[i].user)];
    }
    const double mean = sumCost / double(plan.size());
    const double cv = std::sqrt(sumCostSquares / double(plan.size()) - mean * mean) / mean;
    QVERIFY2(std::abs(mean - 20) < 0.6, qPrintable(QString::number(mean)));
    // The spread tells the distributions apart: exp has cv 1, lognormal (sigma 0.5) ~0.53, fixed 0.
    const double expectedCv = spec.cost == CostDistribution::Exponential ? 1.0
        : spec.cost == CostDistribution::Lognormal                       ? 0.533
                                                                         : 0.0;
    QVERIFY2(std::abs(cv - expectedCv) < 0.05, qPrintable(QString::number(cv)));
    for (int n : perUser)
        QVERIFY(std::abs(n - int(plan.size()) / 4) < 300);
    if (spec.arrival == ArrivalProcess::Constant) {
        QCOMPARE(plan[0].atMs, 0.0);
        QCOMPARE(plan[1].atMs, 5.0);
    }
}

void TestExperimentFile::erlangC_data()
{
    QTest::addColumn<double>("lambdaPerMs");
    QTest::addColumn<double>("serviceMs");
    QTest::addColumn<int>("servers");
    QTest::addColumn<double>("erlangC");
    QTest::addColumn<double>("meanWaitMs");
    // M/M/1: C = rho, Wq = rho S / (1 - rho).
    QTest::newRow("M/M/1 rho 0.5") << 0.05 << 10.0 << 1 << 0.5 << 10.0;
    QTest::newRow("M/M/1 rho 0.8") << 0.08 << 10.0 << 1 << 0.8 << 40.0;
    // M/M/2 with a = 1 erlang: C = 1/3, Wq = C / (2 mu - lambda) = 1/3 of a service time.
    QTest::newRow("M/M/2 a=1") << 0.1 << 10.0 << 2 << 1.0 / 3 << 10.0 / 3;
    // M/M/4 with a = 3 (rho 0.75): C = 0.5094 (tables), Wq = C / (4 mu - lambda) = C S.
    QTest::newRow("M/M/4 a=3") << 0.3 << 10.0 << 4 << 0.509434 << 5.09434;
}

void TestExperimentFile::erlangC()
{
    QFETCH(double, lambdaPerMs);
    QFETCH(double, serviceMs);
    QFETCH(int, servers);
    QFETCH(double, erlangC);
    QFETCH(double, meanWaitMs);
    const MmcQueue q(lambdaPerMs, serviceMs, servers);
    QVERIFY(q.stable());
    QVERIFY2(std::abs(q.probabilityOfWaiting() - erlangC) < 1e-5,
             qPrintable(QString::number(q.probabilityOfWaiting())));
    QVERIFY2(std::abs(q.meanWaitMs() - meanWaitMs) < 1e-4, qPrintable(QString::number(q.meanWaitMs())));
    QVERIFY(std::abs(q.meanResponseMs() - (meanWaitMs + serviceMs)) < 1e-4);
    QVERIFY(!MmcQueue(lambdaPerMs * 10, serviceMs, servers).stable());
}

void TestExperimentFile::mm1Percentiles()
{
    // M/M/1's response time is exponential with rate mu - lambda: p = 1 - exp(-(mu - lambda) t).
    const MmcQueue q(0.08, 10.0, 1);
    QVERIFY(std::abs(q.responsePercentileMs(50) - std::log(2.0) / 0.02) < 0.01);
    QVERIFY(std::abs(q.responsePercentileMs(99) - std::log(100.0) / 0.02) < 0.01);
    // A mixture of one queue is that queue; of two it lies between them.
    const MmcQueue fast(0.01, 10.0, 1);
    QVERIFY(std::abs(mixtureResponsePercentileMs({{1.0, q}}, 95) - q.responsePercentileMs(95)) < 0.01);
    const double mixed = mixtureResponsePercentileMs({{0.5, q}, {0.5, fast}}, 95);
    QVERIFY(mixed > fast.responsePercentileMs(95) && mixed < q.responsePercentileMs(95));
    QVERIFY(std::abs(mixtureMeanResponseMs({{0.5, q}, {0.5, fast}}) - (50 + 100.0 / 9) / 2) < 1e-6);
}

void TestExperimentFile::jainIndex_data()
{
    QTest::addColumn<QList<double>>("shares");
    QTest::addColumn<double>("index");
    QTest::newRow("even") << QList<double>{0.25, 0.25, 0.25, 0.25} << 1.0;
    QTest::newRow("one takes all") << QList<double>{1, 0, 0, 0} << 0.25;
    QTest::newRow("half and half of four") << QList<double>{0.5, 0.5, 0, 0} << 0.5;
    QTest::newRow("nothing") << QList<double>{0, 0} << 0.0;
}

void TestExperimentFile::jainIndex()
{
    QFETCH(QList<double>, shares);
    QFETCH(double, index);
    QCOMPARE(lab::jainIndex(shares), index);
}

void TestExperimentFile::keysMovedComparesLastBackends()
{
    Experiment e;
    e.workload.users = 4;
    std::vector<PlannedRequest> plan;
    std::vector<RequestOutcome> outcomes;
    // users 0..3 before 100 ms on backends a,b,a,b; after it user 0 moves to c (first answered on b while
    // the new one warmed up), user 3 never answers again. The key and the backend are what the backends'
    // echo says (the proxy's X-Served-By index is deliberately wrong here: it must not be read), and an
    // answer without a backend's echo (the proxy's own 503) does not count.
    const QList<std::tuple<double, int, QByteArray>> rows = {{10, 0, "a"},  {20, 1, "b"},  {30, 2, "a"},
                                                             {40, 3, "b"},  {110, 0, "b"}, {120, 1, "b"},
                                                             {130, 2, "a"}, {140, 0, "c"}, {150, 1, ""}};
    for (const auto& [at, user, backend] : rows) {
        PlannedRequest p;
        p.atMs = at;
        p.user = user;
        plan.push_back(p);
        RequestOutcome o;
        o.status = backend.isEmpty() ? 503 : 200;
        o.backend = 0;
        o.echoServer = backend;
        o.echoUser = backend.isEmpty() ? QByteArray() : "u" + QByteArray::number(user + 1);
        outcomes.push_back(o);
    }
    ArmResult arm;
    measureKeysMoved(e, QStringLiteral("client"), 100, plan, outcomes, &arm);
    QCOMPARE(arm.keysCompared, 3);
    QVERIFY(arm.keysMoved.has_value());
    QCOMPARE(*arm.keysMoved, 1.0 / 3);
    // The ideal: the new backend's fair share of the keys, or the leaving one's.
    QCOMPARE(idealKeysMoved(TimelineEvent::Action::Add, 4), 0.2);
    QCOMPARE(idealKeysMoved(TimelineEvent::Action::Stop, 4), 0.25);
    arm.keysMovedIdeal = 0.2;
    QCOMPARE(armFigureText(ArmFigure::KeysMoved, arm), QStringLiteral("33.3% (ideal 20.0%)"));
}

void TestExperimentFile::outcomesAddUp()
{
    // Every planned request lands in exactly one column: ok (2xx/3xx only), 4xx, a backend's 5xx, the
    // proxy's own 502/503/504 (no X-Served-By), timeout, failed (reset, no connection).
    std::vector<RequestOutcome> outcomes;
    const auto add = [&outcomes](int status, int backend, RequestOutcome::Failure failure, int times) {
        for (int i = 0; i < times; ++i) {
            RequestOutcome o;
            o.status = status;
            o.backend = backend;
            o.failure = failure;
            o.latencyMs = 5;
            outcomes.push_back(o);
        }
    };
    using F = RequestOutcome::Failure;
    add(200, 0, F::None, 50);
    add(304, 1, F::None, 3);
    add(404, 0, F::None, 4);
    add(500, 1, F::None, 6); // a backend's error: it names the backend
    add(503, 0, F::None, 2); // a backend's queue full
    add(502, -1, F::None, 5); // the proxy's: upstream failed
    add(503, -1, F::None, 7); // the proxy's: no backend eligible
    add(504, -1, F::None, 1); // the proxy's: upstream timeout
    add(0, -1, F::Timeout, 8);
    add(0, -1, F::Reset, 2);
    add(0, -1, F::Connect, 1);
    ArmResult arm;
    summariseOutcomes(outcomes, {QStringLiteral("a"), QStringLiteral("b")}, {QStringLiteral("a"), QStringLiteral("b")},
                      &arm);
    QCOMPARE(arm.requests, quint64(89));
    QCOMPARE(arm.ok(), quint64(53));
    QCOMPARE(arm.status4xx(), quint64(4));
    QCOMPARE(arm.backend5xx(), quint64(8));
    QCOMPARE(arm.proxy5xx, quint64(13));
    QCOMPARE(arm.timeouts, quint64(8));
    QCOMPARE(arm.failed(), quint64(3));
    QCOMPARE(arm.errors(), quint64(36));
    QCOMPARE(arm.ok() + arm.errors(), arm.requests);
    // The figures say the same, under the names the tables, arms.csv and results.json use.
    quint64 sum = 0;
    for (ArmFigure f : {ArmFigure::Ok, ArmFigure::Status4xx, ArmFigure::Backend5xx, ArmFigure::Proxy5xx,
                        ArmFigure::Timeouts, ArmFigure::Failed})
        sum += armFigureText(f, arm).toULongLong();
    QCOMPARE(sum, quint64(89));
    QCOMPARE(armFigureText(ArmFigure::Requests, arm), QStringLiteral("89"));
    const QList<QByteArray> csv = armsCsv({arm}).split('\n');
    const QList<QByteArray> header = csv[0].split(',');
    const QList<QByteArray> row = csv[1].split(',');
    QCOMPARE(row[header.indexOf("ok")], QByteArray("53"));
    QCOMPARE(row[header.indexOf("proxy_5xx")], QByteArray("13"));
    QCOMPARE(row[header.indexOf("5xx")], QByteArray("8"));
}

void TestExperimentFile::theoryBesideTheMeasurement_data()
{
    QTest::addColumn<double>("predicted");
    QTest::addColumn<double>("measured");
    QTest::addColumn<QString>("text");
    QTest::newRow("8% above") << 38.0 << 41.04 << QStringLiteral("38.0 (+8%)");
    QTest::newRow("below") << 50.0 << 44.0 << QStringLiteral("50.0 (-12%)");
    QTest::newRow("spot on") << 20.0 << 20.0 << QStringLiteral("20.0 (+0%)");
}

void TestExperimentFile::theoryBesideTheMeasurement()
{
    // The prediction sits right after the figure it predicts, with the measurement's distance from it.
    QFETCH(double, predicted);
    QFETCH(double, measured);
    QFETCH(QString, text);
    ArmResult arm;
    arm.meanMs = measured;
    TheoryResult t;
    t.model = QStringLiteral("M/M/1");
    t.meanResponseMs = predicted;
    arm.theory = t;
    QCOMPARE(armFigureText(ArmFigure::MmcMean, arm), text);
    const QList<ArmFigure> all = allArmFigures();
    QCOMPARE(all.indexOf(ArmFigure::MmcMean), all.indexOf(ArmFigure::Mean) + 1);
    QCOMPARE(all.indexOf(ArmFigure::MmcP99), all.indexOf(ArmFigure::P99) + 1);
    // Without a prediction: "n/a", and the reason reads as one sentence without nested brackets.
    ArmResult none;
    none.theoryNote = QStringLiteral("arrivals are not Poisson");
    QCOMPARE(armFigureText(ArmFigure::MmcMean, none), QStringLiteral("n/a"));
    Experiment e;
    e.workload.arrival = ArrivalProcess::Poisson;
    e.workload.cost = CostDistribution::Exponential;
    BackendConfig slow;
    slow.name = QStringLiteral("slow");
    slow.faults.workers = 1;
    slow.faults.latencyMs = 50;
    e.lab.backends << slow;
    QString why;
    QVERIFY(!predictArm(e, none, &why).has_value());
    QVERIFY2(!why.contains(QLatin1Char('(')), qPrintable(why));
    QVERIFY(!resultsTable(e, {none}).contains(QStringLiteral("(n/a (")));
}

void TestExperimentFile::docsExplainEveryColumn()
{
    // docs/experiments.md has one row per figure with its table, arms.csv and results.json names, and
    // names every other column of arms.csv and backends.csv.
    QFile f(QStringLiteral(LAB_SOURCE_DIR "/docs/experiments.md"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString docs = QString::fromUtf8(f.readAll());
    for (ArmFigure fig : allArmFigures()) {
        const ArmFigureInfo& info = armFigureInfo(fig);
        const QString row = QStringLiteral("| `%1` | `%2` | `%3` |")
                                .arg(QLatin1String(info.header), QLatin1String(info.csv), QLatin1String(info.json));
        QVERIFY2(docs.contains(row), qPrintable(row));
    }
    QStringList columns = QString::fromUtf8(armsCsv({}).trimmed()).split(QLatin1Char(','));
    columns << QString::fromUtf8(backendsCsv({}).trimmed()).split(QLatin1Char(','));
    for (const QString& c : std::as_const(columns))
        QVERIFY2(docs.contains(QStringLiteral("`%1`").arg(c)), qPrintable(c));
}

QTEST_GUILESS_MAIN(TestExperimentFile)
#include "tst_experimentfile.moc"
