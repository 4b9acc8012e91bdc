#pragma once

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;

namespace lab {

class Lab;
class LoadGenerator;

// The toolbar above the flow view: Pause (the window freezes what it shows while the proxy keeps working;
// Resume jumps to the present) and Slow motion (the lab's own generator sends 1-5 requests a second and
// the flow view slows its dots so each request can be followed). Slow motion owns the generator while it
// is on: it stops a Traffic tab run first and says so; its own run is bounded (kSlowRunMs, rate x that
// many requests) and the toggle turns itself off when the run ends for any reason. Step mode (the lab's
// StepGate) holds requests in scope before their pick; Step releases the oldest, Off releases them all.
class TimeControls final : public QWidget {
    Q_OBJECT
public:
    static constexpr int kSlowRunMs = 10 * 60 * 1000;
    static constexpr int kSlowConnections = 5; // enough for 5 req/s against a backend that takes a second

    TimeControls(Lab* lab, LoadGenerator* generator, QWidget* parent = nullptr);

    bool isPaused() const;
    void setPaused(bool paused);
    bool isSlowMotion() const;
    // False with the reason shown (no HTTP listener, the proxy is not running, ...).
    bool setSlowMotion(bool on);
    QPushButton* pauseButton() const { return m_pause; }
    QCheckBox* slowMotionBox() const { return m_slow; }
    QSpinBox* slowRateBox() const { return m_rate; }
    QString statusText() const;
    // Step mode: which requests the proxy holds before their pick; Step lets the oldest go.
    QComboBox* stepScopeBox() const { return m_stepScope; }
    QPushButton* stepButton() const { return m_step; }
    // One tick of the window's timer: the held count and the Step button follow the lab.
    void refresh();

Q_SIGNALS:
    void pausedChanged(bool paused);
    void slowMotionChanged(bool on);

private:
    bool startSlowRun(QString* error);
    void generatorFinished();
    void showStatus(const QString& text);

    Lab* m_lab;
    LoadGenerator* m_generator;
    QPushButton* m_pause;
    QCheckBox* m_slow;
    QSpinBox* m_rate;
    QLabel* m_status;
    bool m_slowOn = false;
    // ---- step mode ---------------------------------------------------------------------------------------
    QComboBox* m_stepScope;
    QPushButton* m_step;
    int m_held = -1;
};

} // namespace lab
