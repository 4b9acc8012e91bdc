#include "LessonPanel.h"

#include "FlowLayout.h"

#include "lab/Lab.h"
#include "teach/ScenarioPlayer.h"

#include <QCheckBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QRegularExpression>
#include <QSplitter>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

namespace lab {

namespace {
const QColor kCurrentBackground(255, 236, 170);
const QColor kHeld(20, 120, 40);
const QColor kFailed(180, 30, 30);
const QColor kPending(110, 110, 110);
constexpr int kPromptRefreshMs = 250;
constexpr int kRowsRefreshMs = 1000;

QString seconds(qint64 ms)
{
    return QStringLiteral("%1 s").arg(double(ms) / 1000.0, 5, 'f', 1);
}

// What a step does, for a learner: the scenario's own words (describe()) except where they are a bare
// action name that says nothing to someone who has not read the scenario format.
QString whatHappens(const ScenarioStep& s)
{
    switch (s.action) {
    case StepAction::StopTraffic:
        return s.stopsAllTraffic
            ? LessonPanel::tr("The lesson's traffic stops; the backends stay as they are.")
            : LessonPanel::tr("The traffic run \"%1\" stops; the rest goes on.").arg(s.traffic.name);
    case StepAction::Watch: return LessonPanel::tr("Nothing is changed: the lab goes on as it is, and is watched.");
    default: return s.describe();
    }
}

// A state check's samples name the lab's states ("running/unhealthy/breaker-closed/probe-down"): the
// row says each in plain words, so a learner reads what the backend was doing.
QString plainStates(QString observed)
{
    static const std::pair<const char*, const char*> kWords[] = {
        {"breaker-closed", "breaker closed (passes requests)"},
        {"breaker-open", "breaker open (no requests)"},
        {"half-open", "breaker half-open (a few trial requests)"},
        {"probe-down", "last health check failed"},
        {"probe-up", "last health check passed"},
        {"unhealthy", "out of rotation (failed its health checks)"},
        {"eligible", "in rotation"},
        {"panic-routed", "in rotation only because too few are healthy (panic)"},
        {"ejected", "ejected for its errors"},
        {"passive-hold", "held out after errors"},
        {"slow-start", "in slow start"},
        {"draining", "draining (no new requests)"},
        {"running", "process running"},
        {"stopped", "process stopped"},
    };
    if (!observed.contains(QStringLiteral("samples match")))
        return observed;
    for (const auto& [token, words] : kWords)
        observed.replace(QRegularExpression(QStringLiteral("(?<![\\w-])%1(?![\\w-])").arg(QLatin1String(token))),
                         QLatin1String(words));
    return observed.replace(QLatin1Char('/'), QStringLiteral(", "));
}

bool allEmbeddedOnPortZero(const Scenario& s)
{
    for (const ListenerConfig& l : s.lab.listeners)
        if (l.port != 0)
            return false;
    for (const BackendConfig& b : s.lab.backends)
        if (b.embedded && b.port != 0)
            return false;
    return true;
}
} // namespace

LessonPanel::LessonPanel(Lab* lab, QWidget* parent)
    : QWidget(parent)
    , m_lab(lab)
    , m_title(new QLabel)
    , m_summary(new QLabel)
    , m_steps(new QListWidget)
    , m_text(new QTextBrowser)
    , m_checks(new QListWidget)
    , m_result(new QLabel)
    , m_play(new QPushButton(tr("Pause")))
    , m_restart(new QPushButton(tr("Restart")))
    , m_skip(new QPushButton(tr("Skip to step")))
    , m_playThrough(new QCheckBox(tr("Play through without waiting")))
    , m_nextPrompt(new QWidget)
    , m_nextPromptText(new QLabel)
    , m_nextButton(new QPushButton(tr("Next step ▶")))
    , m_stepPrompt(new QWidget)
    , m_stepPromptText(new QLabel)
    , m_stepButton(new QPushButton(tr("Step")))
    , m_stepForMe(new QPushButton(tr("Step for me")))
    , m_promptTimer(new QTimer(this))
    , m_rowsTimer(new QTimer(this))
{
    m_rowsTimer->setInterval(kRowsRefreshMs);
    connect(m_rowsTimer, &QTimer::timeout, this, &LessonPanel::refreshRows);
    setObjectName(QStringLiteral("lessonPanel"));
    m_title->setWordWrap(true);
    m_summary->setWordWrap(true);
    m_steps->setObjectName(QStringLiteral("lessonSteps"));
    m_steps->setToolTip(tr("The lesson's timeline: the step playing is highlighted. Double-click a step to skip "
                           "to it (the steps before it are done at once; their checks are not counted)."));
    m_steps->setWordWrap(true);
    m_text->setObjectName(QStringLiteral("lessonText"));
    m_text->setOpenLinks(false);
    m_checks->setObjectName(QStringLiteral("lessonChecks"));
    m_checks->setWordWrap(true);
    m_checks->setResizeMode(QListView::Adjust);
    m_checks->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_checks->setToolTip(tr("Every expectation of the lesson: … pending, ✓ held, ✗ did not hold, – skipped; "
                            "with what the lab was seen doing."));
    m_result->setObjectName(QStringLiteral("lessonResult"));
    m_result->setWordWrap(true);
    m_playThrough->setObjectName(QStringLiteral("lessonPlayThrough"));
    m_playThrough->setToolTip(tr("Play the steps one after the other at their times, without waiting for Next "
                                 "(to demonstrate a lesson)."));
    m_play->setObjectName(QStringLiteral("lessonPlay"));
    m_restart->setToolTip(tr("Play the lesson again from the start, with its lab loaded afresh."));
    m_skip->setToolTip(tr("Skip to the step selected in the timeline."));

    // The controls wrap (FlowLayout): at 1280 px the dock is narrow, and a cut-off button is worse than
    // a second line.
    auto* controlsBar = new QWidget;
    auto* controls = new FlowLayout(controlsBar, 4, 2);
    controls->setContentsMargins(0, 0, 0, 0);
    controls->addWidget(m_play);
    controls->addWidget(m_restart);
    controls->addWidget(m_skip);
    controls->addWidget(m_playThrough);

    // The Next prompt: the same tint as the step prompt, a big button, and the promise that nothing is
    // lost by reading slowly.
    m_nextPrompt->setObjectName(QStringLiteral("lessonNextPrompt"));
    m_nextPrompt->setAutoFillBackground(true);
    m_nextPromptText->setObjectName(QStringLiteral("lessonNextPromptText"));
    m_nextPromptText->setWordWrap(true);
    m_nextButton->setObjectName(QStringLiteral("lessonNext"));
    m_nextButton->setDefault(true);
    QFont nextFont = m_nextButton->font();
    nextFont.setBold(true);
    nextFont.setPointSizeF(nextFont.pointSizeF() * 1.2);
    m_nextButton->setFont(nextFont);
    m_nextButton->setMinimumHeight(m_nextButton->sizeHint().height() * 3 / 2);
    auto* nextLayout = new QHBoxLayout(m_nextPrompt);
    nextLayout->setContentsMargins(6, 4, 6, 4);
    nextLayout->addWidget(m_nextPromptText, 1);
    nextLayout->addWidget(m_nextButton);
    m_nextPrompt->hide();
    connect(m_nextButton, &QPushButton::clicked, this, [this] {
        if (m_player)
            m_player->next();
        updateNextPrompt();
        updateControls();
    });
    connect(m_playThrough, &QCheckBox::toggled, this, [this](bool through) {
        if (m_player)
            m_player->setWaitBetweenSteps(!through);
        updateNextPrompt();
    });

    // The step-mode prompt: a tinted box, so a learner sees it is their turn.
    m_stepPrompt->setObjectName(QStringLiteral("lessonStepPrompt"));
    m_stepPrompt->setAutoFillBackground(true);
    QPalette promptPalette = m_stepPrompt->palette();
    promptPalette.setColor(QPalette::Window, kCurrentBackground);
    promptPalette.setColor(QPalette::WindowText, QColor(40, 30, 0));
    m_stepPrompt->setPalette(promptPalette);
    m_nextPrompt->setPalette(promptPalette);
    m_stepPromptText->setObjectName(QStringLiteral("lessonStepPromptText"));
    m_stepPromptText->setWordWrap(true);
    m_stepButton->setObjectName(QStringLiteral("lessonStep"));
    m_stepButton->setToolTip(tr("Let the oldest held request go on to its pick (the Flow tab's Step does the same)."));
    m_stepForMe->setObjectName(QStringLiteral("lessonStepForMe"));
    m_stepForMe->setToolTip(tr("The lesson presses Step for you for the rest of this step, one pick at a time."));
    auto* promptButtons = new QHBoxLayout;
    promptButtons->setContentsMargins(0, 0, 0, 0);
    promptButtons->addWidget(m_stepButton);
    promptButtons->addWidget(m_stepForMe);
    promptButtons->addStretch(1);
    auto* promptLayout = new QVBoxLayout(m_stepPrompt);
    promptLayout->setContentsMargins(6, 4, 6, 4);
    // The buttons above the text: the text grows as the picks come (2 lines, then 3), and a button under
    // it moved under the mouse between two presses (trial 5).
    promptLayout->addLayout(promptButtons);
    promptLayout->addWidget(m_stepPromptText);
    m_stepPrompt->hide();
    m_promptTimer->setInterval(kPromptRefreshMs);
    connect(m_promptTimer, &QTimer::timeout, this, &LessonPanel::updateStepPrompt);
    connect(m_stepButton, &QPushButton::clicked, this, [this] {
        if (!m_lab->stepOnce())
            Q_EMIT message(tr("no request is held yet: the next one is on its way"));
        updateStepPrompt();
    });
    connect(m_stepForMe, &QPushButton::clicked, this, [this] {
        if (m_player)
            m_player->stepForLearner();
        updateStepPrompt();
    });

    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(m_steps);
    split->addWidget(m_text);
    split->addWidget(m_checks);
    // The step's text gets most of the room: a step's Watch/Why/Think is ~200 words and must be read
    // without scrolling at 1366x768.
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 9);
    split->setStretchFactor(2, 2);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_title);
    layout->addWidget(m_summary);
    layout->addWidget(controlsBar);
    layout->addWidget(m_stepPrompt);
    layout->addWidget(m_nextPrompt);
    layout->addWidget(split, 1);
    layout->addWidget(m_result);

    connect(m_play, &QPushButton::clicked, this, [this] {
        if (!m_player)
            return;
        if (m_player->phase() == ScenarioPlayer::Phase::Running) {
            m_player->pause();
        } else {
            QString error;
            if (!m_player->play(&error))
                Q_EMIT message(error);
        }
        updateControls();
        updateStepPrompt();
    });
    connect(m_restart, &QPushButton::clicked, this, [this] {
        QString error;
        if (m_player && !m_player->restart(&error))
            Q_EMIT message(error);
        refreshRows();
        updateControls();
    });
    const auto skip = [this](int step) {
        QString error;
        if (m_player && step >= 0 && !m_player->skipTo(step, &error))
            Q_EMIT message(error);
        refreshRows();
        updateControls();
    };
    connect(m_skip, &QPushButton::clicked, this, [this, skip] { skip(m_steps->currentRow()); });
    connect(m_steps, &QListWidget::itemDoubleClicked, this,
            [this, skip](QListWidgetItem* item) { skip(m_steps->row(item)); });
    applyFonts();
    updateControls();
}

