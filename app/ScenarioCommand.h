#pragma once

namespace lab::app {

// Exit code of `balancer-lab scenario` when the run went through but an expectation did not hold
// (0 all held, 2 bad file or usage, 3 the lab could not start or refused an action: Commands.h).
inline constexpr int ExitExpectationFailed = 1;

// `balancer-lab scenario FILE [--speed X] [--report FILE.json] [--ports any|config]`: plays a scenario
// (docs/scenarios.md) headless with serve's core, printing each step and each check as it goes.
int runScenario(int argc, char** argv);

} // namespace lab::app
