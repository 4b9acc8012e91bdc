#include "CommandLine.h"

#include "Commands.h"

#include <cstdio>
#include <cstdlib>

namespace lab::app {

void printErr(const QString& text)
{
    std::fprintf(stderr, "%s\n", qPrintable(text));
}

void printOut(const QString& text)
{
    std::fprintf(stdout, "%s\n", qPrintable(text));
    std::fflush(stdout);
}

QStringList arguments(int argc, char** argv, int skip)
{
    QStringList args{QString::fromLocal8Bit(argv[0])};
    for (int i = 1 + skip; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    return args;
}

bool parseOrExplain(QCommandLineParser& parser, const QStringList& args, const QString& command, int positionals,
                    const QString& positionalName)
{
    const QString program =
        command.isEmpty() ? QStringLiteral("balancer-lab") : QStringLiteral("balancer-lab ") + command;
    if (!parser.parse(args)) {
        printErr(QStringLiteral("%1: %2\nSee %1 --help.").arg(program, parser.errorText()));
        return false;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        // helpText()'s usage line names the program by argv[0] (or "<executable_name>" before a
        // QCoreApplication exists): only that line is rewritten, not every "balancer-lab" in the text.
        QString help = parser.helpText();
        const QString usage = QStringLiteral("Usage: ");
        for (const QString& name : {QStringLiteral("<executable_name>"), args.first()}) {
            if (help.startsWith(usage + name)) {
                help.replace(usage.size(), name.size(), program);
                break;
            }
        }
        std::fputs(qPrintable(help), stdout);
        std::exit(ExitOk);
    }
    if (parser.isSet(QStringLiteral("version"))) {
        std::printf("balancer-lab %s\n", LAB_VERSION);
        std::exit(ExitOk);
    }
    const QStringList given = parser.positionalArguments();
    if (positionals == 0 && !given.isEmpty()) {
        printErr(QStringLiteral("%1: unexpected argument '%2'").arg(program, given.first()));
        return false;
    }
    if (positionals > 0 && given.size() != positionals) {
        printErr(QStringLiteral("%1: give one %2 (got %3 arguments); see %1 --help")
                     .arg(program, positionalName)
                     .arg(given.size()));
        return false;
    }
    return true;
}

} // namespace lab::app
