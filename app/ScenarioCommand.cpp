#include "ScenarioCommand.h"

#include "CommandLine.h"
#include "Commands.h"
#include "lab/Lab.h"
#include "teach/Lessons.h"
#include "teach/Scenario.h"
#include "teach/ScenarioPlayer.h"
#include "util/SignalWatcher.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonDocument>
#include <QSaveFile>
#include <QTimer>
#include <cstdio>

namespace lab::app {

namespace {

QString seconds(qint64 ms)
{
    return QStringLiteral("%1 s").arg(double(ms) / 1000.0, 6, 'f', 1);
}

// The lessons the program carries, for --help: their resource paths are valid FILE arguments.
QString lessonList()
{
    QString text;
    for (const LessonInfo& l : builtInLessons())
        text += QStringLiteral("\n  %1  %2").arg(l.file, -48).arg(l.title);
    return text;
}

bool writeReport(const ScenarioPlayer& player, const QString& file)
{
    QSaveFile f(file);
    if (!f.open(QIODevice::WriteOnly) || f.write(QJsonDocument(player.report()).toJson(QJsonDocument::Indented)) < 0 ||
        !f.commit()) {
        printErr(QStringLiteral("balancer-lab scenario: %1: cannot write the report: %2").arg(file, f.errorString()));
        return false;
    }
    return true;
}

} // namespace

int runScenario(int argc, char** argv)
{
    QCoreApplication::setApplicationName(QStringLiteral("balancer-lab"));
    QCoreApplication::setApplicationVersion(QStringLiteral(LAB_VERSION));
    QCoreApplication app(argc, argv); // the lessons' resources are read for --help already
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Play a scenario headless: its lab, then each step at its time, checking each\n"
                       "expectation over its window (docs/scenarios.md). Exit 0 when every expectation held,\n"
                       "1 when one did not, 2 for a bad file, 3 when the lab could not start (a port in use...).\n\n"
                       "Built-in lessons (FILE may name one):%1")
            .arg(lessonList()));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("The scenario (JSON)."));
    const QCommandLineOption speed(QStringLiteral("speed"),
                                   QStringLiteral("Play the timeline X times as fast (%1 to %2, default 1). The lab's "
                                                  "own timers (probes, ejection) are not scaled.")
                                       .arg(ScenarioPlayer::kMinSpeed)
                                       .arg(ScenarioPlayer::kMaxSpeed),
                                   QStringLiteral("X"), QStringLiteral("1"));
    const QCommandLineOption report(QStringLiteral("report"),
                                    QStringLiteral("Write every step and check, with what was seen, to FILE (JSON)."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption ports(
        QStringLiteral("ports"),
        QStringLiteral("config: the ports the scenario's lab names (default); any: free ports for the listener and "
                       "every embedded backend (CI, or when 8000 is taken)."),
        QStringLiteral("MODE"), QStringLiteral("config"));
    const QCommandLineOption waitMs(
        QStringLiteral("wait-ms"),
        QStringLiteral("After each step but the last, wait MS ms of wall time before the next, as a learner reading "
                       "in the window does (0, the default: no wait). The traffic goes on and the step's traffic "
                       "checks are measured again over each window while it waits."),
        QStringLiteral("MS"), QStringLiteral("0"));
    parser.addOptions({speed, report, ports, waitMs});
    if (!parseOrExplain(parser, arguments(argc, argv, 1), QStringLiteral("scenario"), 1,
                        QStringLiteral("scenario FILE")))
        return ExitUsage;
    bool ok = false;
    const double speedFactor = parser.value(speed).toDouble(&ok);
    if (!ok || !(speedFactor >= ScenarioPlayer::kMinSpeed && speedFactor <= ScenarioPlayer::kMaxSpeed)) {
        printErr(QStringLiteral("balancer-lab scenario: --speed must be a number from %1 to %2 (got '%3')")
                     .arg(ScenarioPlayer::kMinSpeed)
                     .arg(ScenarioPlayer::kMaxSpeed)
                     .arg(parser.value(speed)));
        return ExitUsage;
    }
    const int waitForMs = parser.value(waitMs).toInt(&ok);
    if (!ok || waitForMs < 0 || waitForMs > 600'000) {
        printErr(QStringLiteral("balancer-lab scenario: --wait-ms must be from 0 to 600000 (got '%1')")
                     .arg(parser.value(waitMs)));
        return ExitUsage;
    }
    const QString portMode = parser.value(ports);
    if (portMode != QLatin1String("config") && portMode != QLatin1String("any")) {
        printErr(QStringLiteral("balancer-lab scenario: --ports must be config or any (got '%1')").arg(portMode));
        return ExitUsage;
    }
    const QString file = parser.positionalArguments().first();
    ScenarioResult loaded = loadScenario(file);
    if (!loaded.ok()) {
        printErr(QStringLiteral("balancer-lab scenario: invalid scenario\n") + loaded.error);
        return ExitUsage;
    }
    Scenario& scenario = loaded.scenario;
    if (portMode == QLatin1String("any"))
        scenario.useAnyPorts();

    SignalWatcher signals;
    Lab lab(scenario.lab);
    ScenarioPlayer player(&lab, scenario);
    player.setSpeed(speedFactor);
    if (waitForMs > 0) {
        player.setWaitBetweenSteps(true);
        QObject::connect(&player, &ScenarioPlayer::waitingForNextChanged, &app, [&player, waitForMs](bool waiting) {
            if (waiting)
                QTimer::singleShot(waitForMs, &player, [&player] { player.next(); });
        });
    }
    const int stepCount = int(scenario.steps.size());
    printOut(QStringLiteral("scenario: %1 (%2 steps, %3 of scenario time; at speed %4, %5)")
                 .arg(scenario.title.isEmpty() ? file : scenario.title)
                 .arg(stepCount)
                 .arg(seconds(scenario.durationMs()).trimmed())
                 .arg(speedFactor)
                 .arg(seconds(qint64(double(scenario.durationMs()) / speedFactor)).trimmed()));
    QObject::connect(&player, &ScenarioPlayer::stepStarted, &app, [&](int i) {
        const ScenarioStep& s = scenario.steps[i];
        printOut(QStringLiteral("[%1] step %2/%3: %4%5")
                     .arg(seconds(player.scenarioNowMs()))
                     .arg(i + 1)
                     .arg(stepCount)
                     .arg(s.describe(), s.title.isEmpty() ? QString() : QStringLiteral(" — ") + s.title));
        if (!s.watch.isEmpty())
            printOut(QStringLiteral("           watch: ") + s.watch);
        if (!s.question.isEmpty())
            printOut(QStringLiteral("           question: ") + s.question);
    });
    QObject::connect(&player, &ScenarioPlayer::expectationResult, &app,
                     [&](int step, int check, bool held, const QString& observed) {
                         printOut(QStringLiteral("[%1]   %2 %3: %4")
                                      .arg(seconds(player.scenarioNowMs()),
                                           held ? QStringLiteral("held  ") : QStringLiteral("FAILED"),
                                           scenario.steps[step].checks[check].describe(), observed));
                     });
    QObject::connect(&player, &ScenarioPlayer::actionFailed, &app, [&](int step, const QString& error) {
        printErr(step < 0
                     ? QStringLiteral("balancer-lab scenario: the lab cannot start: %1").arg(error)
                     : QStringLiteral("balancer-lab scenario: step %1: the lab refused: %2").arg(step + 1).arg(error));
    });
    QObject::connect(&player, &ScenarioPlayer::finished, &app, [&] { app.quit(); });
    QObject::connect(&signals, &SignalWatcher::terminationRequested, &app, [&](int sig) {
        printErr(QStringLiteral("signal %1: the scenario stops here").arg(sig));
        player.pause();
        app.quit();
    });
    if (player.play())
        app.exec();

    int failed = 0, total = 0;
    for (const ScenarioPlayer::StepRecord& r : player.records()) {
        for (const ScenarioPlayer::CheckRecord& c : r.checks) {
            ++total;
            failed += c.evaluated && c.held ? 0 : 1;
        }
    }
    const bool reportOk = !parser.isSet(report) || writeReport(player, parser.value(report));
    player.stopLab();
    if (player.runtimeFailed()) {
        printOut(QStringLiteral("scenario: the lab could not do what a step asked (see above)"));
        return ExitRuntime;
    }
    if (player.phase() != ScenarioPlayer::Phase::Finished) {
        printOut(QStringLiteral("scenario: interrupted; %1 of %2 expectations not checked or not held")
                     .arg(failed)
                     .arg(total));
        return ExitExpectationFailed;
    }
    printOut(failed ? QStringLiteral("scenario: %1 of %2 expectations did not hold").arg(failed).arg(total)
                    : QStringLiteral("scenario: all %1 expectations held").arg(total));
    if (!reportOk)
        return ExitRuntime;
    return failed ? ExitExpectationFailed : ExitOk;
}

} // namespace lab::app
