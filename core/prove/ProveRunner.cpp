#include "ProveRunner.h"

#include "experiment/ExperimentWorkload.h"
#include "experiment/WorkloadDriver.h"
#include "export/ExportText.h"
#include "export/ExportValidator.h"
#include "lab/Lab.h"
#include "proxy/Proxy.h"

#include <QDateTime>
#include <QFile>
#include <QLoggingCategory>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTimer>
#include <cmath>

Q_LOGGING_CATEGORY(lcProve, "lab.prove")

namespace lab {

namespace {

// A free loopback port for the target: bound and released at once (the target binds it a moment later;
// another process taking it in between makes the target fail to start, which prove reports).
quint16 freeLoopbackPort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

QString percent(double share)
{
    return QStringLiteral("%1%").arg(share * 100.0, 0, 'f', 1);
}

} // namespace

bool ProveReport::anyFlagged() const
{
    return std::any_of(rows.begin(), rows.end(), [](const ProveRow& r) { return r.flagged; });
}

double ProveReport::maxShareDifferencePoints() const
{
    double worst = 0;
    for (const ProveRow& r : rows)
        worst = std::max(worst, std::abs(r.labShare - r.targetShare) * 100.0);
    return worst;
}

WorkloadSpec defaultProveWorkload()
{
    WorkloadSpec w;
    w.arrival = ArrivalProcess::Constant;
    w.ratePerSecond = 200;
    w.durationMs = 1500;
    w.cost = CostDistribution::Fixed;
    w.costMeanMs = 5;
    w.requestTimeoutMs = 10'000;
    return w;
}

WorkloadSpec defaultProveWorkload(const LabConfig& lab)
{
    WorkloadSpec w = defaultProveWorkload();
    if (lab.retry.retries > 0 && !exporting::retryStatuses(lab.retry.retryOn).isEmpty()) {
        w.arrival = ArrivalProcess::Poisson;
        w.durationMs = kProveRetryWalkDurationMs;
    }
    return w;
}

QString proveTable(const ProveReport& r)
{
    const QString target = exportFormatName(r.target);
    QStringList lines;
    lines << QStringLiteral("prove: %1 through the lab's proxy and through %2, %3 requests each for %4")
                 .arg(r.algorithm, target)
                 .arg(r.lab.requests)
                 .arg(QString::fromUtf8(r.workload.path));
    lines << QStringLiteral("(%1 arrivals at %2/s for %3 s, each holding its backend %4 ms, seed %5)")
                 .arg(arrivalName(r.workload.arrival))
                 .arg(r.workload.ratePerSecond)
                 .arg(double(r.workload.durationMs) / 1000.0, 0, 'f', 1)
                 .arg(r.workload.costMeanMs)
                 .arg(r.workload.seed);
    lines << QStringLiteral("A backend's share: the responses the clients got from it, whatever their status.");
    lines << QString();
    lines << QStringLiteral("%1 %2 %3 %4")
                 .arg(QStringLiteral("backend"), -24)
                 .arg(QStringLiteral("lab"), 16)
                 .arg(target, 16)
                 .arg(QStringLiteral("difference"), 12);
    for (const ProveRow& row : r.rows) {
        const double diff = (row.targetShare - row.labShare) * 100.0;
        lines
            << QStringLiteral("%1 %2 %3 %4%5")
                   .arg(row.name, -24)
                   .arg(QStringLiteral("%1 (%2)").arg(percent(row.labShare)).arg(row.labServed), 16)
                   .arg(QStringLiteral("%1 (%2)").arg(percent(row.targetShare)).arg(row.targetServed), 16)
                   .arg(QStringLiteral("%1%2 pt").arg(diff >= 0 ? QStringLiteral("+") : QString()).arg(diff, 0, 'f', 1),
                        12)
                   .arg(row.flagged
                            ? QStringLiteral("  <-- differs by more than %1 points").arg(ProveReport::kFlagPoints)
                            : QString());
    }
    auto pair = [&](const QString& label, const QString& a, const QString& b) {
        lines << QStringLiteral("%1 %2 %3").arg(label, -24).arg(a, 16).arg(b, 16);
    };
    lines << QString();
    pair(QStringLiteral("answered (any status)"), QString::number(r.lab.completed), QString::number(r.other.completed));
    pair(QStringLiteral("errors (4xx, 5xx, lost)"), QString::number(r.lab.errors()), QString::number(r.other.errors()));
    pair(QStringLiteral("  5xx"), QString::number(r.lab.byClass[5]), QString::number(r.other.byClass[5]));
    pair(QStringLiteral("  4xx"), QString::number(r.lab.byClass[4]), QString::number(r.other.byClass[4]));
    pair(QStringLiteral("  resets"), QString::number(r.lab.resets), QString::number(r.other.resets));
    pair(QStringLiteral("  timeouts"), QString::number(r.lab.timeouts), QString::number(r.other.timeouts));
    pair(QStringLiteral("  connect failures"), QString::number(r.lab.connectFailures),
         QString::number(r.other.connectFailures));
    for (double p : {50.0, 90.0, 99.0})
        pair(QStringLiteral("latency p%1").arg(p), QStringLiteral("%1 ms").arg(r.lab.percentileMs(p), 0, 'f', 1),
             QStringLiteral("%1 ms").arg(r.other.percentileMs(p), 0, 'f', 1));
    lines << QString();
    if (r.anyFlagged())
        lines << QStringLiteral("verdict: shares DIFFER: the largest difference is %1 points (flag past %2)")
                     .arg(r.maxShareDifferencePoints(), 0, 'f', 1)
                     .arg(ProveReport::kFlagPoints);
    else
        lines << QStringLiteral("verdict: shares agree within %1 points (largest difference %2)")
                     .arg(ProveReport::kFlagPoints)
                     .arg(r.maxShareDifferencePoints(), 0, 'f', 1);
    // The verdict judges the shares only; errors or tail latency far apart are said beside it.
    const auto errorShare = [](const ArmResult& a) {
        return a.requests ? double(a.errors()) / double(a.requests) : 0.0;
    };
    if (std::abs(errorShare(r.lab) - errorShare(r.other)) * 100.0 > ProveReport::kFlagPoints)
        lines << QStringLiteral("note: errors differ (%1 in the lab, %2 through %3); the verdict judges the shares "
                                "only, the export warnings say what the target does differently")
                     .arg(r.lab.errors())
                     .arg(r.other.errors())
                     .arg(target);
    const double labP99 = r.lab.percentileMs(99), otherP99 = r.other.percentileMs(99);
    if (std::min(labP99, otherP99) > 0 && std::max(labP99, otherP99) > 2.0 * std::min(labP99, otherP99))
        lines << QStringLiteral("note: p99 more than 2x apart (%1 ms in the lab, %2 ms through %3); the verdict "
                                "judges the shares only")
                     .arg(labP99, 0, 'f', 1)
                     .arg(otherP99, 0, 'f', 1)
                     .arg(target);
    for (const QString& w : r.warnings)
        lines << QStringLiteral("export warning: ") + w;
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

ProveRunner::ProveRunner(ExportFormat target, LabConfig lab, WorkloadSpec workload, QObject* parent)
    : QObject(parent)
    , m_target(target)
    , m_config(std::move(lab))
    , m_workload(workload)
    , m_driver(new WorkloadDriver(this))
    , m_poll(new QTimer(this))
{
    m_poll->setInterval(50);
    connect(m_poll, &QTimer::timeout, this, &ProveRunner::pollTarget);
    connect(m_driver, &WorkloadDriver::done, this, &ProveRunner::onDriverDone, Qt::QueuedConnection);
}

ProveRunner::~ProveRunner()
{
    m_driver->stop();
    cleanUp();
}

void ProveRunner::start()
{
    if (m_phase != Phase::Idle)
        return;
    m_report.target = m_target;
    m_report.algorithm = m_config.algorithm;
    m_report.workload = m_workload;
    if (findExportBinary(m_target).isEmpty()) {
        m_binaryMissing = true;
        QTimer::singleShot(0, this, [this] {
            fail(QStringLiteral("%1 is not installed: apt-get install %2")
                     .arg(exportBinaryName(m_target), exportPackageName(m_target)));
        });
        return;
    }
    m_plan = planWorkload(m_workload);
    QTimer::singleShot(0, this, &ProveRunner::startLabArm);
}

void ProveRunner::stop()
{
    if (m_phase == Phase::Done || m_phase == Phase::Idle)
        return;
    m_stopping = true;
    if (m_driver->isRunning()) {
        m_driver->stop(); // done() follows, queued, and ends the run there
        return;
    }
    fail(QStringLiteral("stopped"));
}

void ProveRunner::startLabArm()
{
    if (m_stopping)
        return fail(QStringLiteral("stopped"));
    LabConfig c = m_config;
    QList<ListenerConfig> http;
    for (ListenerConfig l : std::as_const(c.listeners)) {
        if (l.kind == ListenerKind::Http) {
            l.address = QStringLiteral("127.0.0.1");
            l.port = 0;
            // The workload speaks plain HTTP and prove compares balancing, not TLS: both arms go without
            // it (the export of a TLS listener is checked by tst_configexport).
            if (l.tls.enabled())
                m_report.warnings << QStringLiteral("TLS: prove drives plain HTTP through both arms; the "
                                                    "listener's certificate is left out");
            l.tls = {};
            http << l;
            break; // the workload goes to one listener
        }
    }
    if (http.isEmpty())
        return fail(QStringLiteral("the lab has no HTTP listener to drive the workload through"));
    c.listeners = http;
    for (BackendConfig& b : c.backends)
        if (b.embedded)
            b.port = 0;
    c.proxy.addServedBy = true; // both arms name the backend in X-Served-By
    c.proxy.accessLog = false;
    m_lab = std::make_unique<Lab>(c);
    m_lab->setEmbeddedPortBase(0);
    QString why;
    if (!m_lab->start(&why))
        return fail(QStringLiteral("the lab cannot start: ") + why);
    m_dir = std::make_unique<QTemporaryDir>();
    if (!m_dir->isValid())
        return fail(QStringLiteral("cannot make a temp dir: ") + m_dir->errorString());
    m_phase = Phase::LabArm;
    Q_EMIT progress(QStringLiteral("lab arm: %1 requests through a fresh copy of the lab's proxy on 127.0.0.1:%2")
                        .arg(m_plan.size())
                        .arg(m_lab->httpProxy()->port()));
    WorkloadDriver::Options o;
    o.port = m_lab->httpProxy()->port();
    o.users = m_workload.users;
    o.method = m_workload.method;
    o.requestTimeoutMs = m_workload.requestTimeoutMs;
    m_driver->start(m_plan, o);
}

ArmResult ProveRunner::summarise(const QString& name) const
{
    ArmResult arm;
    arm.name = name;
    arm.algorithm = m_config.algorithm;
    arm.elapsedMs = m_driver->elapsedMs();
    QStringList order;
    for (BackendId id : m_lab->backendIds()) {
        BackendResult b;
        b.name = m_lab->backendConfig(id).name;
        order << b.name;
        arm.backends << b;
    }
    summariseOutcomes(m_driver->outcomes(), m_driver->backendNames(), order, &arm);
    return arm;
}

void ProveRunner::onDriverDone()
{
    if (m_phase == Phase::LabArm) {
        m_report.lab = summarise(QStringLiteral("lab"));
        if (m_stopping)
            return fail(QStringLiteral("stopped"));
        startTarget();
    } else if (m_phase == Phase::TargetArm) {
        m_report.other = summarise(exportFormatName(m_target));
        if (m_stopping)
            return fail(QStringLiteral("stopped"));
        for (const BackendResult& b : std::as_const(m_report.lab.backends)) {
            ProveRow row;
            row.name = b.name;
            row.labServed = b.served;
            row.labShare = b.share;
            for (const BackendResult& t : std::as_const(m_report.other.backends)) {
                if (t.name == b.name) {
                    row.targetServed = t.served;
                    row.targetShare = t.share;
                }
            }
            row.flagged = std::abs(row.labShare - row.targetShare) * 100.0 > ProveReport::kFlagPoints;
            m_report.rows << row;
        }
        finish();
    }
}

void ProveRunner::startTarget()
{
    m_phase = Phase::StartingTarget;
    LabConfig c = m_lab->config(); // the backends at the ports they got
    m_targetPort = freeLoopbackPort();
    if (m_targetPort == 0)
        return fail(QStringLiteral("no free loopback port for %1").arg(exportBinaryName(m_target)));
    c.listeners.first().port = m_targetPort;
    ExportOptions options;
    options.runtimeDir = m_dir->path();
    options.sourceName = QStringLiteral("the lab (prove)");
    const ExportResult exported = exportConfig(m_target, c, options);
    m_report.warnings += exported.warnings;
    m_report.exported = exported.text;
    const QString file = m_dir->filePath(exportFormatName(m_target) + QStringLiteral(".conf"));
    QFile f(file);
    if (!f.open(QIODevice::WriteOnly) || f.write(exported.text) != exported.text.size())
        return fail(QStringLiteral("cannot write %1").arg(file));
    f.close();
    const ValidationResult valid = validateExportFile(m_target, file, m_dir->path());
    if (!valid.ok())
        return fail(QStringLiteral("%1 rejects the export:\n%2").arg(exportBinaryName(m_target), valid.output));

    m_process = new QProcess(this);
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    QStringList args;
    if (m_target == ExportFormat::Haproxy)
        args << QStringLiteral("-db") << QStringLiteral("-f") << file;
    else
        args << QStringLiteral("-p") << m_dir->path() << QStringLiteral("-c") << file << QStringLiteral("-e")
             << m_dir->filePath(QStringLiteral("error.log")) << QStringLiteral("-g") << QStringLiteral("daemon off;");
    m_process->start(findExportBinary(m_target), args);
    Q_EMIT progress(QStringLiteral("starting %1 on 127.0.0.1:%2 (config in %3)")
                        .arg(exportBinaryName(m_target))
                        .arg(m_targetPort)
                        .arg(file));
    m_pollStartedMs = QDateTime::currentMSecsSinceEpoch();
    m_poll->start();
}

void ProveRunner::pollTarget()
{
    if (m_stopping) {
        m_poll->stop();
        return fail(QStringLiteral("stopped"));
    }
    if (m_process->state() == QProcess::NotRunning) {
        m_poll->stop();
        return fail(QStringLiteral("%1 exited before accepting connections:\n%2")
                        .arg(exportBinaryName(m_target), QString::fromLocal8Bit(m_process->readAll()).trimmed()));
    }
    QTcpSocket probe;
    probe.connectToHost(QHostAddress::LocalHost, m_targetPort);
    if (probe.waitForConnected(200)) {
        probe.abort();
        m_poll->stop();
        startTargetArm(m_targetPort);
        return;
    }
    if (QDateTime::currentMSecsSinceEpoch() - m_pollStartedMs > kTargetStartMs) {
        m_poll->stop();
        fail(QStringLiteral("%1 did not accept connections on 127.0.0.1:%2 within %3 ms")
                 .arg(exportBinaryName(m_target))
                 .arg(m_targetPort)
                 .arg(kTargetStartMs));
    }
}

void ProveRunner::startTargetArm(quint16 port)
{
    m_phase = Phase::TargetArm;
    Q_EMIT progress(QStringLiteral("%1 arm: the same %2 requests through %1 on 127.0.0.1:%3")
                        .arg(exportBinaryName(m_target))
                        .arg(m_plan.size())
                        .arg(port));
    WorkloadDriver::Options o;
    o.port = port;
    o.users = m_workload.users;
    o.method = m_workload.method;
    o.requestTimeoutMs = m_workload.requestTimeoutMs;
    m_driver->start(m_plan, o);
}

void ProveRunner::fail(const QString& error)
{
    if (m_phase == Phase::Done)
        return;
    m_error = error;
    finish();
}

void ProveRunner::finish()
{
    cleanUp();
    m_phase = Phase::Done;
    Q_EMIT finished();
}

void ProveRunner::cleanUp()
{
    m_poll->stop();
    if (m_process) {
        if (m_process->state() != QProcess::NotRunning) {
            m_process->terminate();
            if (!m_process->waitForFinished(3000)) {
                qCWarning(lcProve, "%s ignored SIGTERM for 3 s: killed", qPrintable(exportBinaryName(m_target)));
                m_process->kill();
                m_process->waitForFinished(2000);
            }
        }
        delete std::exchange(m_process, nullptr);
    }
    if (m_lab) {
        m_lab->stopProxiesAndWait(2000);
        m_lab->stopAll();
        m_lab.reset();
    }
    m_dir.reset();
}

} // namespace lab
