#include "ProveCommand.h"

#include "CommandLine.h"
#include "Commands.h"
#include "balancing/AlgorithmNames.h"
#include "loadgen/UserTraffic.h"
#include "prove/ProveRunner.h"
#include "util/SignalWatcher.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <cstdio>

namespace lab::app {

namespace {

bool intOption(const QCommandLineParser& parser, const QCommandLineOption& o, int min, int max, int* out)
{
    if (!parser.isSet(o))
        return true;
    bool ok = false;
    const int v = parser.value(o).toInt(&ok);
    if (!ok || v < min || v > max) {
        printErr(QStringLiteral("balancer-lab prove: --%1: \"%2\"; allowed: %3 to %4")
                     .arg(o.names().constLast(), parser.value(o))
                     .arg(min)
                     .arg(max));
        return false;
    }
    *out = v;
    return true;
}

} // namespace

int runProve(int argc, char** argv)
{
    QCoreApplication::setApplicationName(QStringLiteral("balancer-lab"));
    QCoreApplication::setApplicationVersion(QStringLiteral(LAB_VERSION));
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Prove an export (docs/export.md): run the real HAProxy or nginx on loopback in front of\n"
                       "the lab's own backends, drive the same seeded workload through the lab's proxy and\n"
                       "through it, and print per-backend shares, errors and latency side by side; shares\n"
                       "more than 5 points apart are flagged. Exit 0 when they agree, 1 when some differ, 2 for\n"
                       "a bad option or config or when the target is not installed, 3 when it could not run."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption target(QStringLiteral("target"), QStringLiteral("haproxy or nginx."),
                                    QStringLiteral("TARGET"));
    const QCommandLineOption config(QStringList{QStringLiteral("c"), QStringLiteral("config")},
                                    QStringLiteral("The lab in FILE (default: the default lab)."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption algorithm(QStringLiteral("algorithm"),
                                       QStringLiteral("Use algorithm NAME instead of the lab's."),
                                       QStringLiteral("NAME"));
    const QCommandLineOption rate(QStringLiteral("rate"), QStringLiteral("Requests per second (default 200)."),
                                  QStringLiteral("N"));
    const QCommandLineOption duration(
        QStringLiteral("duration-ms"),
        QStringLiteral("Length of each arm in ms (default 1500; 6000 when the lab retries on "
                       "a response status)."),
        QStringLiteral("MS"));
    const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("The workload's seed (default 1)."),
                                  QStringLiteral("N"));
    const QCommandLineOption path(QStringLiteral("path"),
                                  QStringLiteral("The path every request asks for (default /; one range allowed: "
                                                 "/item/{1..100})."),
                                  QStringLiteral("PATH"));
    const QCommandLineOption arrival(QStringLiteral("arrival"),
                                     QStringLiteral("How requests arrive: constant or poisson (default constant; "
                                                    "poisson when the lab retries on a response status)."),
                                     QStringLiteral("PROCESS"));
    parser.addOptions({target, config, algorithm, rate, duration, seed, path, arrival});
    if (!parseOrExplain(parser, arguments(argc, argv, 1), QStringLiteral("prove")))
        return ExitUsage;
    const std::optional<ExportFormat> f = parseExportFormat(parser.value(target));
    if (!f) {
        printErr(
            QStringLiteral("balancer-lab prove: --target: \"%1\"; allowed: haproxy, nginx").arg(parser.value(target)));
        return ExitUsage;
    }
    LabConfig lab = LabConfig::defaultLab();
    if (parser.isSet(config)) {
        const LabConfigResult r = loadLabConfig(parser.value(config));
        if (!r.ok()) {
            printErr(QStringLiteral("balancer-lab prove: invalid config\n") + r.error);
            return ExitUsage;
        }
        lab = r.config;
    }
    if (parser.isSet(algorithm)) {
        if (!algorithmNames().contains(parser.value(algorithm))) {
            printErr(QStringLiteral("balancer-lab prove: --algorithm: \"%1\"; allowed: %2")
                         .arg(parser.value(algorithm), algorithmNames().join(QStringLiteral(", "))));
            return ExitUsage;
        }
        lab.algorithm = parser.value(algorithm);
    }
    WorkloadSpec w = defaultProveWorkload(lab);
    int seedValue = int(w.seed);
    if (!intOption(parser, rate, 1, 2000, &w.ratePerSecond) ||
        !intOption(parser, duration, 200, 60'000, &w.durationMs) ||
        !intOption(parser, seed, 0, 1'000'000'000, &seedValue))
        return ExitUsage;
    w.seed = quint32(seedValue);
    if (parser.isSet(arrival) &&
        (!parseArrival(parser.value(arrival), &w.arrival) || w.arrival == ArrivalProcess::Bursts)) {
        printErr(QStringLiteral("balancer-lab prove: --arrival: \"%1\"; allowed: constant, poisson")
                     .arg(parser.value(arrival)));
        return ExitUsage;
    }
    if (parser.isSet(path)) {
        PathTemplate parsed;
        QString why;
        if (!PathTemplate::parse(parser.value(path).toUtf8(), &parsed, &why)) {
            printErr(QStringLiteral("balancer-lab prove: --path: ") + why);
            return ExitUsage;
        }
        w.path = parser.value(path).toUtf8();
    }

    ProveRunner runner(*f, lab, w);
    QObject::connect(&runner, &ProveRunner::progress, &app, [](const QString& text) { printOut(text); });
    QObject::connect(&runner, &ProveRunner::finished, &app, &QCoreApplication::quit, Qt::QueuedConnection);
    SignalWatcher signals;
    QObject::connect(&signals, &SignalWatcher::terminationRequested, &app, [&](int sig) {
        printErr(QStringLiteral("signal %1: prove stops and cleans up what it started").arg(sig));
        runner.stop();
    });
    runner.start();
    app.exec();
    if (runner.binaryMissing()) {
        printErr(QStringLiteral("balancer-lab prove: ") + runner.error());
        return ExitUsage;
    }
    if (!runner.error().isEmpty()) {
        printErr(QStringLiteral("balancer-lab prove: ") + runner.error());
        return ExitRuntime;
    }
    printOut(QString());
    std::fputs(qPrintable(proveTable(runner.report())), stdout);
    return runner.report().anyFlagged() ? 1 : ExitOk;
}

} // namespace lab::app