LessonPanel::~LessonPanel()
{
    close();
}

bool LessonPanel::open(Scenario scenario, QString* error)
{
    close();
    m_scenario = std::move(scenario);
    m_portNote.clear();
    if (m_anyPorts) {
        m_scenario.useAnyPorts();
        m_portNote = tr("It runs on free ports (Lessons > Play on free ports): the status bar names them.");
    }
    QString why;
    startPlayer(&why);
    if (!m_player && !allEmbeddedOnPortZero(m_scenario)) {
        // Another program (or a lab left open) holds the lesson's ports: the lesson does not need them,
        // its backends keep their names on any port.
        m_scenario.useAnyPorts();
        m_portNote = tr("Its ports were taken (%1), so it runs on free ports: the status bar names them.").arg(why);
        startPlayer(&why);
    }
    if (!m_player) {
        m_result->setText(
            tr("<b style='color:#b41e1e'>The lesson's lab could not start:</b> %1").arg(why.toHtmlEscaped()));
        if (error)
            *error = why;
        return false;
    }
    return true;
}

void LessonPanel::startPlayer(QString* error)
{
    m_player = new ScenarioPlayer(m_lab, m_scenario, this);
    m_player->setWaitBetweenSteps(!m_playThrough->isChecked());
    connect(m_player, &ScenarioPlayer::waitingForNextChanged, this, [this](bool waiting) {
        updateNextPrompt();
        updateControls();
        // The rechecks while it waits: the rows say how often each check held again.
        if (waiting)
            m_rowsTimer->start();
        else
            m_rowsTimer->stop();
        refreshRows();
    });
    // In the window the learner presses Step; the lesson waits for them (or presses when asked to).
    m_player->setLearnerSteps(true);
    connect(m_player, &ScenarioPlayer::stepProgressChanged, this, [this] {
        updateStepPrompt();
        updateControls();
    });
    populate();
    connect(m_player, &ScenarioPlayer::stepStarted, this, [this](int step) {
        highlight(step);
        refreshRows();
        updateControls();
        Q_EMIT stepMarker(stepLabel(step));
    });
    connect(m_player, &ScenarioPlayer::expectationResult, this, [this] { refreshRows(); });
    connect(m_player, &ScenarioPlayer::actionFailed, this, [this](int step, const QString& error) {
        Q_EMIT message(step >= 0 ? tr("lesson step %1: %2").arg(step + 1).arg(error) : error);
    });
    connect(m_player, &ScenarioPlayer::finished, this, [this] {
        highlight(int(m_scenario.steps.size()));
        refreshRows();
        updateControls();
        updateStepPrompt();
        showResult();
    });
    if (!m_player->play(error)) {
        delete m_player;
        m_player = nullptr;
    }
}

