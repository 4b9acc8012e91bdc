#pragma once

#include "Scenario.h"
#include "lab/BackendId.h"

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QStringList>
#include <memory>

namespace lab {

class Clock;
class Lab;

// Records what an operator does to a Lab as a scenario (docs/scenarios.md) that the parser accepts and
// ScenarioPlayer replays: the lab as it was when recording began, then one step per change with its `at`
// time. It watches the Lab, not the window: on every signal the Lab gives for a change (backend state,
// inserted, removed, proxy state, an event logged) it compares the lab with what it last saw and writes a
// step for each difference (stop/start, drain/undrain, add/remove, weight, faults, algorithm, retry,
// health). So every panel that changes the lab is recorded without a call of its own, and a change made
// twice to the same value is recorded once. Traffic is not the lab's: the window calls recordTraffic()
// and recordStopTraffic().
//
// What a scenario has no step for (timeouts, the listener, hash key, sticky sessions, an external
// backend added, one backend's own health settings) is written as a `watch` step titled "not replayed:
// ...", so the file tells the truth about what its replay leaves out. Lives on the lab's thread; cost:
// one walk over the backends per Lab signal while recording.
class ScenarioRecorder final : public QObject {
    Q_OBJECT
public:
    explicit ScenarioRecorder(Lab* lab, std::shared_ptr<const Clock> clock = {}, QObject* parent = nullptr);
    ~ScenarioRecorder() override;
    Q_DISABLE_COPY_MOVE(ScenarioRecorder)

    // Begins a recording from the lab as it is now (a recording already going starts over).
    void start();
    bool isRecording() const { return m_recording; }
    // The traffic generator started with `profile` (its duration included) / was stopped by the operator.
    void recordTraffic(const TrafficProfile& profile);
    void recordStopTraffic();
    // Ends the recording: the steps so far plus a closing pause up to now, so the replay lasts as long as
    // the recording did. The scenario stays readable through scenarioJson() until the next start().
    void stop();
    int stepCount() const { return int(m_steps.size()); }
    const QList<ScenarioStep>& steps() const { return m_steps; }

    // The scenario file: {"title", "summary", "lab", "steps": [{"do", "at", ...}]}.
    QByteArray scenarioJson() const;
    // Writes scenarioJson() to fileName. False with a sentence naming the file when it cannot.
    bool save(const QString& fileName, QString* error) const;

    // One step as the scenario file writes it (public for the tests).
    static QJsonObject stepToJson(const ScenarioStep& step);

Q_SIGNALS:
    void stepRecorded(const lab::ScenarioStep& step);

private:
    // What the recorder compares, per backend and for the lab.
    struct BackendSeen {
        QString name;
        bool embedded = true;
        bool running = true;
        bool draining = false;
        int weight = 1;
        FaultProfile faults;
        std::optional<HealthConfig> health;
    };
    BackendSeen seen(BackendId id) const;
    void compare();
    void add(ScenarioStep step);
    void note(const QString& what);
    qint64 nowMs() const;

    Lab* m_lab;
    std::shared_ptr<const Clock> m_clock;
    bool m_recording = false;
    qint64 m_startedAtMs = 0;
    LabConfig m_startLab;
    LabConfig m_lastLab;
    QHash<BackendId, BackendSeen> m_backends;
    QList<ScenarioStep> m_steps;
};

} // namespace lab
