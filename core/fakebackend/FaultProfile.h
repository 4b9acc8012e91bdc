#pragma once

#include <QString>
#include <QStringList>

class QRandomGenerator;

namespace lab {

// The fault knobs and the capacity model of a fake backend. A plain value: the backend copies it under a
// lock once per request, so changes made from another thread apply to the next request.
//
// A request's life in a fake backend (docs/config.md, "Capacity model"):
//   1. admission: over `capacity` requests in progress (waiting + in service + in their latency) -> 503
//      "over capacity"; else, when all `workers` are busy and `queue` requests already wait -> 503
//      "queue full";
//   2. waiting, first come first served, until a worker is free;
//   3. service: it holds a worker for its service time (the X-Lab-Cost-Ms header when present, else one
//      draw from serviceDist with mean serviceMs);
//   4. latency + jitter, which hold no worker (a network or a downstream wait), then the answer.
// /health bypasses steps 1-3 (probes see a busy backend as up), and a hanging backend never answers.
struct FaultProfile {
    int latencyMs = 0; // added before every answer (except when hanging)
    int jitterMs = 0; // plus a uniform random 0..jitterMs
    double errorRatePercent = 0; // share of non-health requests answered 500
    bool healthFails = false; // /health answers 503 while traffic is still served
    QStringList onlyPaths; // when non-empty, other paths get 404 (a path matches itself and below)
    int capacity = 0; // max requests in progress, whatever their phase; over it -> 503; 0 = unlimited
    int workers = 0; // requests in service at once; 0 = unlimited (nobody waits)
    int queue = 0; // requests waiting for a worker; one more -> 503 queue full
    int serviceMs = 0; // mean service time, for which a request holds a worker
    QString serviceDist = QStringLiteral("fixed"); // fixed | exp | lognormal (see kLognormalSigma)
    bool hang = false; // accept and read requests, never answer
    bool refuse = false; // stop listening (connection refused); state kept for the restart

    // The spread of lognormal service times: the log of a service time is normal with this standard
    // deviation (and its mean chosen so that the mean service time is serviceMs). 0.5 gives a tail like a
    // real service's: p99 ~ 3.2 x the median.
    static constexpr double kLognormalSigma = 0.5;
    // The request header that sets one request's service time, in ms (0..kMaxCostMs).
    static constexpr const char* kCostHeader = "X-Lab-Cost-Ms";
    static constexpr int kMaxCostMs = 600'000;

    bool operator==(const FaultProfile&) const = default;
    bool servesPath(const QString& path) const;
    // A service time drawn from serviceDist, in ms (fractional); 0 when serviceMs is 0.
    double drawServiceMs(QRandomGenerator& random) const;
    static QStringList serviceDistributions();
};

} // namespace lab
