#include "ManPage.h"

#include "CommandLine.h"
#include "CommandTable.h"
#include "Commands.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>

#include <cstring>

namespace lab::app {

namespace {

// Text for troff: backslashes and hyphens escaped, a line never starting with a control character.
QString escaped(QString text)
{
    text.replace(QLatin1Char('\\'), QStringLiteral("\\e"));
    text.replace(QLatin1Char('-'), QStringLiteral("\\-"));
    if (text.startsWith(QLatin1Char('.')) || text.startsWith(QLatin1Char('\'')))
        text.prepend(QStringLiteral("\\&"));
    return text;
}

// "-c, --config <FILE>" -> bold names, italic value: \fB\-c\fR, \fB\-\-config\fR \fIFILE\fR
QString optionTerm(const QString& names)
{
    static const QRegularExpression value(QStringLiteral("<([^>]+)>"));
    QString out;
    const QStringList parts = names.split(QStringLiteral(", "));
    for (int i = 0; i < parts.size(); ++i) {
        QString part = parts[i];
        QString arg;
        const QRegularExpressionMatch m = value.match(part);
        if (m.hasMatch()) {
            arg = m.captured(1);
            part = part.left(m.capturedStart()).trimmed();
        }
        if (i > 0)
            out += QStringLiteral(", ");
        out += QStringLiteral("\\fB") + escaped(part) + QStringLiteral("\\fR");
        if (!arg.isEmpty())
            out += QStringLiteral(" \\fI") + escaped(arg) + QStringLiteral("\\fR");
    }
    return out;
}

struct Entry {
    QString term;
    QString text;
};

// The two-column blocks of QCommandLineParser's help ("Options:", "Arguments:"): a line indented by two
// spaces starts an entry, its description wraps onto lines indented to the second column.
QList<Entry> entries(const QStringList& lines)
{
    static const QRegularExpression split(QStringLiteral("^  (\\S.*?)(?:\\s{2,}(.*))?$"));
    QList<Entry> out;
    for (const QString& line : lines) {
        if (line.trimmed().isEmpty())
            continue;
        if (!line.startsWith(QStringLiteral("   "))) {
            const QRegularExpressionMatch m = split.match(line);
            if (m.hasMatch())
                out.append({m.captured(1).trimmed(), m.captured(2).trimmed()});
        } else if (!out.isEmpty()) {
            QString& text = out.last().text;
            text += (text.isEmpty() ? QString() : QStringLiteral(" ")) + line.trimmed();
        }
    }
    return out;
}

} // namespace

QString helpToTroff(const QString& command, const QString& help)
{
    const QStringList lines = help.split(QLatin1Char('\n'));
    QStringList description;
    QStringList options;
    QStringList arguments;
    QStringList* into = &description;
    QString usage;
    for (const QString& line : lines) {
        if (line.startsWith(QStringLiteral("Usage: "))) {
            usage = line.mid(7);
            continue;
        }
        if (line == QStringLiteral("Options:")) {
            into = &options;
            continue;
        }
        if (line == QStringLiteral("Arguments:")) {
            into = &arguments;
            continue;
        }
        if (into == &description && line.startsWith(QStringLiteral("Commands")))
            into = nullptr; // the window's list of commands: the page has a section per command instead
        if (into != nullptr)
            into->append(line);
    }

    QStringList out;
    const QString title =
        command.isEmpty() ? QStringLiteral("balancer-lab (the window)") : QStringLiteral("balancer-lab ") + command;
    out << QStringLiteral(".SS \"%1\"").arg(escaped(title));
    out << QStringLiteral(".B ") + escaped(usage);
    out << QStringLiteral(".PP");
    // Paragraphs as the help has them (a blank line starts a new one; wrapped lines are joined), and
    // indented lines (the lists of built-in lessons and experiments) kept line by line, unfilled.
    bool inList = false;
    for (const QString& line : description) {
        const bool indented = line.startsWith(QStringLiteral("  "));
        if (indented != inList) {
            out << (indented ? QStringLiteral(".nf") : QStringLiteral(".fi"));
            inList = indented;
        }
        if (line.trimmed().isEmpty())
            out << QStringLiteral(".PP");
        else
            out << escaped(indented ? line : line.trimmed());
    }
    if (inList)
        out << QStringLiteral(".fi");
    for (const Entry& e : entries(arguments)) {
        out << QStringLiteral(".TP") << QStringLiteral("\\fI") + escaped(e.term) + QStringLiteral("\\fR")
            << escaped(e.text);
    }
    for (const Entry& e : entries(options)) {
        if (e.term == QStringLiteral("--help-all"))
            continue; // Qt's own options, not ours
        out << QStringLiteral(".TP") << optionTerm(e.term) << escaped(e.text);
    }
    return out.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

int runManPage(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Write the man page, balancer-lab.1, from every command's --help (to stdout or --out)."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption outOption(QStringLiteral("out"), QStringLiteral("Write to FILE instead of stdout."),
                                       QStringLiteral("FILE"));
    parser.addOption(outOption);
    if (!parseOrExplain(parser, arguments(argc, argv, 1), QStringLiteral("manpage")))
        return ExitUsage;

    // SOURCE_DATE_EPOCH (reproducible builds) fixes the page's date; else today.
    const qint64 epoch = qEnvironmentVariableIntValue("SOURCE_DATE_EPOCH");
    const QDate date = epoch > 0 ? QDateTime::fromSecsSinceEpoch(epoch, Qt::UTC).date() : QDate::currentDate();
    QStringList page{
        QStringLiteral(".TH BALANCER\\-LAB 1 \"%1\" \"balancer\\-lab %2\" \"User Commands\"")
            .arg(date.toString(Qt::ISODate), QStringLiteral(LAB_VERSION)),
        QStringLiteral(".SH NAME"),
        QStringLiteral("balancer\\-lab \\- a desktop laboratory for load balancing, with a real HTTP and TCP proxy "
                       "inside"),
        QStringLiteral(".SH SYNOPSIS"),
    };
    for (const Command& c : commands()) {
        if (std::strcmp(c.name, "manpage") == 0)
            continue;
        page << QStringLiteral(".B balancer\\-lab") +
                (c.name[0] ? QStringLiteral(" ") + escaped(QString::fromLatin1(c.name)) : QString())
             << QStringLiteral("[\\fIoptions\\fR]") << QStringLiteral(".br");
    }
    page << QStringLiteral(".SH DESCRIPTION")
         << QStringLiteral("Balancer Lab runs a real HTTP/1.1 reverse proxy and TCP relay in front of real (fake) "
                           "backends, with health checks, nine balancing algorithms, outlier ejection, a circuit "
                           "breaker, slow start and draining, and shows what the proxy does, live, in a window. "
                           "Without a command it opens the window; the commands run the same core headless.");
    page << QStringLiteral(".SH COMMANDS");
    for (const Command& c : commands()) {
        if (std::strcmp(c.name, "manpage") == 0)
            continue;
        QProcess help;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        help.setProcessEnvironment(env);
        QStringList args;
        if (c.name[0] != '\0')
            args << QString::fromLatin1(c.name);
        args << QStringLiteral("--help");
        help.start(QCoreApplication::applicationFilePath(), args);
        if (!help.waitForFinished(30000) || help.exitStatus() != QProcess::NormalExit || help.exitCode() != 0) {
            printErr(QStringLiteral("balancer-lab manpage: '%1 --help' failed: %2")
                         .arg(args.join(QLatin1Char(' ')), help.errorString()));
            return ExitRuntime;
        }
        page << helpToTroff(QString::fromLatin1(c.name), QString::fromUtf8(help.readAllStandardOutput())).trimmed();
    }
    page << QStringLiteral(".SH EXIT STATUS") << QStringLiteral(".TP") << QStringLiteral("0")
         << QStringLiteral("Success; for scenario, every expectation held.") << QStringLiteral(".TP")
         << QStringLiteral("1") << QStringLiteral("scenario: an expectation did not hold.") << QStringLiteral(".TP")
         << QStringLiteral("2")
         << QStringLiteral("A usage or configuration error (the message names the file, the key and what is "
                           "allowed).")
         << QStringLiteral(".TP") << QStringLiteral("3")
         << QStringLiteral("A runtime failure, such as a port in use (the message names the port).");
    page << QStringLiteral(".SH SIGNALS")
         << QStringLiteral("SIGINT and SIGTERM stop accepting, let requests in flight finish (up to 5 s) and "
                           "exit 0.");
    page << QStringLiteral(".SH SEE ALSO")
         << QStringLiteral("\\fBcurl\\fR(1), \\fBwrk\\fR(1), \\fBhaproxy\\fR(1), \\fBnginx\\fR(8). The config, "
                           "scenario and experiment formats: /usr/share/doc/balancer\\-lab/.");
    const QString text = page.join(QLatin1Char('\n')) + QLatin1Char('\n');

    if (!parser.isSet(outOption)) {
        std::fputs(text.toUtf8().constData(), stdout);
        return ExitOk;
    }
    QFile file(parser.value(outOption));
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(text.toUtf8()) < 0) {
        printErr(QStringLiteral("balancer-lab manpage: cannot write %1: %2").arg(file.fileName(), file.errorString()));
        return ExitRuntime;
    }
    return ExitOk;
}

} // namespace lab::app
