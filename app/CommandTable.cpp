#include "CommandTable.h"

#include "CertCommand.h"
#include "Commands.h"
#include "ExperimentCommand.h"
#include "ExportCommand.h"
#include "ManPage.h"
#include "ProveCommand.h"
#include "ScenarioCommand.h"

#include <QStringList>

#include <array>
#include <cstring>

namespace lab::app {

namespace {
// `manpage` is last and not listed in --help: it is how the build makes balancer-lab.1.
const std::array<Command, 9> kCommands{{
    {"", runWindow, "open the window with the lab (proxy :8000, backends :8001-8003)"},
    {"serve", runServe, "run the lab headless (the proxy and its embedded backends)"},
    {"backend", runBackend, "run one standalone fake backend"},
    {"scenario", runScenario, "play a scenario or lesson headless (exit 1 if a check failed)"},
    {"experiment", runExperiment, "one seeded workload through several algorithms, side by side"},
    {"cert", runCert, "make a self-signed localhost certificate and key for HTTPS"},
    {"export", runExport, "write the lab as a HAProxy or nginx config (--format)"},
    {"prove", runProve, "run HAProxy or nginx beside the lab's proxy and compare shares"},
    {"manpage", runManPage, "write the man page (balancer-lab.1) from every command's --help"},
}};
} // namespace

std::span<const Command> commands()
{
    return kCommands;
}

QString commandsHelp()
{
    QStringList lines{QStringLiteral("Commands (balancer-lab COMMAND --help tells more):")};
    for (const Command& c : kCommands) {
        if (std::strcmp(c.name, "manpage") == 0)
            continue;
        const QString name = c.name[0] == '\0' ? QStringLiteral("(none)") : QString::fromLatin1(c.name);
        lines << QStringLiteral("  %1  %2").arg(name, -10).arg(QString::fromLatin1(c.summary));
    }
    return lines.join(QLatin1Char('\n'));
}

} // namespace lab::app
