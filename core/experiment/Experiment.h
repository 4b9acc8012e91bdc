#pragma once

#include "config/LabConfig.h"
#include "loadgen/UserTraffic.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

namespace lab {

// How each request's service cost is drawn (the X-Lab-Cost-Ms the serving backend spends holding a worker).
enum class CostDistribution { Fixed, Exponential, Lognormal };

// The traffic of an experiment. Every arm replays the same seeded sequence (ExperimentWorkload.h): the
// same arrival times, users, paths and costs, so the arms differ only in what the proxy decides.
struct WorkloadSpec {
    static constexpr int kMaxRatePerSecond = 5000;
    static constexpr int kMaxDurationMs = 10 * 60 * 1000;
    static constexpr int kMaxRequests = 200'000;
    static constexpr int kMaxCostMs = 60'000;
    static constexpr int kMaxRequestTimeoutMs = 120'000;

    quint32 seed = 1;
    ArrivalProcess arrival = ArrivalProcess::Poisson; // constant or poisson (loadgen/UserTraffic.h)
    int ratePerSecond = 100;
    int durationMs = 10'000; // arrivals stop after this long...
    int requests = 0; // ...or after this many (0: no count); the first of the two ends the workload
    int users = 0; // 0 or 1: one client; 2..250: simulated users, each from its own loopback address
    QByteArray method = "GET";
    QByteArray path = "/"; // may hold one range: "/item/{1..100}"
    CostDistribution cost = CostDistribution::Exponential;
    double costMeanMs = 10; // 0: no cost header (each backend's own serviceMs applies)
    int requestTimeoutMs = 30'000; // a request unanswered this long after its arrival counts as a timeout
};

// A change to the lab at a moment of every arm's run (the same moment in each).
struct TimelineEvent {
    enum class Action { Add, Stop, Start, Faults };
    int atMs = 0;
    Action action = Action::Faults;
    QString backend; // Stop, Start, Faults: the backend's name; Add: the name the new one is given
    FaultProfile faults; // Add, Faults
};

// One arm: the lab's settings for this run (an algorithm, or retries on/off...). `lab` is the
// experiment's lab with the arm's overrides applied, already validated.
struct ExperimentArm {
    QString name;
    QStringList overrides; // the lab config keys the arm sets ("algorithm", "retry")
    LabConfig lab;
};

struct Experiment {
    QString title;
    QString summary;
    WorkloadSpec workload;
    LabConfig lab; // listeners and embedded backends on port 0: every arm gets a fresh lab on free ports
    QList<TimelineEvent> timeline; // ordered by time
    QList<ExperimentArm> arms;

    // The workload's length in ms: the duration, or the time the request count is expected to take.
    qint64 expectedDurationMs() const;
};

struct ExperimentResult {
    Experiment experiment;
    QString error; // empty when ok; else one line per problem: "<file>: <json path>: <what is allowed>"
    bool ok() const { return error.isEmpty(); }
};

QString costName(CostDistribution c); // "fixed", "exp", "lognormal"

ExperimentResult parseExperiment(const QByteArray& json, const QString& sourceName);
ExperimentResult loadExperiment(const QString& fileName);

// The experiments the program carries (resources/experiments/*.json), as ":/experiments/NAME.json".
struct ExperimentInfo {
    QString file;
    QString title;
};
QList<ExperimentInfo> builtInExperiments();

} // namespace lab