void LessonPanel::close()
{
    if (!m_player)
        return;
    ScenarioPlayer* p = m_player;
    m_player = nullptr;
    p->pause();
    delete p;
    updateControls();
    updateStepPrompt();
    updateNextPrompt();
}

void LessonPanel::pause()
{
    if (m_player)
        m_player->pause();
    updateControls();
}

void LessonPanel::setPlayThrough(bool through)
{
    m_playThrough->setChecked(through);
}

void LessonPanel::updateNextPrompt()
{
    const bool show = m_player && m_player->waitingForNext();
    m_nextPrompt->setVisible(show);
    if (!show)
        return;
    const int done = m_player->currentStep(); // the step that ended is the one before
    m_nextPromptText->setText(tr("<b>Step %1 of %2 is done.</b> The lab keeps running as it is: take your time. "
                                 "Press Next step when you have read it and watched the lab.")
                                  .arg(done)
                                  .arg(m_scenario.steps.size()));
}

QString LessonPanel::stepLabel(int step) const
{
    const ScenarioStep& s = m_scenario.steps.at(step);
    return tr("%1 %2").arg(step + 1).arg(s.title.isEmpty() ? whatHappens(s) : s.title);
}

void LessonPanel::populate()
{
    m_title->setText(QStringLiteral("<b>%1</b>").arg(m_scenario.title.toHtmlEscaped()));
    m_summary->setText(m_scenario.summary + (m_portNote.isEmpty() ? QString() : QStringLiteral("\n") + m_portNote));
    m_steps->clear();
    for (int i = 0; i < m_scenario.steps.size(); ++i) {
        const ScenarioStep& s = m_scenario.steps[i];
        auto* item = new QListWidgetItem(QStringLiteral("%1  %2").arg(seconds(s.startMs), stepLabel(i)));
        item->setToolTip(s.describe());
        m_steps->addItem(item);
    }
    m_checks->clear();
    for (int i = 0; i < m_scenario.steps.size(); ++i)
        for (int c = 0; c < m_scenario.steps[i].checks.size(); ++c)
            m_checks->addItem(new QListWidgetItem);
    m_result->clear();
    m_highlighted = -1;
    m_text->clear();
    refreshRows();
}

