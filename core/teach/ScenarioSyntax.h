#pragma once

#include "Scenario.h"
#include "ScenarioReader.h"

#include <QHash>
#include <QStringList>

namespace lab::teach {

// What the steps read so far have named, for the keys of a later step: the traffic runs started by
// name (a `clients` expectation or a stop-traffic step names one of them) and the step ids (a comparison
// names an earlier step's window).
struct StepNames {
    QStringList runs;
    QHash<QString, int> ids; // id -> step index
    QList<bool> hasWindow; // step index -> it has an expect window to compare with
};

// The parts of the scenario format that name traffic runs, step mode and earlier steps: a traffic run's
// "name" and "clientAddress", the step-mode and step actions, a step's "id", and the expectations that
// follow a run ("clients"), a queue ("queue"), the order of picks ("picks") or compare with an earlier
// step ({"below": id, "times": x}). Apart from Scenario.cpp, which reads the steps and their schedule, so
// each file keeps one job. Every problem is reported through the reader, as "<json path>: <what is
// allowed>".

// traffic.name and traffic.clientAddress (the other traffic keys are read by Scenario.cpp).
void readTrafficRun(JsonReader& traffic, TrafficProfile& t);
// do: stop-traffic, its optional "name": one run (one an earlier step started), or all of them.
void readStopTraffic(JsonReader& step, ScenarioStep& s, const StepNames& names);
// do: step-mode ("scope") and do: step ("count", "intervalMs").
void readStepMode(JsonReader& step, ScenarioStep& s);
void readStepRelease(JsonReader& step, ScenarioStep& s);
// The step's "id": unique, letters, digits, '-' and '_'. Recorded in `names` by the caller once the step
// is read (a step cannot compare with itself).
QString readStepId(JsonReader& step, const StepNames& names);

// A value written as {"below": id, "times": x} or {"above": ...}: true when `key` holds an object (read,
// with its errors, into *out); false when it holds something else, for the caller's range.
bool readReference(JsonReader& r, const QString& key, const StepNames& names, std::optional<CheckReference>* out);

// expect.queue, expect.picks and expect.clients, appended to s.checks.
void readQueueChecks(JsonReader& expect, ScenarioStep& s, const KnownBackends& known, const StepNames& names);
void readPicksCheck(JsonReader& expect, ScenarioStep& s, const KnownBackends& known);
void readClientChecks(JsonReader& expect, ScenarioStep& s, const StepNames& names);

// "step-mode off", "lab-traffic", "all-clients" as the file writes them.
QString stepScopeName(StepScope scope);

} // namespace lab::teach
