#pragma once

#include "Experiment.h"
#include "WorkloadDriver.h"
#include "metrics/Metrics.h"

#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>
#include <optional>
#include <vector>

namespace lab {

// One backend's part in one arm.
struct BackendResult {
    QString name;
    int workers = 0; // its capacity model (FaultProfile) at the start
    quint64 served = 0; // responses naming it (X-Served-By), as the client saw them
    double share = 0; // served / all responses naming a backend
    quint64 attempts = 0; // requests that reached it, retries included (its own count: serviced + queue full)
    double attemptShare = 0; // attempts / all the backends' attempts
    // The share of its workers' time spent serving: the service time it gave (its own count) / (workers x
    // the run's time); -1 for a backend without a worker limit. What equal shares hide: a quarter of the
    // requests keeps a 4-worker backend 22 % busy and a 1-worker one 90 %.
    double busy = -1;
    int maxQueue = 0; // the longest line of requests waiting for a worker, sampled every 10 ms
    double meanMs = 0; // client-side latency of the responses it served
    LatencySummary latency;
};

// The queueing theory beside one arm (QueueingTheory.h): present when arrivals are Poisson, costs
// exponential and every backend a plain M/M/c (workers > 0, no latency or jitter, no timeline).
struct TheoryResult {
    QString model; // "M/M/1", "M/M/4", or "M/M/c per backend at its measured share"
    double utilisation = 0; // the busiest backend's rho
    double meanWaitMs = 0;
    double meanResponseMs = 0;
    double p95Ms = 0;
    double p99Ms = 0;
};

// What one arm measured. Latency is the client's: from each request's planned arrival to its last byte.
struct ArmResult {
    QString name;
    QString algorithm;
    quint64 requests = 0; // planned
    quint64 completed = 0; // answered (any status)
    std::array<quint64, 6> byClass{}; // [1..5] = 1xx..5xx, whoever wrote the response
    quint64 proxy5xx = 0; // of byClass[5]: the proxy's own 502/503/504 (no X-Served-By: no backend answered)
    quint64 resets = 0;
    quint64 timeouts = 0;
    quint64 connectFailures = 0;
    quint64 retries = 0; // attempts the proxy made after the first
    double elapsedMs = 0; // from the clock's start to the last answer
    double throughputPerSecond = 0; // completed / elapsed
    double meanMs = 0;
    LatencySummary latency;
    // The backends' own view of the same responses: time in the line plus time in service
    // (X-Lab-Wait-Ms + X-Lab-Service-Ms), what the queueing model's "response time" is. The client's
    // latency adds the proxy, the network and the machine's scheduling to it.
    quint64 queueTimed = 0; // responses that said both
    double queueMeanMs = 0;
    LatencySummary queueLatency;
    // The same requests, each at the backend that served it, through ideal first-come-first-served
    // queues with that backend's workers (no network, no timer lateness): what this very sample of
    // arrivals and costs gives, apart from the lab's overheads. Beside the theory it tells the sample's
    // luck (a few thousand requests of a queue at rho 0.8 scatter by 10-20 %) from the lab's error.
    double idealMeanMs = 0;
    double maxSendLagMs = 0; // how far behind its plan the client ever was (a sign of an overloaded machine)
    QList<BackendResult> backends;
    // (sum x)^2 / (n sum x^2) over the backends' shares: 1 = equal shares, 1/n = one backend took all. It
    // measures how evenly requests were split, not load or latency: equal shares to unequal backends is
    // what makes round robin slow on the slow-backend experiment (busiest() tells the load).
    double jainIndex = 0;
    int maxQueue = 0; // over the backends
    std::optional<TheoryResult> theory;
    QString theoryNote; // why there is no theory, when there is none
    // With a timeline that adds or stops a backend: of the keys (users, or paths when hashKey is path)
    // seen before and after the first such event, the share whose last backend before it differs from
    // their last one in the run (so a backend still warming up when the event came does not hide a move).
    // Measured from the backends' side: the key and the backend are what the serving backend's echo says
    // it received (X-Lab-User or the path) and who it is (server_id).
    std::optional<double> keysMoved;
    int keysCompared = 0;
    // What consistent hashing would move at best: 1/(n+1) when a backend joins n, 1/n when one of n leaves.
    double keysMovedIdeal = 0;
    std::vector<RequestOutcome> outcomes; // only when the runner keeps them (tests)
    QStringList outcomeBackends; // the names RequestOutcome::backend indexes (with outcomes)

    double percentileMs(double p) const { return latency.percentileMs(p); }
    // ok + status4xx() + backend5xx() + proxy5xx + timeouts + failed() = requests: every planned request
    // is in exactly one of them.
    quint64 ok() const { return byClass[2] + byClass[3]; }
    quint64 status4xx() const { return byClass[4]; }
    quint64 backend5xx() const { return byClass[5] - proxy5xx; }
    quint64 failed() const { return resets + connectFailures; } // no response: reset or no connection
    quint64 errors() const { return status4xx() + byClass[5] + timeouts + failed(); }
    quint64 attempts() const; // every request the backends received, retries included
    double load() const { return requests ? double(attempts()) / double(requests) : 0; } // attempts / requests
    double busiest() const; // the highest BackendResult::busy; -1 when no backend has a worker limit
};

// Fills an arm's client-side figures from the driver's outcomes. `backendOrder` lists the lab's backends
// (so ones that served nothing still count in shares and the fairness index).
void summariseOutcomes(const std::vector<RequestOutcome>& outcomes, const QStringList& outcomeBackends,
                       const QStringList& backendOrder, ArmResult* arm);
// Fills ArmResult::idealMeanMs: each answered request replayed at its planned arrival and cost through an
// ideal FCFS queue of the backend that served it (`workers` per backend name; 0 = unlimited, no wait).
void replayIdealQueues(const std::vector<PlannedRequest>& plan, const std::vector<RequestOutcome>& outcomes,
                       const QStringList& outcomeBackends, const QMap<QString, int>& workers, ArmResult* arm);
// The M/M/c prediction for an arm, from the backends' measured shares; nothing (and *why) when the
// experiment is not an M/M/c system.
std::optional<TheoryResult> predictArm(const Experiment& e, const ArmResult& arm, QString* why);
// The share of keys whose backend changed across `atMs` (the first add or stop of the timeline), from
// the backends' echo (RequestOutcome::echoServer and echoUser / echoPath: the runner turns echo on for it).
void measureKeysMoved(const Experiment& e, const QString& hashKey, double atMs, const std::vector<PlannedRequest>& plan,
                      const std::vector<RequestOutcome>& outcomes, ArmResult* arm);
// The ideal share of keys moved by the first add or stop of the timeline, with `backends` before it.
double idealKeysMoved(TimelineEvent::Action action, int backends);
double jainIndex(const QList<double>& shares);

// The arms side by side as monospaced text (the terminal's table; ResultsReport.cpp): latency with the
// M/M/c prediction beside it, requests by outcome, the backends, who won, and the footnotes.
QString resultsTable(const Experiment& e, const QList<ArmResult>& arms);
// One row per arm / per arm and backend, with a header line (the columns of ArmFigures.h, then the rest).
QByteArray armsCsv(const QList<ArmResult>& arms);
QByteArray backendsCsv(const QList<ArmResult>& arms);
// Everything, histograms included (non-empty buckets as [lower µs, upper µs, count]).
QJsonObject resultsJson(const Experiment& e, const QList<ArmResult>& arms);

} // namespace lab