void LessonPanel::refreshRows()
{
    if (!m_player)
        return;
    const QList<ScenarioPlayer::StepRecord>& records = m_player->records();
    const int current = m_player->currentStep();
    int row = 0;
    for (int i = 0; i < m_scenario.steps.size(); ++i) {
        const ScenarioStep& s = m_scenario.steps[i];
        for (int c = 0; c < s.checks.size(); ++c, ++row) {
            QListWidgetItem* item = m_checks->item(row);
            const ScenarioPlayer::CheckRecord& r = records.value(i).checks.value(c);
            QString mark = QStringLiteral("…");
            QColor colour = kPending;
            QString seen;
            if (r.evaluated) {
                mark = r.held ? QStringLiteral("✓") : QStringLiteral("✗");
                colour = r.held ? kHeld : kFailed;
                // A zero-width space after each '/' lets "stopped/eligible/probe-up" wrap in a narrow dock.
                seen =
                    tr(" — seen %1").arg(plainStates(r.observed).replace(QLatin1Char('/'), QStringLiteral("/\u200b")));
                if (r.lapsed)
                    mark = tr("✗ no longer holds:");
                else if (r.held && r.rechecks > 0)
                    seen += r.rechecks == 1 ? tr("; held again while the lesson waited")
                                            : tr("; held again %1 times while the lesson waited").arg(r.rechecks);
            } else if (records.value(i).skipped) {
                mark = QStringLiteral("–");
                seen = tr(" — skipped");
            } else if (i < current || m_player->phase() == ScenarioPlayer::Phase::Finished) {
                mark = QStringLiteral("–");
                seen = tr(" — not checked");
            }
            item->setText(tr("%1  step %2 · %3%4").arg(mark).arg(i + 1).arg(s.checks[c].describe(), seen));
            item->setForeground(colour);
            item->setBackground(i == current ? kCurrentBackground : QColor(Qt::transparent));
        }
    }
}

