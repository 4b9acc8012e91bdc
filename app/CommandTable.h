#pragma once

// The commands of balancer-lab in one table: main() dispatches on it, the window's --help lists it, and
// `balancer-lab manpage` writes one man page section per entry from each command's own --help.
#include <QString>

#include <span>

namespace lab::app {

struct Command {
    const char* name; // "" for the window (no command given)
    int (*run)(int argc, char** argv);
    const char* summary; // lower case, no full stop, at most 64 characters (--help stays in 80 columns)
};

std::span<const Command> commands();

// The Commands: block of the top-level --help, aligned, from the table.
QString commandsHelp();

} // namespace lab::app
