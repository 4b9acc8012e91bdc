#pragma once

#include "Scenario.h"
#include "ScenarioActions.h"
#include "ScenarioChecks.h"
#include "ScenarioTraffic.h"
#include "loadgen/ConsoleClient.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>
#include <memory>
#include <optional>

class QTimer;

namespace lab {

class Lab;

// A check about the traffic over a window, true of a steady state: measured again while a window lesson
// waits for Next (ScenarioPlayerLearner.cpp).
bool rechecksWhileWaiting(const ScenarioCheck& c);

// Plays a scenario against a Lab: each step's action at its time, then its expectations over its window.
// Lives on the lab's thread and is driven by QTimers, so the window can play, pause, restart and skip
// while the lab keeps serving; the headless `scenario` command plays it through to finished().
//
// Time: the scenario's clock runs `speed` times as fast as the wall clock. Only the timeline is scaled
// (step times, windows, traffic durations, and a traffic rate, so a window's counts do not depend on the
// speed): the lab's own timers (probe interval, ejection time, breaker open time) run at their configured
// pace, so a scenario meant to run fast configures them short.
// Pausing freezes the timeline and the traffic (the lab keeps running); resuming inside a window watches
// that window again from its opening, so its counts never include the pause.
//
// A `step` step (step mode) ends when its window is over and its `count` held requests have been let go
// and picked. Who presses Step is the player's choice: itself, one press every intervalMs (headless, the
// default), or the learner (setLearnerSteps: the window, where the flow view shows each pick); when the
// window's time is up and picks are missing, the scenario clock waits at the window's end for them.
//
// Between steps (setWaitBetweenSteps: the window) the player can wait for the learner: when a step's
// window has closed and its checks are evaluated, the scenario clock stops there until next(), while
// the lab and the traffic keep going as they are (a run without a duration is extended while it waits,
// so it never ends and restarts under the learner's eyes), so the step's text can be read against the
// steady state it describes. The step's checks that measure traffic (share, status, requests, latency,
// queue, a client's status or latency) are evaluated again over each following window of the step's
// length while it waits: a check that held and then stops holding is recorded as not held, with what
// that window saw, so a lesson never ends "all held" beside a state its checks no longer describe.
// Checks of a moment (state, moved users, picks, a single response) are not rechecked. Headless
// never waits, unless told to (setWaitBetweenSteps, as `scenario --wait-ms` does).
//
// Every Lab call goes through ScenarioActions. Cost: one metrics snapshot per window edge, and a sample
// every kSampleMs while a window is open: the named backends' states, the embedded backends' queue
// depths, and (for picks and step steps) the proxy's lifecycle events since the last sample.
class ScenarioPlayer final : public QObject {
    Q_OBJECT
public:
    static constexpr double kMinSpeed = 0.1;
    static constexpr double kMaxSpeed = 100;
    static constexpr int kSampleMs = 50;

    enum class Phase { Idle, Running, Paused, Finished };

    struct CheckRecord {
        bool evaluated = false; // false: the step was skipped, or the run ended first
        bool held = false;
        QString observed;
        // While the lesson waited for Next: how many windows of the step's length the check held again,
        // and whether one did not (held is false then, and observed says what that window saw).
        int rechecks = 0;
        bool lapsed = false;
    };
    struct StepRecord {
        bool started = false;
        bool skipped = false;
        qint64 startedAtMs = -1; // on the scenario clock
        QString error; // the lab refused the action
        QList<CheckRecord> checks; // parallel to the step's checks
    };
    // Where the current `step` step stands (active false in any other step).
    struct StepProgress {
        bool active = false;
        bool byLearner = false; // the player waits for the learner's Step presses
        bool clockWaiting = false; // the window's time is over; the scenario clock waits for the picks
        int picked = 0; // requests released and picked since the step began
        int count = 0;
        QStringList picks; // the backends picked so far in the step's window, in order (the lab's names)
    };

    ScenarioPlayer(Lab* lab, Scenario scenario, QObject* parent = nullptr);
    ~ScenarioPlayer() override;
    Q_DISABLE_COPY_MOVE(ScenarioPlayer)

    const Scenario& scenario() const { return m_scenario; }
    // Clamped to kMinSpeed..kMaxSpeed; applies from now on (a traffic run going keeps its duration).
    void setSpeed(double factor);
    double speed() const { return m_speed; }

    // Idle or finished: loads the scenario's lab into the Lab, starts it and plays from step 0. Paused:
    // resumes. False with the lab's sentence (a port in use...) when the lab cannot start; finished(false)
    // is emitted then too.
    bool play(QString* error = nullptr);
    void pause();
    // From the beginning, with a freshly loaded lab.
    bool restart(QString* error = nullptr);
    // Applies the actions of the steps before `step` at once (no waiting, their checks not evaluated)
    // and plays on from `step`. Backwards restarts the lab first.
    bool skipTo(int step, QString* error = nullptr);
    // Stops the traffic and the lab's backends and proxies (the headless command, before it exits).
    void stopLab();

    // Who presses Step in a `step` step: the learner (true: the window) or the player itself (false:
    // headless, the default). Applies from the next press on.
    void setLearnerSteps(bool learner);
    bool learnerSteps() const { return m_learnerSteps; }
    // The learner asks the lesson to make the rest of the current `step` step's presses.
    void stepForLearner();
    StepProgress stepProgress() const;

