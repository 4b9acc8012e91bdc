#include "ExperimentCommand.h"

#include "CommandLine.h"
#include "Commands.h"
#include "experiment/Experiment.h"
#include "experiment/ExperimentRunner.h"
#include "util/SignalWatcher.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QSaveFile>
#include <cstdio>

namespace lab::app {

namespace {

QString experimentList()
{
    QString text;
    for (const ExperimentInfo& e : builtInExperiments())
        text += QStringLiteral("\n  %1\n      %2").arg(e.file, e.title);
    return text;
}

bool writeFile(const QString& file, const QByteArray& data)
{
    QSaveFile f(file);
    if (!f.open(QIODevice::WriteOnly) || f.write(data) < 0 || !f.commit()) {
        printErr(QStringLiteral("balancer-lab experiment: %1: cannot write: %2").arg(file, f.errorString()));
        return false;
    }
    return true;
}

} // namespace

int runExperiment(int argc, char** argv)
{
    QCoreApplication::setApplicationName(QStringLiteral("balancer-lab"));
    QCoreApplication::setApplicationVersion(QStringLiteral(LAB_VERSION));
    QCoreApplication app(argc, argv); // the built-in experiments' resources are read for --help already
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Run an experiment headless (docs/experiments.md): the same seeded workload through each\n"
                       "arm (an algorithm, or proxy settings such as retries), each in a fresh lab on free ports;\n"
                       "then the arms side by side with the M/M/c prediction. Exit 0 when it ran, 2 for a bad\n"
                       "file or option, 3 when a lab could not start or a file could not be written.\n\n"
                       "Built-in experiments (FILE may name one):%1")
            .arg(experimentList()));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("The experiment (JSON)."));
    const QCommandLineOption out(QStringLiteral("out"),
                                 QStringLiteral("Write results.json, arms.csv and backends.csv into DIR (made if "
                                                "missing)."),
                                 QStringLiteral("DIR"));
    const QCommandLineOption armOption(
        QStringLiteral("arm"), QStringLiteral("Run only the arm NAME (repeat for several)."), QStringLiteral("NAME"));
    parser.addOptions({out, armOption});
    if (!parseOrExplain(parser, arguments(argc, argv, 1), QStringLiteral("experiment"), 1,
                        QStringLiteral("experiment FILE")))
        return ExitUsage;
    const QString file = parser.positionalArguments().first();
    ExperimentResult loaded = loadExperiment(file);
    if (!loaded.ok()) {
        printErr(QStringLiteral("balancer-lab experiment: invalid experiment\n") + loaded.error);
        return ExitUsage;
    }
    Experiment& experiment = loaded.experiment;
    if (parser.isSet(armOption)) {
        QList<ExperimentArm> chosen;
        QStringList known;
        for (const ExperimentArm& a : std::as_const(experiment.arms))
            known << a.name;
        for (const QString& name : parser.values(armOption)) {
            const qsizetype i = known.indexOf(name);
            if (i < 0) {
                printErr(QStringLiteral("balancer-lab experiment: --arm: no arm \"%1\" in %2; its arms are: %3")
                             .arg(name, file, known.join(QStringLiteral(", "))));
                return ExitUsage;
            }
            chosen << experiment.arms[i];
        }
        experiment.arms = chosen;
    }
    const QString outDir = parser.value(out);
    if (!outDir.isEmpty() && !QDir().mkpath(outDir)) {
        printErr(QStringLiteral("balancer-lab experiment: --out: cannot make the directory %1").arg(outDir));
        return ExitRuntime;
    }

    ExperimentRunner runner(experiment);
    const WorkloadSpec& w = experiment.workload;
    printOut(QStringLiteral("experiment: %1").arg(experiment.title.isEmpty() ? file : experiment.title));
    printOut(QStringLiteral("workload: %1 requests, %2 arrivals at %3/s, %4 ms cost (%5), seed %6; %7 arms")
                 .arg(runner.plan().size())
                 .arg(arrivalName(w.arrival))
                 .arg(w.ratePerSecond)
                 .arg(w.costMeanMs)
                 .arg(costName(w.cost))
                 .arg(w.seed)
                 .arg(experiment.arms.size()));
    QElapsedTimer clock;
    clock.start();
    QObject::connect(&runner, &ExperimentRunner::armStarted, &app, [&](int arm) {
        printOut(QStringLiteral("[%1 s] arm %2/%3: %4")
                     .arg(double(clock.elapsed()) / 1000.0, 6, 'f', 1)
                     .arg(arm + 1)
                     .arg(experiment.arms.size())
                     .arg(experiment.arms[arm].name));
    });
    qint64 lastProgressMs = 0;
    QObject::connect(&runner, &ExperimentRunner::progress, &app, [&](int arm, quint64 done, quint64 total) {
        if (clock.elapsed() - lastProgressMs < 2000)
            return; // a line every 2 s is enough to see it move
        lastProgressMs = clock.elapsed();
        printOut(QStringLiteral("[%1 s]   %2: %3/%4 requests done")
                     .arg(double(clock.elapsed()) / 1000.0, 6, 'f', 1)
                     .arg(experiment.arms[arm].name)
                     .arg(done)
                     .arg(total));
    });
    QObject::connect(&runner, &ExperimentRunner::armFinished, &app, [&](int arm) {
        const ArmResult& r = runner.results().at(arm);
        printOut(QStringLiteral("[%1 s]   %2: done, p50 %3 ms, p99 %4 ms, %5 errors")
                     .arg(double(clock.elapsed()) / 1000.0, 6, 'f', 1)
                     .arg(r.name)
                     .arg(r.percentileMs(50), 0, 'f', 1)
                     .arg(r.percentileMs(99), 0, 'f', 1)
                     .arg(r.errors()));
    });
    QObject::connect(&runner, &ExperimentRunner::finished, &app, [&] { app.quit(); });
    SignalWatcher signals;
    QObject::connect(&signals, &SignalWatcher::terminationRequested, &app, [&](int sig) {
        printErr(QStringLiteral("signal %1: the experiment stops after this arm's requests are given up").arg(sig));
        runner.stop();
    });
    runner.start();
    app.exec();

    if (!runner.error().isEmpty()) {
        printErr(QStringLiteral("balancer-lab experiment: ") + runner.error());
        return ExitRuntime;
    }
    printOut(QString());
    std::fputs(qPrintable(resultsTable(experiment, runner.results())), stdout);
    std::fflush(stdout);
    if (!outDir.isEmpty()) {
        const QDir dir(outDir);
        const bool ok =
            writeFile(dir.filePath(QStringLiteral("results.json")),
                      QJsonDocument(resultsJson(experiment, runner.results())).toJson(QJsonDocument::Indented)) &&
            writeFile(dir.filePath(QStringLiteral("arms.csv")), armsCsv(runner.results())) &&
            writeFile(dir.filePath(QStringLiteral("backends.csv")), backendsCsv(runner.results()));
        if (!ok)
            return ExitRuntime;
        printOut(QStringLiteral("\nwrote results.json, arms.csv and backends.csv in %1").arg(outDir));
    }
    return ExitOk;
}

} // namespace lab::app
