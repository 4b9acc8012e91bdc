#pragma once

#include "ScenarioChecks.h"
#include "ScenarioReader.h"

#include <functional>

namespace lab {

// The parts of a scenario about simulated users and the keys a hash balancer (or a sticky cookie) maps:
// the `users` object of a traffic step and the `moved` expectation (docs/scenarios.md). Kept apart from
// Scenario.cpp and ScenarioChecks.cpp so the hashing lesson's additions are one file pair.

// Reads traffic.users into `out` (the generator's UserSpec), with the generator's own limits; every
// problem goes to the reader's error list. `out` keeps its defaults for keys left out.
void readUsersProfile(teach::JsonReader& traffic, UserSpec& out);

// The users object as readUsersProfile() reads it (the recorder writes the traffic it saw with it).
QJsonObject usersProfileToJson(const UserSpec& users);

// Reads expect.moved: {"users": [min, max], "from": backend, "to": backend}, at least one of them.
// `knownBackend` says whether a name is a backend at this step (reporting it when not).
void readMovedCheck(teach::JsonReader& expect,
                    const std::function<bool(teach::JsonReader&, const QString&)>& knownBackend, ScenarioCheck& out);

// Decides a Moved check from the window's two user placements (scenario names mapped through
// window.labNames). Holds only when some user answered both before the action and in the window.
CheckOutcome evaluateMoved(const ScenarioCheck& check, const WindowObservation& window);

} // namespace lab
