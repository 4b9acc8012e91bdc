#pragma once

// `balancer-lab manpage [--out FILE]`: the man page, balancer-lab.1, made from every command's own --help
// (the option tables the commands parse with), so the page cannot drift from the program. The build runs
// it; `cmake --install` installs the result.
#include <QString>

namespace lab::app {

int runManPage(int argc, char** argv);

// One command's --help text as a man page section (exposed for the test).
QString helpToTroff(const QString& command, const QString& help);

} // namespace lab::app
