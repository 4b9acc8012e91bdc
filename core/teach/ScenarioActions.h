#pragma once

#include "lab/BackendId.h"

#include "metrics/Metrics.h"

#include <QHash>
#include <QString>
#include <QStringList>

namespace lab {

class Lab;
struct LabConfig;
struct ScenarioStep;

// The balancer's picks since a point of the proxy's lifecycle stream (ScenarioActions::picksSince).
struct PickBatch {
    struct Pick {
        QString backend; // the lab's name
        int attempt = 1; // 1: the request's first pick; more: a retry's
    };
    QList<Pick> picks; // oldest first
    quint64 cursor = 0; // pass it to the next call
    quint64 notFollowed = 0; // requests the stream did not follow since it began (it samples over ~60/s)
    bool lost = false; // the ring overwrote events before they were read
};

// Every call a scenario makes into the Lab, in this one file pair: the player and the checks speak in the
// scenario's backend names, this adapter turns them into whatever the Lab's API takes (rows today), so a
// change of that API is an edit here only. Lives on the lab's thread.
class ScenarioActions final {
public:
    explicit ScenarioActions(Lab& lab);

    // Starts the embedded backends and the proxies. False with the lab's sentence (a port in use...).
    bool startLab(QString* error);
    // Replaces the running lab with `config` (restart) and starts it.
    bool resetLab(const LabConfig& config, QString* error);
    // Stops the lab's backends and proxies (the scenario is over).
    void stopLab();
    // Runs a step's action on the lab: faults, stop, start, drain, undrain, add, remove, weight,
    // algorithm, health, retry, step-mode, rate-limit. The player runs traffic, request, step, pause and
    // watch itself. False with a sentence when the lab refused.
    bool apply(const ScenarioStep& step, QString* error);

    // The HTTP listener's port (where traffic and requests go); 0 when the proxy is not running.
    quint16 proxyPort() const;
    MetricsSnapshot snapshot() const;
    // The lab's name for a backend the scenario names (an added backend's name is the lab's choice).
    QString labName(const QString& scenarioName) const;
    // The states docs/scenarios.md lists, that the backend is in now: its eligibility, "ejected" and the
    // breaker's state whatever takes precedence, the probes' verdict, and an embedded backend's process.
    // Empty when the lab has no such backend.
    QStringList statesOf(const QString& scenarioName) const;
    // The states the backend entered since `sinceMs` (the pool's clock, nowMs()) by its health timeline:
    // ejected, breaker-open, half-open, breaker-closed, probe-down, probe-up, slow-start. A state that
    // lasts less than a sampling interval (a half-open breaker's few trials) is still seen.
    QStringList transitionsSince(const QString& scenarioName, qint64 sinceMs) const;
    qint64 nowMs() const;

    // Step mode: lets the oldest held request go on to its pick (false when none waits).
    bool stepOnce();
    // The HTTP proxy's lifecycle stream from `cursor` on; pickCursor() is where it ends now (0 without
    // a proxy). A new proxy (the lab reloaded) starts a new stream: take a new cursor then.
    PickBatch picksSince(quint64 cursor) const;
    quint64 pickCursor() const;
    // Requests waiting for a worker now at each embedded backend, by the lab's name.
    QHash<QString, int> queueDepths() const;

private:
    BackendId idOf(const QString& scenarioName) const;

    Lab& m_lab;
    QHash<QString, QString> m_added; // scenario name -> lab name, for backends added by steps
};

} // namespace lab
