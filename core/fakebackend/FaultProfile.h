#pragma once

#include <QStringList>

namespace lab {

// The fault knobs of a fake backend. A plain value: the backend copies it under a lock once per request,
// so changes made from another thread apply to the next request.
struct FaultProfile {
    int latencyMs = 0; // added before every answer (except when hanging)
    int jitterMs = 0; // plus a uniform random 0..jitterMs
    double errorRatePercent = 0; // share of non-health requests answered 500
    bool healthFails = false; // /health answers 503 while traffic is still served
    QStringList onlyPaths; // when non-empty, other paths get 404 (a path matches itself and below)
    int capacity = 0; // max requests in progress; over it -> 503; 0 = unlimited
    bool hang = false; // accept and read requests, never answer
    bool refuse = false; // stop listening (connection refused); state kept for the restart

    bool operator==(const FaultProfile&) const = default;
    bool servesPath(const QString& path) const;
};

} // namespace lab
