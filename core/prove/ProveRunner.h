#pragma once

#include "experiment/Experiment.h"
#include "experiment/ExperimentResults.h"
#include "export/ConfigExport.h"

#include <QObject>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <memory>
#include <vector>

class QTemporaryDir;
class QTimer;

namespace lab {

class Lab;
class WorkloadDriver;

// One backend's line of the comparison: its share through the lab's proxy and through the target.
struct ProveRow {
    QString name;
    quint64 labServed = 0;
    quint64 targetServed = 0;
    double labShare = 0; // of the responses naming a backend
    double targetShare = 0;
    bool flagged = false; // the shares differ by more than ProveReport::kFlagPoints percentage points
};

struct ProveReport {
    static constexpr double kFlagPoints = 5.0;
    ExportFormat target = ExportFormat::Haproxy;
    QString algorithm;
    WorkloadSpec workload;
    ArmResult lab; // the same seeded workload through the lab's own proxy...
    ArmResult other; // ...and through the real HAProxy or nginx in front of the same backends
    QList<ProveRow> rows;
    QStringList warnings; // the export's (what the target cannot express)
    QByteArray exported; // the config the target ran
    bool anyFlagged() const;
    double maxShareDifferencePoints() const;
};

// The comparison as text: per backend the shares side by side (flagged "<-- differs" past 5 points), then
// errors and latency of each side. What `balancer-lab prove` prints and the window's dialog shows.
QString proveTable(const ProveReport& report);

// The workload prove drives by default: constant arrivals at 200/s for 1.5 s, a fixed 5 ms cost per
// request. Seeded like an experiment's, so both arms get the same requests at the same moments.
WorkloadSpec defaultProveWorkload();
// The same for `lab`. When its retries follow a response status (retry-on 404, 503...), Poisson arrivals
// for 6 s instead. A request then walks several backends while others are in flight, and where each walk
// goes depends on where the others moved the turn; with a fixed gap and fixed costs that interleaving
// repeats in step with the arrivals, so one run is one phase of a cycle: lesson 5's round robin put
// 5-15 % of its requests on backend-8001 from run to run with constant arrivals, within 2 points of
// HAProxy with Poisson ones and 1 200 requests. Not Poisson for every lab: its bursts put more requests
// in flight at once, and least-connections then follows each proxy's own speed (lesson 3's lab under
// the sanitizer build: 7.6 points from HAProxy with Poisson, within 5 with constant arrivals).
WorkloadSpec defaultProveWorkload(const LabConfig& lab);
static constexpr int kProveRetryWalkDurationMs = 6000;

// `prove`: exports the lab, starts the lab's embedded backends and its proxy on free loopback ports, runs
// the workload through the proxy, then starts the real target (haproxy -db / nginx "daemon off") on a free
// loopback port from a temp dir in front of the same backends and runs the same workload through it.
// Everything it started is stopped before finished(): the target process (SIGTERM, then SIGKILL after 3 s),
// the lab and the temp dir; stop() (Ctrl-C) goes the same way. Lives on the thread that made it; the
// driver and the lab run on threads of their own. Each arm is bounded by the workload (and its request
// timeout); the target gets kTargetStartMs to accept connections.
class ProveRunner final : public QObject {
    Q_OBJECT
public:
    static constexpr int kTargetStartMs = 5000;
    enum class Phase { Idle, LabArm, StartingTarget, TargetArm, Done };

    ProveRunner(ExportFormat target, LabConfig lab, WorkloadSpec workload, QObject* parent = nullptr);
    ~ProveRunner() override;
    Q_DISABLE_COPY_MOVE(ProveRunner)

    // Starts the run; finished() follows in every case (also when the binary is missing).
    void start();
    void stop();
    Phase phase() const { return m_phase; }
    // After finished(): empty when both arms ran. binaryMissing() says the target is not installed.
    const QString& error() const { return m_error; }
    bool binaryMissing() const { return m_binaryMissing; }
    const ProveReport& report() const { return m_report; }

Q_SIGNALS:
    // A sentence per step ("lab arm: 300 requests through the lab's proxy on :41234").
    void progress(const QString& text);
    void finished();

private:
    void startLabArm();
    void onDriverDone();
    void startTarget();
    void pollTarget();
    void startTargetArm(quint16 port);
    void fail(const QString& error);
    void finish();
    void cleanUp();
    ArmResult summarise(const QString& name) const;

    ExportFormat m_target;
    LabConfig m_config;
    WorkloadSpec m_workload;
    std::vector<PlannedRequest> m_plan;
    Phase m_phase = Phase::Idle;
    bool m_stopping = false;
    bool m_binaryMissing = false;
    QString m_error;
    ProveReport m_report;
    std::unique_ptr<Lab> m_lab;
    std::unique_ptr<QTemporaryDir> m_dir;
    QProcess* m_process = nullptr;
    WorkloadDriver* m_driver = nullptr;
    QTimer* m_poll = nullptr;
    quint16 m_targetPort = 0;
    qint64 m_pollStartedMs = 0;
};

} // namespace lab
