#pragma once

// What every command of balancer-lab parses the same way: its own arguments (those after the command's
// name), --help and --version, a usage error with a pointer to --help, and its positional arguments.
#include <QCommandLineParser>
#include <QString>
#include <QStringList>

namespace lab::app {

void printErr(const QString& text);
void printOut(const QString& text); // flushed: a pipe sees each line as it is printed

// argv[0], then the arguments after the first `skip` (the command's name): what `parser` reads.
QStringList arguments(int argc, char** argv, int skip);

// Parses; on --help / --version prints them and exits 0; on a usage error (an unknown option, a
// positional count other than `positionals`) prints it and returns false. `command` is "" for the
// window, else "serve", "scenario"...; `positionalName` names the positional for the error ("FILE").
bool parseOrExplain(QCommandLineParser& parser, const QStringList& args, const QString& command, int positionals = 0,
                    const QString& positionalName = {});

} // namespace lab::app
