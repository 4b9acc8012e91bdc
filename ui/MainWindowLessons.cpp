// MainWindow's lessons: the Lessons menu, the lesson dock, and recording a scenario. Apart from
// MainWindow.cpp so the window's main file stays one job (the lab's views) and under ~600 lines.
#include "ChartsPanel.h"
#include "LessonPanel.h"
#include "MainWindow.h"
#include "TrafficPanel.h"
#include "lab/Lab.h"
#include "loadgen/LoadGenerator.h"
#include "teach/Lessons.h"
#include "teach/ScenarioPlayer.h"
#include "teach/ScenarioRecorder.h"

#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>

namespace lab {

namespace {
// "5 Cascading failover" -> "Cascading failover": the menu writes the number itself.
QString withoutNumber(const QString& title, int number)
{
    const QString prefix = QString::number(number) + QLatin1Char(' ');
    return title.startsWith(prefix) ? title.mid(prefix.size()) : title;
}
} // namespace

void MainWindow::buildLessonDock()
{
    m_lessonDock->setObjectName(QStringLiteral("lessonDock"));
    m_lessonDock->setWidget(m_lessonPanel);
    m_lessonDock->setAllowedAreas(Qt::LeftDockWidgetArea | Qt::RightDockWidgetArea);
    // Docked when the first lesson opens: a hidden dock still adds its panel's minimum height to the
    // window's, and a zoomed window at 1280x720 would then outgrow its screen.
    m_lessonDock->hide();
    // A lesson nobody sees must not go on changing the lab: closing the dock pauses it.
    connect(m_lessonDock, &QDockWidget::visibilityChanged, this, [this](bool visible) {
        if (!visible && !m_lessonDock->isFloating() && !isMinimized() && isVisible()) {
            m_lessonPanel->pause();
            if (m_labIsLesson)
                showMessage(tr("the lesson is paused; the lab is still the lesson's (File > Open lab or Open the "
                               "default lab leaves it "
                               "without asking to save)"));
        }
    });
    connect(m_lessonPanel, &LessonPanel::stepMarker, this, [this](const QString& label) {
        m_charts->addMarker(double(m_clock.elapsed()) / 1000.0, label);
        // The pie counts what the step's checks count: from the step's start, not a mix of steps.
        m_charts->startShareAt(tr("step %1").arg(label.section(QLatin1Char(' '), 0, 0)));
    });
    connect(m_lessonPanel, &LessonPanel::message, this, &MainWindow::showMessage);
    // The Traffic tab shows what the lesson sends (and that the lesson sends it), not only its own form.
    m_trafficPanel->setForeignTraffic([this] {
        const ScenarioPlayer* player = m_lessonPanel->player();
        if (!player)
            return TrafficPanel::ForeignTraffic{};
        return TrafficPanel::ForeignTraffic{tr("the lesson \"%1\"").arg(m_lessonTitle), player->runningTraffic()};
    });
    connect(m_trafficPanel, &TrafficPanel::trafficStarted, this, [this](const LoadSpec& spec) {
        TrafficProfile t;
        t.connections = spec.concurrency;
        t.ratePerSecond = spec.ratePerSecond;
        t.durationMs = spec.durationMs;
        t.maxRequests = spec.maxRequests;
        t.method = spec.method;
        t.path = spec.path;
        t.body = spec.body;
        t.users = spec.users;
        m_recorder->recordTraffic(t);
    });
    connect(m_trafficPanel, &TrafficPanel::trafficStopped, m_recorder, &ScenarioRecorder::recordStopTraffic);
}

void MainWindow::buildLessonsMenu()
{
    m_lessonsMenu = menuBar()->addMenu(tr("L&essons"));
    for (const LessonInfo& lesson : builtInLessons()) {
        QAction* a =
            m_lessonsMenu->addAction(tr("%1. %2").arg(lesson.number).arg(withoutNumber(lesson.title, lesson.number)),
                                     this, [this, file = lesson.file] { openLesson(file); });
        a->setToolTip(lesson.summary);
        a->setData(lesson.file);
    }
    m_lessonsMenu->setToolTipsVisible(true);
    m_lessonsMenu->addSeparator();
    m_lessonsMenu->addAction(tr("Open &scenario…"), this, [this] {
        const QString name =
            QFileDialog::getOpenFileName(this, tr("Open scenario"), QString(), tr("Scenarios (*.json);;All files (*)"));
        if (!name.isEmpty())
            openLesson(name);
    });
    QAction* anyPorts = m_lessonsMenu->addAction(tr("Play on &free ports"));
    anyPorts->setObjectName(QStringLiteral("lessonAnyPorts"));
    anyPorts->setCheckable(true);
    anyPorts->setToolTip(tr("Lessons take free ports instead of 8000-8003; the backends keep their names."));
    anyPorts->setChecked(QSettings().value(QStringLiteral("lessons/anyPorts"), false).toBool());
    m_lessonPanel->setAnyPorts(anyPorts->isChecked());
    connect(anyPorts, &QAction::toggled, this, [this](bool on) {
        m_lessonPanel->setAnyPorts(on);
        QSettings().setValue(QStringLiteral("lessons/anyPorts"), on);
    });
    m_lessonsMenu->addSeparator();
    m_recordAction = m_lessonsMenu->addAction(tr("&Record scenario…"), this, [this] {
        if (!m_recorder->isRecording()) {
            startRecording();
            return;
        }
        const QString name = QFileDialog::getSaveFileName(this, tr("Save the recorded scenario"),
                                                          QStringLiteral("scenario.json"), tr("Scenarios (*.json)"));
        if (name.isEmpty())
            return; // still recording
        stopRecording(name);
    });
    m_recordAction->setToolTip(
        tr("Every change you make to the lab (and the traffic you start) is saved with its time, "
           "as a scenario the Lessons menu can play back."));
}

bool MainWindow::openLesson(const QString& fileName, QString* error)
{
    const ScenarioResult r = loadScenario(fileName);
    QString why = r.error;
    if (r.ok()) {
        closeLesson();
        m_generator->stop(); // the lesson brings its own traffic
        m_lessonTitle = r.scenario.title;
        // Save must not write the lesson's lab over the file that was open.
        m_currentFile.clear();
        if (dockWidgetArea(m_lessonDock) == Qt::NoDockWidgetArea && !m_lessonDock->isFloating())
            addDockWidget(Qt::RightDockWidgetArea, m_lessonDock);
        if (!m_lessonDock->isVisible()) {
            m_lessonDock->show();
            // A third of the window for the lesson, 320 to 370 px: its text reads at 1024 px, and at 1366 px
            // the main area keeps all its panes need (none scrolls sideways).
            resizeDocks({m_lessonDock}, {qBound(320, width() / 3, 370)}, Qt::Horizontal);
        }
        m_lessonDock->raise();
        if (m_lessonPanel->open(r.scenario, &why)) {
            m_labIsLesson = true;
            updateTitle();
            return true;
        }
    }
    if (error)
        *error = why;
    if (isVisible())
        QMessageBox::warning(this, tr("Cannot play the scenario"), why);
    showMessage(why.section(QLatin1Char('\n'), 0, 0));
    return false;
}

void MainWindow::closeLesson()
{
    m_lessonPanel->close();
    m_lessonDock->hide();
    m_lessonTitle.clear();
}

void MainWindow::startRecording()
{
    m_recorder->start();
    m_recordAction->setText(tr("Stop &recording…"));
    showMessage(tr("recording a scenario: every change to the lab is saved with its time"));
}

bool MainWindow::stopRecording(const QString& fileName, QString* error)
{
    m_recorder->stop();
    m_recordAction->setText(tr("&Record scenario…"));
    QString why;
    if (!m_recorder->save(fileName, &why)) {
        if (error)
            *error = why;
        showMessage(why);
        return false;
    }
    showMessage(tr("scenario recorded to %1: %2 steps").arg(fileName).arg(m_recorder->stepCount()));
    return true;
}

} // namespace lab
