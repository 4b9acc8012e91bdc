#pragma once

#include "teach/Scenario.h"

#include <QWidget>

class QCheckBox;
class QLabel;
class QListWidget;
class QPushButton;
class QTextBrowser;
class QTimer;

namespace lab {

class Lab;
class ScenarioPlayer;

// A lesson, played in the window: its title, the timeline of steps (the current one highlighted, each
// with its time), the current step's text for the learner (what it does, what to watch, why, a question),
// every expectation of the lesson live (… pending, ✓ held, ✗ did not hold, – skipped) with what was seen,
// and at the end one line that says whether they all held.
//
// The panel owns the ScenarioPlayer and steers it: play/pause, restart, skip to a step (double-click
// it). After each step the lesson waits for the learner's Next (the lab keeps running as it is), unless
// "Play through without waiting" is ticked (a teacher's demonstration). There is no speed control in the
// window: the traffic a text names ("100 a second") is the traffic sent, so the texts stay true; the
// headless command keeps --speed. The rows are rebuilt from the player's records() on every signal, so what they say is
// what the player decided, never a copy kept apart. Each step that starts is announced by stepMarker() so the window
// can mark it on the charts.
//
// In a `step` step (step mode) the learner presses Step: the player waits for them (setLearnerSteps),
// and a prompt under the controls says so, with how many picks are done, a Step button (the same as the
// Flow tab's) and "Step for me", which lets the lesson press for the rest of that step.
class LessonPanel final : public QWidget {
    Q_OBJECT
public:
    explicit LessonPanel(Lab* lab, QWidget* parent = nullptr);
    ~LessonPanel() override;
    Q_DISABLE_COPY_MOVE(LessonPanel)

    // Loads the scenario's lab into the Lab and plays it from step 0. When its ports are taken, plays it
    // again on free ports and says so. False with the lab's sentence when it cannot start at all.
    bool open(Scenario scenario, QString* error = nullptr);
    // Stops playing (the lab keeps what it has) and forgets the lesson.
    void close();
    // Every lesson opened from now on plays on free ports (its backends keep their names), not the ports
    // its file names: for a machine where 8000 is taken, and for tests.
    void setAnyPorts(bool any) { m_anyPorts = any; }
    bool anyPorts() const { return m_anyPorts; }
    bool isOpen() const { return m_player != nullptr; }
    void pause();
    // Wait for Next after each step (the default) or play through.
    void setPlayThrough(bool through);

    ScenarioPlayer* player() const { return m_player; }
    QLabel* titleLabel() const { return m_title; }
    QListWidget* stepList() const { return m_steps; }
    QListWidget* checkList() const { return m_checks; }
    QTextBrowser* stepText() const { return m_text; }
    QLabel* resultLabel() const { return m_result; }
    QPushButton* playButton() const { return m_play; }
    // The step-mode prompt (shown while a `step` step waits for the learner) and its buttons.
    QWidget* stepPrompt() const { return m_stepPrompt; }
    QLabel* stepPromptText() const { return m_stepPromptText; }
    QPushButton* stepButton() const { return m_stepButton; }
    QPushButton* stepForMeButton() const { return m_stepForMe; }
    // The Next prompt, shown while the lesson waits between steps, and its button.
    QWidget* nextPrompt() const { return m_nextPrompt; }
    QPushButton* nextButton() const { return m_nextButton; }
    QCheckBox* playThroughBox() const { return m_playThrough; }
    // The step the list highlights (-1: none; the step count when the lesson is over).
    int highlightedStep() const { return m_highlighted; }
    // One line per expectation, as the check list shows it: "✓ step 1 · share of ... — seen 0.33 ...".
    QStringList checkRows() const;

Q_SIGNALS:
    // A step began: a marker for the charts ("3 stop backend-8003").
    void stepMarker(const QString& label);
    void message(const QString& text);

protected:
    void changeEvent(QEvent* event) override;

private:
    void startPlayer(QString* error);
    void populate();
    void refreshRows();
    void highlight(int step);
    void showStepText(int step);
    void updateControls();
    void showResult();
    void updateStepPrompt();
    void updateNextPrompt();
    void applyFonts();
    QString stepLabel(int step) const;
    QString errorsLine() const;

    Lab* m_lab;
    Scenario m_scenario;
    ScenarioPlayer* m_player = nullptr;
    QString m_portNote; // why the lesson runs on other ports than its file says
    int m_highlighted = -1;
    bool m_anyPorts = false;
    QLabel* m_title;
    QLabel* m_summary;
    QListWidget* m_steps;
    QTextBrowser* m_text;
    QListWidget* m_checks;
    QLabel* m_result;
    QPushButton* m_play;
    QPushButton* m_restart;
    QPushButton* m_skip;
    QCheckBox* m_playThrough;
    QWidget* m_nextPrompt;
    QLabel* m_nextPromptText;
    QPushButton* m_nextButton;
    QWidget* m_stepPrompt;
    QLabel* m_stepPromptText;
    QPushButton* m_stepButton;
    QPushButton* m_stepForMe;
    QTimer* m_promptTimer; // the held count, while the prompt shows
    QTimer* m_rowsTimer; // the check rows, while the lesson waits for Next (their rechecks)
};

} // namespace lab
