#pragma once

namespace lab::app {

enum ExitCode { ExitOk = 0, ExitUsage = 2, ExitRuntime = 3 };

int runWindow(int argc, char** argv);
int runServe(int argc, char** argv);
int runBackend(int argc, char** argv);

} // namespace lab::app
