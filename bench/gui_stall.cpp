// GUI stall benchmark: the whole window (offscreen) with the default lab on free ports, while wrk drives
// the proxy flat out. A 10 ms timer on the GUI thread measures how late each tick fires (the event-loop
// stall a person would feel as jank); getrusage(RUSAGE_THREAD) gives the GUI thread's CPU share. The Flow
// tab is the current one the whole time, and the run counts the flow canvas's paint events and the dots
// it draws: a run where the flow view did not animate measured nothing and fails (exit 2).
//
//   gui-stall [--seconds N] [--connections N] [--threads N]     (needs wrk on PATH)
// Exits 1 when the p99 stall is 50 ms or more (the window must stay smooth at full load).
#include "FlowView.h"
#include "FlowViewCanvas.h"
#include "MainWindow.h"
#include "lab/Lab.h"
#include "proxy/Proxy.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QEvent>
#include <QProcess>
#include <QRegularExpression>
#include <QTabWidget>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <sys/resource.h>

namespace {
double threadCpuSeconds()
{
    rusage u{};
    getrusage(RUSAGE_THREAD, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const size_t i = std::min(v.size() - 1, size_t(p / 100.0 * double(v.size())));
    return v[i];
}

// Counts the paint events of the widget it watches (the flow canvas: one per animation frame drawn).
class PaintCounter final : public QObject {
public:
    int frames = 0;
    bool counting = false;
    bool eventFilter(QObject* watched, QEvent* event) override
    {
        if (counting && event->type() == QEvent::Paint)
            ++frames;
        return QObject::eventFilter(watched, event);
    }
};
} // namespace

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    qputenv("QT_LOGGING_RULES", "lab.*.info=false");
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("Balancer Lab bench")); // keep the user's settings alone
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption seconds(QStringLiteral("seconds"), QStringLiteral("Load duration (default 10)."),
                                     QStringLiteral("N"), QStringLiteral("10"));
    const QCommandLineOption connections(QStringLiteral("connections"), QStringLiteral("wrk connections (default 50)."),
                                         QStringLiteral("N"), QStringLiteral("50"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("wrk threads (default 1)."),
                                     QStringLiteral("N"), QStringLiteral("1"));
    const QCommandLineOption view(QStringLiteral("view"),
                                  QStringLiteral("The main area's tab while measuring: flow (default) or charts "
                                                 "(to compare, at the same load)."),
                                  QStringLiteral("flow|charts"), QStringLiteral("flow"));
    parser.addOptions({seconds, connections, threads, view});
    parser.process(app);
    const int durationS = qBound(1, parser.value(seconds).toInt(), 120);

    lab::LabConfig config = lab::LabConfig::defaultLab();
    config.listeners[0].port = 0;
    for (lab::BackendConfig& b : config.backends)
        b.port = 0;
    lab::Lab theLab(config);
    QString error;
    if (!theLab.startEmbeddedBackends(&error) || !theLab.startProxies(&error)) {
        std::fprintf(stderr, "gui-stall: %s\n", qPrintable(error));
        return 2;
    }
    lab::MainWindow window(&theLab);
    window.resize(1366, 740);
    window.show();
    // The flow view is what must stay smooth: its tab is the current one, visible and animating.
    lab::FlowView* flow = window.flowView();
    const bool flowTab = parser.value(view) != QLatin1String("charts");
    for (int i = 0; i < window.viewTabs()->count(); ++i) {
        if (window.viewTabs()->widget(i)->isAncestorOf(flow) == flowTab)
            window.viewTabs()->setCurrentIndex(i);
    }
    PaintCounter paints;
    flow->canvas()->installEventFilter(&paints);
    size_t dotSamples = 0, dotsSeen = 0, dotsMax = 0;

    std::vector<double> lateMs;
    QElapsedTimer sinceTick;
    bool measuring = false;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    QObject::connect(&probe, &QTimer::timeout, [&] {
        if (measuring) {
            lateMs.push_back(std::max(0.0, double(sinceTick.nsecsElapsed()) / 1e6 - 10.0));
            const size_t dots = flow->scene().dots().size();
            ++dotSamples;
            dotsSeen += dots;
            dotsMax = std::max(dotsMax, dots);
        }
        sinceTick.restart();
    });

    QProcess wrk;
    wrk.setProcessChannelMode(QProcess::MergedChannels);
    double cpuStart = 0;
    QElapsedTimer wall;
    int exitCode = 0;
    QObject::connect(&wrk, &QProcess::finished, [&] {
        measuring = false;
        paints.counting = false;
        const double cpu = threadCpuSeconds() - cpuStart;
        const double elapsed = double(wall.nsecsElapsed()) / 1e9;
        const QString out = QString::fromLocal8Bit(wrk.readAll());
        const QRegularExpressionMatch rps = QRegularExpression(QStringLiteral("Requests/sec:\\s+([0-9.]+)")).match(out);
        const double p99 = percentile(lateMs, 99);
        std::printf("wrk -t%s -c%s -d%ds through the proxy: %s req/s\n", qPrintable(parser.value(threads)),
                    qPrintable(parser.value(connections)), durationS,
                    rps.hasMatch() ? qPrintable(rps.captured(1)) : "?");
        std::printf("GUI 10 ms timer, %zu ticks: stall p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", lateMs.size(),
                    percentile(lateMs, 50), p99,
                    lateMs.empty() ? 0.0 : *std::max_element(lateMs.begin(), lateMs.end()));
        std::printf("GUI thread CPU: %.2f s of %.1f s wall = %.1f%% of one core\n", cpu, elapsed,
                    100.0 * cpu / elapsed);
        std::printf("flow view: current tab %s, visible %s, %d frames painted (%.0f/s), dots on screen: mean "
                    "%.0f, max %zu\n",
                    window.viewTabs()->currentWidget()->isAncestorOf(flow) ? "yes" : "no",
                    flow->isVisible() ? "yes" : "no", paints.frames, paints.frames / elapsed,
                    dotSamples ? double(dotsSeen) / double(dotSamples) : 0.0, dotsMax);
        const lab::MetricsSnapshot s = theLab.snapshot();
        std::printf("proxy counted %llu requests, %llu errors\n", (unsigned long long)s.listener.requests,
                    (unsigned long long)s.listener.errors());
        if (!rps.hasMatch()) {
            std::fprintf(stderr, "gui-stall: wrk did not report a rate:\n%s\n", qPrintable(out));
            exitCode = 2;
        } else if (flowTab && (!flow->isVisible() || paints.frames == 0 || dotsMax == 0)) {
            std::fprintf(stderr, "gui-stall: the flow view did not animate: nothing was measured\n");
            exitCode = 2;
        } else if (p99 >= 50) {
            std::fprintf(stderr, "gui-stall: FAIL: p99 stall %.1f ms >= 50 ms\n", p99);
            exitCode = 1;
        }
        app.exit(exitCode);
    });
    QObject::connect(&wrk, &QProcess::errorOccurred, [&](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart) {
            std::fprintf(stderr, "gui-stall: cannot run wrk (install it: apt-get install wrk)\n");
            app.exit(2);
        }
    });

    // One second to settle (window laid out, charts created), then load and measure.
    QTimer::singleShot(1000, [&] {
        measuring = true;
        paints.counting = true;
        cpuStart = threadCpuSeconds();
        wall.start();
        sinceTick.start();
        probe.start(10);
        wrk.start(QStringLiteral("wrk"),
                  {QStringLiteral("-t") + parser.value(threads), QStringLiteral("-c") + parser.value(connections),
                   QStringLiteral("-d%1s").arg(durationS),
                   QStringLiteral("http://127.0.0.1:%1/").arg(theLab.httpProxy()->port())});
    });
    return app.exec();
}