void LessonPanel::highlight(int step)
{
    m_highlighted = step;
    for (int i = 0; i < m_steps->count(); ++i) {
        QListWidgetItem* item = m_steps->item(i);
        QFont f = m_steps->font();
        f.setBold(i == step);
        item->setFont(f);
        item->setBackground(i == step ? kCurrentBackground : QColor(Qt::transparent));
        item->setText(QStringLiteral("%1 %2  %3")
                          .arg(i == step      ? QStringLiteral("▶")
                                   : i < step ? QStringLiteral("✔")
                                              : QStringLiteral("  "),
                               seconds(m_scenario.steps[i].startMs), stepLabel(i)));
    }
    if (step >= 0 && step < m_steps->count()) {
        m_steps->setCurrentRow(step);
        m_steps->scrollToItem(m_steps->item(step));
        showStepText(step);
        // The current step's first check in view.
        int row = 0;
        for (int i = 0; i < step; ++i)
            row += int(m_scenario.steps[i].checks.size());
        if (row < m_checks->count())
            m_checks->scrollToItem(m_checks->item(row), QAbstractItemView::PositionAtTop);
    }
}

void LessonPanel::showStepText(int step)
{
    const ScenarioStep& s = m_scenario.steps.at(step);
    QString html =
        QStringLiteral("<p><b>Step %1 of %2: %3</b><br><i>%4</i></p>")
            .arg(step + 1)
            .arg(m_scenario.steps.size())
            .arg((s.title.isEmpty() ? whatHappens(s) : s.title).toHtmlEscaped(), whatHappens(s).toHtmlEscaped());
    const auto para = [&html](const QString& label, const QString& text) {
        if (!text.isEmpty())
            html += QStringLiteral("<p><b>%1</b> %2</p>").arg(label, text.toHtmlEscaped());
    };
    para(tr("Watch:"), s.watch);
    para(tr("Why:"), s.why);
    para(tr("Think:"), s.question);
    if (s.watch.isEmpty() && s.why.isEmpty() && s.question.isEmpty())
        para(tr("Watch:"), tr("the Board and the charts as the step takes effect."));
    // The window lasts as long as the step (a pause's or a step step's time may be longer than windowMs).
    const double windowS = double(s.endMs - s.startMs) / 1000.0;
    if (s.checks.size() == 1)
        html += tr("<p>1 expectation, checked over %1 s.</p>").arg(windowS);
    else if (!s.checks.isEmpty())
        html += tr("<p>%1 expectations, checked over %2 s.</p>").arg(s.checks.size()).arg(windowS);
    m_text->setHtml(html);
}