    // Wait for next() after each step but the last (the window), or play through (false: headless, the
    // default). Turning it off while waiting goes on at once.
    void setWaitBetweenSteps(bool wait);
    bool waitsBetweenSteps() const { return m_waitBetweenSteps; }
    // The step before currentStep() is over and the clock waits for next().
    bool waitingForNext() const { return m_waitingForNext; }
    // Goes on to the next step (nothing when not waiting).
    void next();

    Phase phase() const { return m_phase; }
    // The step playing or about to; steps().size() when over.
    int currentStep() const { return m_index; }
    qint64 scenarioNowMs() const;
    const QList<StepRecord>& records() const { return m_records; }
    // Every check was evaluated and held, and the lab did every action asked.
    bool allHeld() const;
    // The lab could not start or refused an action (exit 3 for the command).
    bool runtimeFailed() const { return m_runtimeFailed; }
    // What the lab's clients got that was not an answer since the lesson's lab was loaded: 5xx
    // responses and requests that ended without one. The window's last line mentions them, so a lesson
    // never ends "all held" beside errors it said nothing about.
    struct ClientErrors {
        quint64 fiveXx = 0;
        quint64 failed = 0;
    };
    ClientErrors clientErrors() const;
    // The steps (indices) whose checks ask for at least one 5xx / failed request: the errors they expect.
    QList<int> stepsExpectingErrors() const;
    // The run so far as JSON (the command's --report FILE).
    QJsonObject report() const;
    // The simulated users' totals of the scenario's traffic (the window's hash view reads them).
    LoadTotals usersTotals() const { return m_traffic.usersTotals(); }
    // The scenario's traffic runs going now (the window's Traffic tab).
    QList<ScenarioTraffic::RunView> runningTraffic() const { return m_traffic.running(); }

Q_SIGNALS:
    void stepStarted(int step);
    // One per expectation of a step, when its window closes (check: index into the step's checks).
    void expectationResult(int step, int check, bool held, const QString& observed);
    void actionFailed(int step, const QString& error);
    void finished(bool allHeld);
    // The current `step` step's progress changed (a pick, the clock began to wait, who steps).
    void stepProgressChanged();
    // waitingForNext() changed.
    void waitingForNextChanged(bool waiting);

private:
    bool startFresh(QString* error);
    void resetRecords();
    void advance();
    void arm(qint64 scenarioMs);
    void beginStep();
    void endStep();
    // keepPicks: a `step` step resumed after a pause keeps the picks it has seen (their order is not a
    // count that a pause distorts).
    void openWindow(bool keepPicks = false);
    void sample();
    void collectPicks();
    void driveSteps();
    bool stepsDone() const;
    void runAction(int index);
    void startTraffic(const TrafficProfile& profile, qint64 fromMs);
    void finish();
    void keepTrafficGoing();
    // The rolling windows while the clock waits for next(): over the step that just ended.
    void openRecheck();
    void closeRecheck();
    void onResponse(const ConsoleResponse& response);

    Scenario m_scenario;
    ScenarioActions m_actions;
    ScenarioTraffic m_traffic;
    ConsoleClient* m_console;
    QTimer* m_next;
    QTimer* m_sampler;
    QElapsedTimer m_wall; // since the clock's base was set
    qint64 m_clockBaseMs = 0; // the scenario time when m_wall was started
    double m_speed = 1;
    Phase m_phase = Phase::Idle;
    int m_index = 0;
    bool m_inStep = false; // the step at m_index has begun and its window is open
    bool m_runtimeFailed = false;
    bool m_waitBetweenSteps = false;
    bool m_waitingForNext = false;
    QList<StepRecord> m_records;
    WindowObservation m_window;
    TrafficStats m_listenerAtStart; // the listener's counters when the lab was loaded
    int m_recheckStep = -1; // the step whose checks are rechecked while waiting; -1: none
    WindowObservation m_recheck;
    QElapsedTimer m_recheckClock; // wall time since m_recheck opened
    QHash<int, WindowObservation> m_measured; // windows of steps with an id, for later comparisons
    qint64 m_windowOpenedAtMs = 0; // the pool's clock, for the backends' health timelines
    bool m_watchPicks = false; // the open window has a picks check, or the step is a `step` step
    quint64 m_pickCursor = 0; // the lifecycle stream's sequence read so far
    quint64 m_notFollowedAtOpen = 0;
    // ---- the current `step` step ----
    bool m_learnerSteps = false;
    bool m_autoThisStep = false; // the learner asked the lesson to step for them
    int m_released = 0; // presses the player made
    int m_stepPicked = 0; // first picks seen since the step began
    QElapsedTimer m_lastRelease; // wall time since the player's last press
    bool m_clockWaiting = false; // the scenario clock waits at the step's end for its picks
    QElapsedTimer m_waitingSince; // wall time the clock has waited
    bool m_stepGaveUp = false; // pressing itself, the player waited kGiveUpMs in vain
    quint64 m_requestId = 0;
    std::optional<ConsoleResponse> m_response;
};

} // namespace lab
