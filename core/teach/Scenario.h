#pragma once

#include "config/LabConfig.h"
#include "loadgen/UserTraffic.h"
#include "proxy/StepGate.h"

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

namespace lab {

// A closed range of numbers; no max means no upper bound. Shares, counts and latencies all use it.
struct ValueRange {
    double min = 0;
    std::optional<double> max;
    bool contains(double v) const { return v >= min && (!max || v <= *max); }
    bool exact() const { return max && *max == min; } // one value: toString() says "= v"
    QString toString() const; // "[0, 0.05]", "[10, ∞)", "= 0"
};

// Instead of a fixed range: a value compared with the same value measured over an earlier step's window
// ("p99 below half of what round robin had"), so a lesson states a relation that holds on any machine
// rather than numbers that hold on one. See docs/scenarios.md, "Comparing with an earlier step".
struct CheckReference {
    QString stepId; // the earlier step's "id"
    int step = -1; // its index
    bool below = true; // below: value < times x reference; above: value > times x reference
    double times = 1;
    QString toString() const; // "below 0.5 × step round-robin's"
};

// One expectation of a step, checked over the step's window (see docs/scenarios.md, "Expectations").
struct ScenarioCheck {
    enum class Kind {
        Share, // the backend's share of the attempts the proxy made in the window
        Status, // how many responses of one class (1xx..5xx, or "failed": no response) clients got
        Requests, // how many requests the proxy took from clients
        Latency, // a percentile of the client-side latency the proxy measured, in ms
        State, // the backend's state (eligibility, probes, breaker, process) in the window
        Response, // the answer to this step's single request (do: request)
        Moved, // simulated users whose backend changed from before the step's action to the window's end
        Queue, // the most requests waiting for a worker at an embedded backend, sampled in the window
        Picks, // the order of the backends the balancer picked in the window
        ClientStatus, // how many responses of a class or a status code one traffic run's clients got
        ClientLatency, // a percentile of the latency one traffic run's clients measured, in ms
    };
    enum class During { Some, All, End }; // State: at some sample, at every sample, at the window's end

    Kind kind = Kind::Requests;
    QString path; // where in the file it was written, e.g. steps[3].expect.share.backend-8002
    QString backend; // Share, State, Queue: the scenario's name for it
    QString statusClass; // Status, ClientStatus: "1xx".."5xx" or "failed"; ClientStatus also "429" etc.
    double percentile = 0; // Latency, ClientLatency: 50, 90 or 99
    ValueRange range; // Share, Status, Requests, Latency, Queue, Client*; Response: the status code
    std::optional<CheckReference> reference; // Share, Latency, Queue, ClientLatency: instead of the range
    QStringList picks; // Picks: the scenario's backend names, in order
    QString run; // ClientStatus, ClientLatency: the traffic run's name
    QStringList states; // State: holds when the backend is in any of these
    During during = During::Some;
    QString bodyContains; // Response: a substring the body must contain (empty: not checked)
    // Moved: range is the fraction of the users that moved ([0, 1] when not given); when set, every user
    // that moved was on movedFrom before (and every user on it moved) / is on movedTo now (scenario names).
    QString movedFrom;
    QString movedTo;

