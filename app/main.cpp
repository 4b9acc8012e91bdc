// balancer-lab: the window (default), `serve` (headless lab), `backend` (one standalone fake backend),
// `scenario` (play a scenario or lesson headless), `experiment` (the same workload through several arms),
// `cert` (a self-signed localhost certificate for HTTPS).
// Exit codes: 0 ok, 1 a scenario's expectation did not hold, 2 usage or configuration error, 3 runtime failure (such as
// a port in use).
#include "CertCommand.h"
#include "Commands.h"
#include "ExperimentCommand.h"
#include "ScenarioCommand.h"

#include <QStringList>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv)
{
    const char* mode = argc > 1 ? argv[1] : "";
    if (std::strcmp(mode, "serve") == 0)
        return lab::app::runServe(argc, argv);
    if (std::strcmp(mode, "backend") == 0)
        return lab::app::runBackend(argc, argv);
    if (std::strcmp(mode, "scenario") == 0)
        return lab::app::runScenario(argc, argv);
    if (std::strcmp(mode, "experiment") == 0)
        return lab::app::runExperiment(argc, argv);
    if (std::strcmp(mode, "cert") == 0)
        return lab::app::runCert(argc, argv);
    if (mode[0] != '\0' && mode[0] != '-') {
        std::fprintf(stderr,
                     "balancer-lab: unknown command '%s'; commands are: serve, backend, scenario, experiment, cert "
                     "(none starts the window). See balancer-lab --help.\n",
                     mode);
        return lab::app::ExitUsage;
    }
    return lab::app::runWindow(argc, argv);
}
