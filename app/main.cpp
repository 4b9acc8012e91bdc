// balancer-lab: the window (default) and the headless commands of CommandTable.cpp (serve, backend,
// scenario, experiment, ...).
// Exit codes: 0 ok, 1 a scenario's expectation did not hold, 2 usage or configuration error, 3 runtime failure (such as
// a port in use).
#include "CommandTable.h"
#include "Commands.h"

#include <QStringList>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv)
{
    const char* mode = argc > 1 ? argv[1] : "";
    const bool named = mode[0] != '\0' && mode[0] != '-';
    QStringList names;
    for (const lab::app::Command& c : lab::app::commands()) {
        if (named ? std::strcmp(mode, c.name) == 0 : c.name[0] == '\0')
            return c.run(argc, argv);
        if (c.name[0] != '\0' && std::strcmp(c.name, "manpage") != 0)
            names << QString::fromLatin1(c.name);
    }
    std::fprintf(stderr,
                 "balancer-lab: unknown command '%s'; commands are: %s (none starts the window). See balancer-lab "
                 "--help.\n",
                 mode, qPrintable(names.join(QStringLiteral(", "))));
    return lab::app::ExitUsage;
}