void LessonPanel::updateControls()
{
    const bool open = m_player != nullptr;
    const bool running = open && m_player->phase() == ScenarioPlayer::Phase::Running;
    m_play->setEnabled(open);
    m_restart->setEnabled(open);
    m_skip->setEnabled(open);
    m_play->setText(running ? tr("Pause") : tr("Play"));
    m_play->setToolTip(running ? tr("Freeze the timeline and the lesson's traffic (the lab keeps running).")
                               : tr("Play the lesson from where it stands."));
    if (open && !running && m_player->phase() == ScenarioPlayer::Phase::Paused)
        m_result->setText(tr("Paused at step %1 of %2.").arg(m_player->currentStep() + 1).arg(m_scenario.steps.size()));
    else if (running && m_player->waitingForNext())
        m_result->setText(tr("Step %1 of %2 is done; the lesson waits for Next.")
                              .arg(m_player->currentStep())
                              .arg(m_scenario.steps.size()));
    else if (running && m_player->stepProgress().clockWaiting && m_player->stepProgress().byLearner)
        m_result->setText(tr("Step %1 of %2 waits for your Step presses.")
                              .arg(m_player->currentStep() + 1)
                              .arg(m_scenario.steps.size()));
    else if (running)
        m_result->setText(tr("Playing step %1 of %2.")
                              .arg(qMin(m_player->currentStep() + 1, int(m_scenario.steps.size())))
                              .arg(m_scenario.steps.size()));
}

void LessonPanel::updateStepPrompt()
{
    const ScenarioPlayer::StepProgress p = m_player ? m_player->stepProgress() : ScenarioPlayer::StepProgress{};
    const bool paused = m_player && m_player->phase() == ScenarioPlayer::Phase::Paused;
    const bool show = p.active && p.picked < p.count;
    m_stepPrompt->setVisible(show);
    if (!show) {
        m_promptTimer->stop();
        return;
    }
    if (!m_promptTimer->isActive())
        m_promptTimer->start();
    const int held = int(m_lab->heldRequests().size());
    QString done = tr("%1 of %2 picks done").arg(p.picked).arg(p.count);
    done += p.picks.isEmpty() ? tr(".") : tr(": <b>%1</b>.").arg(p.picks.join(QLatin1Char(' ')).toHtmlEscaped());
    const QString waiting = held == 1 ? tr("1 request is held.") : tr("%1 requests are held.").arg(held);
    QString text;
    if (!p.byLearner)
        text = tr("<b>The lesson presses Step for you,</b> one pick at a time. %1").arg(done);
    else if (paused)
        text = tr("<b>Paused.</b> Press Play, then Step. %1").arg(done);
    else
        text = tr("<b>Your turn: press Step</b> (here, or in the Flow tab's toolbar) to let the held request go on to "
                  "its pick, and watch which backend the proxy node names. %1 %2%3")
                   .arg(done, held > 0 ? waiting : tr("The next request is on its way."),
                        p.clockWaiting ? tr(" The lesson waits for you.") : QString());
    m_stepPromptText->setText(text);
    m_stepButton->setVisible(p.byLearner);
    m_stepButton->setEnabled(p.byLearner && !paused && held > 0);
    m_stepButton->setText(held > 0 ? tr("Step (%1 held)").arg(held) : tr("Step"));
    m_stepForMe->setVisible(p.byLearner);
    m_stepForMe->setEnabled(!paused);
}