    // A sentence for the learner: "share of backend-8002 in [0, 0.05]".
    QString describe() const;
};

// What a step does when its time comes. One value per "do" in docs/scenarios.md.
enum class StepAction {
    Watch, // nothing: only text and expectations
    Pause, // nothing for durationMs: let the lab settle
    Traffic, // start the traffic generator (stops a run already going)
    StopTraffic,
    Faults, // set an embedded backend's fault and capacity knobs (keys left out are off)
    Stop, // stop an embedded backend (connections refused)
    Start, // start it again
    Drain, // no new requests; those in flight finish
    Undrain, // back in rotation
    Add, // add an embedded backend, known to later steps by its "as" name
    Remove, // take a backend out of the pool
    Weight,
    Algorithm,
    Health, // the lab's active-check settings (keys left out take their defaults)
    Retry, // the proxy's retry settings (keys left out take their defaults)
    Request, // one request through the proxy; its answer is checked by expect.response
    StepMode, // step mode's scope (off, lab traffic, all clients): requests wait before their pick
    Step, // lets `count` held requests go, one pick at a time (the learner presses Step in the window)
    RateLimit, // the proxy's per-client token bucket (keys left out take their defaults)
};
const char* stepActionName(StepAction a);
QStringList stepActionNames();

// The traffic generator's profile, as a step writes it (the proxy's port is filled in when it runs).
struct TrafficProfile {
    int connections = 10;
    int ratePerSecond = 0; // 0: closed loop
    int durationMs = 0; // 0: until a stop-traffic step or the end of the scenario
    quint64 maxRequests = 0; // 0: no limit
    QByteArray method = "GET";
    QByteArray path = "/";
    QByteArray body;
    UserSpec users; // users.count >= 2: simulated users instead of connections (docs/scenarios.md)
    // A run's name: a traffic step with a name starts (or replaces) that run and leaves the others going,
    // so two clients can send at once. Empty: the scenario's one unnamed run.
    QString name;
    QHostAddress clientAddress; // a loopback source address (127.x.y.z) to send from; null: the system's
};

struct ScenarioStep {
    StepAction action = StepAction::Watch;
    // Scheduled on the scenario clock (ms from the start, before --speed): the action runs at startMs;
    // the step ends at endMs (its window or pause is over) and the next one may begin.
    qint64 startMs = 0;
    qint64 endMs = 0;
    // For the learner: a title, what to watch, why it happens, a question to think about.
    QString title;
    QString watch;
    QString why;
    QString question;

    QString id; // a name later steps' expectations compare with (CheckReference); empty: none
    QString backend; // the scenario's name (Faults .. Weight); for Add, the name later steps use
    TrafficProfile traffic; // Traffic; Request uses its method, path and body; StopTraffic its name
    bool stopsAllTraffic = true; // StopTraffic: every run, or only the one named traffic.name
    FaultProfile faults;
    HealthConfig health;
    RetryConfig retry;
    int weight = 1;
    QString algorithm;
    RateLimitConfig rateLimit;
    StepScope stepScope = StepScope::Off; // StepMode
    int count = 0; // Step: how many held requests to let go
    int intervalMs = 0; // Step: the scenario time between two steps the player makes itself
    // Pause: how long; Drain: how long in-flight requests get before a stop (0: no stop); Step: count x
    // intervalMs, the time the player takes to make its steps itself
    int durationMs = 0;
    int windowMs = 0; // how long the expectations watch, from startMs
    QList<ScenarioCheck> checks;

    // "stop backend-8002", "traffic 10 connections GET /" — what the step does, in a few words.
    QString describe() const;
};

// A lab and a timeline of steps with expectations: a lesson, or a test of the lab's behaviour.
struct Scenario {
    QString title;
    QString summary;
    LabConfig lab;
    QList<ScenarioStep> steps;

    qint64 durationMs() const { return steps.isEmpty() ? 0 : steps.last().endMs; }
    // Puts every listener and embedded backend on a free port (tests, CI, a machine where 8000 is taken).
    // Backends keep their names, so the steps still find them.
    void useAnyPorts();
};

struct ScenarioResult {
    Scenario scenario;
    QString error; // empty when ok; else one line per problem: "<file>: <json path>: <what is allowed>"
    bool ok() const { return error.isEmpty(); }
};

// Parses and validates a whole scenario: the "lab" key with the lab config's own parser, then every step
// (its action, its time, the backends it names, its expectations). Every problem is reported, not only
// the first.
ScenarioResult parseScenario(const QByteArray& json, const QString& sourceName);
ScenarioResult loadScenario(const QString& fileName);

} // namespace lab
