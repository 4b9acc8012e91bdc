#pragma once

#include "Experiment.h"
#include "ExperimentResults.h"
#include "ExperimentWorkload.h"

#include <QMap>
#include <QObject>
#include <memory>

class QTimer;

namespace lab {

class Lab;
class WorkloadDriver;

// Runs an experiment: for each arm in turn a fresh lab (its own proxy and fake backends on free ports),
// the one seeded workload through it (WorkloadDriver, open loop), the timeline at the same moments, and
// the arm's figures (ExperimentResults.h) from the client's outcomes, the proxy's counters and the
// backends' own. Arms never overlap: each has the machine to itself, and the lab is stopped before the
// next one starts. Lives on the thread that made it (it owns the labs, which live there); the driver runs
// on a thread of its own. Every run ends by itself: each request is answered or given up after the
// workload's requestTimeoutMs.
class ExperimentRunner final : public QObject {
    Q_OBJECT
public:
    static constexpr int kQueueSampleMs = 10;

    struct Options {
        bool keepOutcomes = false; // ArmResult::outcomes (every request's fate), for tests
        bool echo = false; // read the backends' echo of each request (RequestOutcome::echo*)
    };

    explicit ExperimentRunner(Experiment experiment, QObject* parent = nullptr);
    ~ExperimentRunner() override;
    Q_DISABLE_COPY_MOVE(ExperimentRunner)

    void setOptions(const Options& options) { m_options = options; }
    const Experiment& experiment() const { return m_experiment; }
    const std::vector<PlannedRequest>& plan() const { return m_plan; }

    // Starts the first arm; the others follow. False when a run is going.
    bool start();
    // Ends the run after the arm going (its requests are given up); finished() follows.
    void stop();
    bool isRunning() const { return m_running; }
    int currentArm() const { return m_arm; }
    const QList<ArmResult>& results() const { return m_results; }
    // Empty unless an arm's lab could not start (then the run ended there).
    QString error() const { return m_error; }

Q_SIGNALS:
    void armStarted(int arm);
    // About twice a second while an arm runs.
    void progress(int arm, quint64 finished, quint64 total);
    void armFinished(int arm);
    void finished();

private:
    void startArm();
    void onDriverStarted();
    void onDriverDone();
    void sampleQueues();
    void applyEvent(const TimelineEvent& event);
    void finish();
    // The timeline's first add or stop (what keys moved is measured across), or nullptr.
    const TimelineEvent* keyMovingEvent() const;
    // How many backends are in the lab just before `event` (of the experiment's timeline).
    int backendsBefore(const TimelineEvent& event) const;

    Experiment m_experiment;
    std::vector<PlannedRequest> m_plan;
    Options m_options;
    std::unique_ptr<Lab> m_lab;
    WorkloadDriver* m_driver;
    QTimer* m_sampler;
    QTimer* m_progress;
    QObject* m_armContext = nullptr; // the arm's timeline timers: deleted with the arm
    QMap<QString, int> m_maxQueue; // backend name -> the longest line seen in this arm
    QMap<QString, QString> m_addedNames; // timeline name of an added backend -> the lab's name for it
    QList<ArmResult> m_results;
    QString m_error;
    int m_arm = -1;
    bool m_running = false;
    bool m_stopping = false;
};

} // namespace lab