void LessonPanel::showResult()
{
    int total = 0;
    QStringList failed;
    QStringList unchecked;
    const QList<ScenarioPlayer::StepRecord>& records = m_player->records();
    for (int i = 0; i < m_scenario.steps.size(); ++i) {
        for (int c = 0; c < m_scenario.steps[i].checks.size(); ++c) {
            ++total;
            const ScenarioPlayer::CheckRecord& r = records.value(i).checks.value(c);
            const QString what = tr("step %1: %2").arg(i + 1).arg(m_scenario.steps[i].checks[c].describe());
            if (!r.evaluated)
                unchecked << what;
            else if (!r.held)
                failed << what;
        }
    }
    QString text;
    if (m_player->allHeld()) {
        text = total == 1 ? tr("<b style='color:#147828'>The check held.</b>")
                          : tr("<b style='color:#147828'>All %1 checks held.</b>").arg(total);
        text += errorsLine();
    } else {
        text = tr("<b style='color:#b41e1e'>%1 of %2 checks held.</b>")
                   .arg(total - failed.size() - unchecked.size())
                   .arg(total);
        if (!failed.isEmpty())
            text += tr("<br>Did not hold: %1").arg(failed.join(QStringLiteral("; ")).toHtmlEscaped());
        if (!unchecked.isEmpty())
            text += tr("<br>Not checked (skipped): %1").arg(unchecked.join(QStringLiteral("; ")).toHtmlEscaped());
        if (m_player->runtimeFailed())
            text += tr("<br>The lab refused a step's action (see the events).");
    }
    m_result->setText(text);
}

// The errors the lesson's clients got, next to "all held": which steps expected them, or that none did.
QString LessonPanel::errorsLine() const
{
    const ScenarioPlayer::ClientErrors e = m_player->clientErrors();
    if (e.fiveXx == 0 && e.failed == 0)
        return tr(" Clients got no 5xx and every request an answer.");
    QStringList what;
    if (e.fiveXx)
        what << (e.fiveXx == 1 ? tr("1 server error (5xx)") : tr("%1 server errors (5xx)").arg(e.fiveXx));
    if (e.failed)
        what << (e.failed == 1 ? tr("1 request without a response")
                               : tr("%1 requests without a response").arg(e.failed));
    const QList<int> expecting = m_player->stepsExpectingErrors();
    if (expecting.isEmpty())
        return tr("<br><b style='color:#b41e1e'>But clients got %1 that no check of the lesson expected:</b> see the "
                  "Events and the Trace tab.")
            .arg(what.join(tr(" and ")));
    QStringList steps;
    for (int i : expecting)
        steps << tr("step %1 (%2)").arg(i + 1).arg(stepLabel(i).section(QLatin1Char(' '), 1).toHtmlEscaped());
    return tr("<br>Clients got %1, as %2 expected.").arg(what.join(tr(" and ")), steps.join(tr(", ")));
}

void LessonPanel::applyFonts()
{
    // The step's text is what the learner reads while watching the charts: a size up from the rest.
    QFont f = font();
    f.setPointSizeF(f.pointSizeF() * 1.15);
    m_text->setFont(f);
}

void LessonPanel::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::FontChange)
        applyFonts();
    QWidget::changeEvent(event);
}

QStringList LessonPanel::checkRows() const
{
    QStringList rows;
    for (int i = 0; i < m_checks->count(); ++i)
        rows << m_checks->item(i)->text();
    return rows;
}

} // namespace lab
