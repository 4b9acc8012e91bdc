#pragma once

#include "Scenario.h"
#include "loadgen/KeyMoves.h"
#include "loadgen/LoadGenerator.h"
#include "metrics/Metrics.h"

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

namespace lab {

struct ConsoleResponse;

// What one step's window saw: the lab's metrics when it opened and when it closed, and the backends'
// states sampled while it was open (first sample at the opening, last at the close).
struct WindowObservation {
    MetricsSnapshot before;
    MetricsSnapshot after;
    QHash<QString, QList<QStringList>> stateSamples; // scenario backend name -> samples, oldest first
    // scenario backend name -> states entered during the window by the backend's health timeline (seen
    // even when they lasted less than a sample apart); "at some moment" checks read them too
    QHash<QString, QStringList> transitions;
    QHash<QString, QString> labNames; // scenario backend name -> the lab's name, where they differ
    // The simulated users' backends just before the step's action and at the window's close (Moved).
    UserPlacement usersBefore;
    UserPlacement usersAfter;
    // The lab's backend name -> requests waiting for a worker at each sample (embedded backends only).
    QHash<QString, QList<int>> queueSamples;
    // The lab's names of the backends the balancer picked in the window, in order (every attempt).
    QStringList picks;
    QString picksGap; // not empty: why `picks` may miss some (the lifecycle stream sampled, or lost events)
    // Each traffic run's generator totals at the window's opening and close, by run name.
    QHash<QString, LoadTotals> runsBefore;
    QHash<QString, LoadTotals> runsAfter;
};

struct CheckOutcome {
    bool held = false;
    QString observed; // what was seen, for the learner: "0.02 (4 of 200 attempts)"
};

// Decides one expectation from the window's deltas (after minus before). Pure: no lab, no clock, so the
// rules are tested without sockets. A share with no attempt at all in the window does not hold (nothing
// was measured), nor does a status count over a window without requests ("no 5xx" of nothing); a backend missing from a
// snapshot counts as zero there. A check with a reference compares its value with the same value over `reference`, the
// window of the step it names (null: that step was skipped, so nothing was measured and the check does not hold).
CheckOutcome evaluateCheck(const ScenarioCheck& check, const WindowObservation& window,
                           const WindowObservation* reference = nullptr);
// The single request of a `request` step; `response` null when none arrived in the window.
CheckOutcome evaluateResponse(const ScenarioCheck& check, const ConsoleResponse* response);

} // namespace lab
