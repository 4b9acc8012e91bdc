#include "ScenarioPlayer.h"

#include "lab/Lab.h"

#include <QJsonArray>
#include <QTimer>
#include <algorithm>
#include <cmath>

namespace lab {

namespace {
bool hasMovedCheck(const ScenarioStep& step)
{
    return std::any_of(step.checks.cbegin(), step.checks.cend(),
                       [](const ScenarioCheck& c) { return c.kind == ScenarioCheck::Kind::Moved; });
}
// A press of the player's whose request was not picked within this long (no backend was eligible, the
// client left) no longer holds the next press back.
constexpr int kPickWaitMs = 2000;
// Pressing itself, the player gives up when the window's time is over and no pick has come for this long
// (nothing is held: the traffic is not in step mode's scope, or no backend is eligible), so a scenario
// run headless always ends. A learner is never hurried.
constexpr int kGiveUpMs = 10'000;

} // namespace

ScenarioPlayer::ScenarioPlayer(Lab* lab, Scenario scenario, QObject* parent)
    : QObject(parent)
    , m_scenario(std::move(scenario))
    , m_actions(*lab)
    , m_console(new ConsoleClient(this))
    , m_next(new QTimer(this))
    , m_sampler(new QTimer(this))
{
    m_next->setSingleShot(true);
    m_next->setTimerType(Qt::PreciseTimer);
    connect(m_next, &QTimer::timeout, this, &ScenarioPlayer::advance);
    m_sampler->setInterval(kSampleMs);
    connect(m_sampler, &QTimer::timeout, this, &ScenarioPlayer::sample);
    connect(m_console, &ConsoleClient::finished, this, &ScenarioPlayer::onResponse);
    resetRecords();
}

ScenarioPlayer::~ScenarioPlayer()
{
    m_traffic.clear();
}

void ScenarioPlayer::setSpeed(double factor)
{
    const qint64 now = scenarioNowMs();
    m_speed = qBound(kMinSpeed, factor, kMaxSpeed);
    m_clockBaseMs = now;
    m_wall.restart();
    if (m_phase == Phase::Running)
        advance();
}

qint64 ScenarioPlayer::scenarioNowMs() const
{
    if (m_phase != Phase::Running || !m_wall.isValid() || m_clockWaiting || m_waitingForNext)
        return m_clockBaseMs;
    return m_clockBaseMs + qint64(double(m_wall.elapsed()) * m_speed);
}

void ScenarioPlayer::resetRecords()
{
    m_records.clear();
    for (const ScenarioStep& s : std::as_const(m_scenario.steps)) {
        StepRecord r;
        r.checks.resize(s.checks.size());
        m_records << r;
    }
    m_index = 0;
    m_inStep = false;
    m_runtimeFailed = false;
    m_clockBaseMs = 0;
    m_clockWaiting = false;
    m_waitingForNext = false;
    m_response.reset();
    m_requestId = 0;
    m_window = {};
    m_recheckStep = -1;
    m_recheck = {};
    m_measured.clear();
    m_watchPicks = false;
    m_released = 0;
    m_stepPicked = 0;
    m_autoThisStep = false;
    m_stepGaveUp = false;
}

bool ScenarioPlayer::startFresh(QString* error)
{
    m_next->stop();
    m_sampler->stop();
    m_traffic.clear();
    const bool wasWaiting = m_waitingForNext;
    resetRecords();
    if (wasWaiting)
        Q_EMIT waitingForNextChanged(false);
    QString why;
    if (!m_actions.resetLab(m_scenario.lab, &why)) {
        m_runtimeFailed = true;
        m_phase = Phase::Finished;
        if (error)
            *error = why;
        Q_EMIT actionFailed(-1, why);
        Q_EMIT finished(false);
        return false;
    }
    m_listenerAtStart = m_actions.snapshot().listener;
    m_phase = Phase::Running;
    m_wall.restart();
    return true;
}

ScenarioPlayer::ClientErrors ScenarioPlayer::clientErrors() const
{
    const TrafficStats now = m_actions.snapshot().listener;
    const auto since = [](quint64 a, quint64 b) {
        return a >= b ? a - b : 0;
    };
    return {since(now.responsesByClass[5], m_listenerAtStart.responsesByClass[5]),
            since(now.responsesByClass[0], m_listenerAtStart.responsesByClass[0])};
}

QList<int> ScenarioPlayer::stepsExpectingErrors() const
{
    QList<int> out;
    for (int i = 0; i < m_scenario.steps.size(); ++i) {
        for (const ScenarioCheck& c : m_scenario.steps[i].checks) {
            const bool error = c.statusClass == QLatin1String("5xx") || c.statusClass == QLatin1String("failed") ||
                c.statusClass.startsWith(QLatin1Char('5'));
            const bool status = c.kind == ScenarioCheck::Kind::Status || c.kind == ScenarioCheck::Kind::ClientStatus;
            if (status && error && c.range.min > 0) {
                out << i;
                break;
            }
        }
    }
    return out;
}

bool ScenarioPlayer::play(QString* error)
{
    switch (m_phase) {
    case Phase::Running: return true;
    case Phase::Idle:
    case Phase::Finished:
        if (!startFresh(error))
            return false;
        advance();
        return true;
    case Phase::Paused: break;
    }
    // Resume. A window that was open watches again from its opening: its counts must not span the pause.
    // A `step` step goes on where it stood: its picks' order is what it is, and its presses are done.
    const ScenarioStep* step = m_inStep ? &m_scenario.steps[m_index] : nullptr;
    const bool stepping = step && step->action == StepAction::Step;
    const bool rewatch = step && !stepping && !step->checks.isEmpty();
    if (rewatch)
        m_clockBaseMs = step->startMs;
    m_phase = Phase::Running;
    m_wall.restart();
    // The traffic first: a run started again begins its totals at zero, and the window reads them.
    for (const TrafficProfile& t : m_traffic.toResume())
        startTraffic(t, m_clockBaseMs);
    if (rewatch)
        openWindow();
    else if (stepping)
        openWindow(true);
    else if (m_waitingForNext) {
        if (m_recheckStep >= 0)
            openRecheck(); // the traffic was paused: the rolling window starts again
        m_sampler->start();
    }
    advance();
    return true;
}

void ScenarioPlayer::pause()
{
    if (m_phase != Phase::Running)
        return;
    m_clockBaseMs = scenarioNowMs();
    m_phase = Phase::Paused;
    m_next->stop();
    m_sampler->stop();
    // A run still going is started again on resume (a run that had ended by itself is not).
    m_traffic.pause();
}

bool ScenarioPlayer::restart(QString* error)
{
    m_phase = Phase::Idle;
    return play(error);
}

bool ScenarioPlayer::skipTo(int step, QString* error)
{
    if (step < 0 || step >= m_scenario.steps.size())
        return false;
    const bool backwards = step < m_index || (step == m_index && m_inStep);
    if (m_phase == Phase::Idle || m_phase == Phase::Finished || backwards) {
        if (!startFresh(error))
            return false;
    }
    m_next->stop();
    m_sampler->stop();
    if (m_inStep) { // the window closes unwatched
        m_inStep = false;
        m_records[m_index].skipped = true;
        ++m_index;
    }
    m_clockWaiting = false;
    m_recheckStep = -1;
    if (m_waitingForNext) {
        m_waitingForNext = false;
        Q_EMIT waitingForNextChanged(false);
    }
    bool trafficChanged = false;
    for (; m_index < step; ++m_index) {
        const ScenarioStep& s = m_scenario.steps[m_index];
        m_records[m_index].skipped = true;
        m_records[m_index].startedAtMs = s.startMs;
        if (s.action == StepAction::Traffic) {
            trafficChanged = true;
            m_traffic.want(s.traffic);
        } else if (s.action == StepAction::StopTraffic) {
            trafficChanged = true;
            if (s.stopsAllTraffic)
                m_traffic.unwantAll();
            else
                m_traffic.unwant(s.traffic.name);
        } else if (s.action != StepAction::Request && s.action != StepAction::Step) {
            runAction(m_index);
        }
    }
    m_clockBaseMs = m_scenario.steps[step].startMs;
    m_phase = Phase::Running;
    m_wall.restart();
    // The traffic the skipped steps leave behind, going (a pause before the skip had stopped it).
    if (trafficChanged)
        m_traffic.pause();
    for (const TrafficProfile& t : m_traffic.wantedIdle())
        startTraffic(t, m_clockBaseMs);
    advance();
    return true;
}

void ScenarioPlayer::stopLab()
{
    pause();
    m_traffic.stopAll();
    m_actions.stopLab();
}

ScenarioPlayer::StepProgress ScenarioPlayer::stepProgress() const
{
    StepProgress p;
    if (!m_inStep || m_scenario.steps[m_index].action != StepAction::Step)
        return p;
    p.active = true;
    p.byLearner = m_learnerSteps && !m_autoThisStep;
    p.clockWaiting = m_clockWaiting;
    p.picked = m_stepPicked;
    p.count = m_scenario.steps[m_index].count;
    p.picks = m_window.picks;
    return p;
}

bool ScenarioPlayer::stepsDone() const
{
    const ScenarioStep& s = m_scenario.steps[m_index];
    return s.action != StepAction::Step || m_stepPicked >= s.count || m_stepGaveUp;
}

bool ScenarioPlayer::allHeld() const
{
    if (m_runtimeFailed)
        return false;
    for (const StepRecord& r : m_records) {
        if (!r.error.isEmpty())
            return false;
        for (const CheckRecord& c : r.checks) {
            if (!c.evaluated || !c.held)
                return false;
        }
    }
    return true;
}

void ScenarioPlayer::arm(qint64 scenarioMs)
{
    // Wall time: the scenario's ms divided by the speed, rounded up so a timer never fires early.
    m_next->start(int(std::ceil(double(qMax<qint64>(scenarioMs, 0)) / m_speed)));
}

void ScenarioPlayer::advance()
{
    while (m_phase == Phase::Running && !m_waitingForNext && m_index < m_scenario.steps.size()) {
        const ScenarioStep& step = m_scenario.steps[m_index];
        if (!m_inStep) {
            const qint64 now = scenarioNowMs();
            if (now < step.startMs) {
                arm(step.startMs - now);
                return;
            }
            beginStep();
        }
        const qint64 now = scenarioNowMs();
        if (now < step.endMs) {
            arm(step.endMs - now);
            return;
        }
        if (!stepsDone()) {
            // The window's time is over but not every pick came: the clock waits here (the sampler goes
            // on and calls advance() again when the last pick comes).
            if (!m_clockWaiting) {
                m_clockBaseMs = step.endMs;
                m_clockWaiting = true;
                m_waitingSince.start();
                Q_EMIT stepProgressChanged();
            }
            return;
        }
        endStep();
        if (m_waitBetweenSteps && m_index < m_scenario.steps.size()) {
            // The clock stops where the step ended; the lab and its traffic go on.
            m_clockBaseMs = step.endMs;
            m_waitingForNext = true;
            m_next->stop();
            const int ended = m_index - 1;
            const auto& checks = m_scenario.steps[ended].checks;
            m_recheckStep = std::any_of(checks.cbegin(), checks.cend(), rechecksWhileWaiting) &&
                    m_scenario.steps[ended].windowMs > 0
                ? ended
                : -1;
            if (m_recheckStep >= 0)
                openRecheck();
            m_sampler->start();
            Q_EMIT waitingForNextChanged(true);
            return;
        }
    }
    if (m_phase == Phase::Running && !m_waitingForNext)
        finish();
}

void ScenarioPlayer::beginStep()
{
    const ScenarioStep& step = m_scenario.steps[m_index];
    m_inStep = true;
    m_records[m_index].started = true;
    m_records[m_index].startedAtMs = scenarioNowMs();
    Q_EMIT stepStarted(m_index);
    if (hasMovedCheck(step)) // the users' backends before the action changes anything
        m_window.usersBefore = UserPlacement::of(m_traffic.usersTotals());
    runAction(m_index);
    if (!step.checks.isEmpty() || step.action == StepAction::Step)
        openWindow();
    if (step.action == StepAction::Step) {
        driveSteps();
        Q_EMIT stepProgressChanged();
    }
}

void ScenarioPlayer::runAction(int index)
{
    const ScenarioStep& step = m_scenario.steps[index];
    switch (step.action) {
    case StepAction::Traffic: startTraffic(step.traffic, step.startMs); return;
    case StepAction::StopTraffic:
        if (step.stopsAllTraffic)
            m_traffic.stopAll();
        else
            m_traffic.stop(step.traffic.name);
        return;
    case StepAction::Step:
        m_released = 0;
        m_stepPicked = 0;
        m_autoThisStep = false;
        m_stepGaveUp = false;
        m_lastRelease.invalidate();
        return;
    case StepAction::Request: {
        ConsoleRequest r;
        r.port = m_actions.proxyPort();
        r.method = step.traffic.method;
        r.path = step.traffic.path;
        r.body = step.traffic.body;
        r.timeoutMs = int(qMax<qint64>(1, std::ceil(double(step.windowMs ? step.windowMs : 5000) / m_speed)));
        m_response.reset();
        m_requestId = m_console->send(r);
        return;
    }
    default: break;
    }
    QString error;
    if (!m_actions.apply(step, &error)) {
        m_records[index].error = error;
        m_runtimeFailed = true;
        Q_EMIT actionFailed(index, error);
    }
    // The checks read the lab's names of backends added by steps.
    if (step.action == StepAction::Add)
        m_window.labNames.insert(step.backend, m_actions.labName(step.backend));
}

void ScenarioPlayer::startTraffic(const TrafficProfile& t, qint64 fromMs)
{
    LoadSpec spec;
    spec.port = m_actions.proxyPort();
    spec.concurrency = t.connections;
    // A faster timeline sends faster too, so a window's counts do not depend on the speed.
    spec.ratePerSecond = t.ratePerSecond ? int(qBound(1.0, std::round(t.ratePerSecond * m_speed), 1e6)) : 0;
    spec.maxRequests = t.maxRequests;
    spec.method = t.method;
    spec.path = t.path;
    spec.body = t.body;
    spec.users = t.users;
    // Think time is part of the timeline: a faster scenario thinks faster, so the users' counts keep up.
    spec.users.thinkMs = int(std::round(t.users.thinkMs / m_speed));
    spec.sourceAddress = t.clientAddress;
    // Without a duration it runs to the end of the scenario (the player stops it there); either way it
    // ends by itself, as every load loop must.
    const qint64 scenarioMs = t.durationMs ? t.durationMs : qMax<qint64>(1, m_scenario.durationMs() - fromMs) + 1000;
    spec.durationMs =
        int(qBound(qint64(1), qint64(std::ceil(double(scenarioMs) / m_speed)), qint64(LoadSpec::kMaxDurationMs)));
    QString error;
    if (!m_traffic.start(t, spec, &error)) {
        m_records[m_index < m_records.size() ? m_index : m_records.size() - 1].error = error;
        m_runtimeFailed = true;
        Q_EMIT actionFailed(m_index, error);
    }
}

void ScenarioPlayer::openWindow(bool keepPicks)
{
    const ScenarioStep& step = m_scenario.steps[m_index];
    m_window.before = m_actions.snapshot();
    m_window.runsBefore = m_traffic.totals();
    m_window.runsAfter.clear();
    m_window.stateSamples.clear();
    m_window.transitions.clear();
    m_window.queueSamples.clear();
    m_windowOpenedAtMs = m_actions.nowMs();
    m_watchPicks = step.action == StepAction::Step;
    for (const ScenarioCheck& c : step.checks)
        m_watchPicks = m_watchPicks || c.kind == ScenarioCheck::Kind::Picks;
    if (!keepPicks) {
        m_window.picks.clear();
        m_window.picksGap.clear();
        m_pickCursor = m_actions.pickCursor();
        m_notFollowedAtOpen = m_actions.picksSince(m_pickCursor).notFollowed;
    }
    sample();
    m_sampler->start();
}

void ScenarioPlayer::sample()
{
    if (m_waitingForNext && !m_inStep) {
        keepTrafficGoing();
        if (m_recheckStep >= 0) {
            const QHash<QString, int> depths = m_actions.queueDepths();
            for (auto it = depths.begin(); it != depths.end(); ++it)
                m_recheck.queueSamples[it.key()].append(it.value());
            const ScenarioStep& ended = m_scenario.steps[m_recheckStep];
            if (double(m_recheckClock.elapsed()) * m_speed >= double(qMax(ended.windowMs, kSampleMs)))
                closeRecheck();
        }
    }
    if (!m_inStep)
        return;
    for (const ScenarioCheck& c : m_scenario.steps[m_index].checks) {
        if (c.kind == ScenarioCheck::Kind::State)
            m_window.stateSamples[c.backend].append(m_actions.statesOf(c.backend));
    }
    const QHash<QString, int> depths = m_actions.queueDepths();
    for (auto it = depths.begin(); it != depths.end(); ++it)
        m_window.queueSamples[it.key()].append(it.value());
    if (m_watchPicks)
        collectPicks();
    driveSteps();
}

void ScenarioPlayer::collectPicks()
{
    const PickBatch batch = m_actions.picksSince(m_pickCursor);
    if (batch.cursor < m_pickCursor) { // a new stream (the proxy was started again): from its beginning
        m_pickCursor = 0;
        m_notFollowedAtOpen = 0;
        return;
    }
    m_pickCursor = batch.cursor;
    if (batch.lost)
        m_window.picksGap = QStringLiteral("the proxy's event ring overwrote picks before they were read");
    else if (batch.notFollowed > m_notFollowedAtOpen && m_window.picksGap.isEmpty())
        m_window.picksGap = QStringLiteral("the proxy followed only some requests (over ~60 a second it samples): "
                                           "picks are complete in step mode or at a low rate");
    const int before = m_stepPicked;
    for (const PickBatch::Pick& p : batch.picks) {
        m_window.picks << p.backend;
        if (p.attempt == 1)
            ++m_stepPicked;
    }
    if (m_stepPicked != before)
        m_waitingSince.start(); // the player gives up only on picks that stopped coming
    if (m_stepPicked != before && m_scenario.steps[m_index].action == StepAction::Step)
        Q_EMIT stepProgressChanged();
}

// The player's own presses in a `step` step (headless, or the learner asked it to): one at a time, each
// after the last press's request was picked and intervalMs of scenario time went by, so the picks come
// in the order of the presses. When every pick has come and the clock waits for them, it goes on.
void ScenarioPlayer::driveSteps()
{
    if (!m_inStep || m_phase != Phase::Running)
        return;
    const ScenarioStep& step = m_scenario.steps[m_index];
    if (step.action != StepAction::Step)
        return;
    if (stepsDone()) {
        if (m_clockWaiting) {
            m_clockWaiting = false;
            m_wall.restart();
            advance();
        }
        return;
    }
    if (m_clockWaiting)
        keepTrafficGoing(); // the scenario's end moves while the clock waits
    if (m_learnerSteps && !m_autoThisStep)
        return;
    if (m_clockWaiting && m_waitingSince.elapsed() > kGiveUpMs) {
        const QString error = QStringLiteral("only %1 of %2 held requests were let go and picked; none is held (is "
                                             "the traffic in step mode's scope?)")
                                  .arg(m_stepPicked)
                                  .arg(step.count);
        m_records[m_index].error = error;
        m_runtimeFailed = true;
        m_stepGaveUp = true;
        Q_EMIT actionFailed(m_index, error);
        driveSteps(); // done now: the clock goes on
        return;
    }
    const bool lastPicked =
        m_released <= m_stepPicked || !m_lastRelease.isValid() || m_lastRelease.elapsed() > kPickWaitMs;
    const bool due = !m_lastRelease.isValid() || double(m_lastRelease.elapsed()) * m_speed >= step.intervalMs;
    if (lastPicked && due && m_actions.stepOnce()) {
        ++m_released;
        m_lastRelease.start();
    }
}

void ScenarioPlayer::endStep()
{
    const ScenarioStep& step = m_scenario.steps[m_index];
    const int index = m_index;
    if (!step.checks.isEmpty() || step.action == StepAction::Step) {
        m_sampler->stop();
        sample();
        m_window.after = m_actions.snapshot();
        if (hasMovedCheck(step))
            m_window.usersAfter = UserPlacement::of(m_traffic.usersTotals());
        m_window.runsAfter = m_traffic.totals();
        for (const ScenarioCheck& c : step.checks) {
            if (c.kind == ScenarioCheck::Kind::State)
                m_window.transitions[c.backend] = m_actions.transitionsSince(c.backend, m_windowOpenedAtMs);
        }
    }
    m_inStep = false;
    ++m_index;
    if (!step.id.isEmpty())
        m_measured.insert(index, m_window);
    for (qsizetype i = 0; i < step.checks.size(); ++i) {
        const ScenarioCheck& c = step.checks[i];
        const auto ref = c.reference ? m_measured.constFind(c.reference->step) : m_measured.constEnd();
        const CheckOutcome o = c.kind == ScenarioCheck::Kind::Response
            ? evaluateResponse(c, m_response ? &*m_response : nullptr)
            : evaluateCheck(c, m_window, ref == m_measured.constEnd() ? nullptr : &*ref);
        m_records[index].checks[i] = {true, o.held, o.observed};
        Q_EMIT expectationResult(index, int(i), o.held, o.observed);
    }
}

void ScenarioPlayer::onResponse(const ConsoleResponse& response)
{
    if (response.id == m_requestId)
        m_response = response;
}

void ScenarioPlayer::finish()
{
    m_next->stop();
    m_sampler->stop();
    m_traffic.stopAll();
    m_phase = Phase::Finished;
    Q_EMIT finished(allHeld());
}

QJsonObject ScenarioPlayer::report() const
{
    QJsonArray steps;
    for (qsizetype i = 0; i < m_scenario.steps.size(); ++i) {
        const ScenarioStep& s = m_scenario.steps[i];
        const StepRecord& r = m_records[i];
        QJsonArray checks;
        for (qsizetype c = 0; c < s.checks.size(); ++c) {
            checks.append(QJsonObject{{QStringLiteral("path"), s.checks[c].path},
                                      {QStringLiteral("check"), s.checks[c].describe()},
                                      {QStringLiteral("evaluated"), r.checks[c].evaluated},
                                      {QStringLiteral("held"), r.checks[c].held},
                                      {QStringLiteral("observed"), r.checks[c].observed},
                                      {QStringLiteral("rechecks"), r.checks[c].rechecks},
                                      {QStringLiteral("lapsed"), r.checks[c].lapsed}});
        }
        QJsonObject o{{QStringLiteral("index"), int(i)},
                      {QStringLiteral("do"), QLatin1String(stepActionName(s.action))},
                      {QStringLiteral("action"), s.describe()},
                      {QStringLiteral("title"), s.title},
                      {QStringLiteral("id"), s.id},
                      {QStringLiteral("scheduledMs"), double(s.startMs)},
                      {QStringLiteral("started"), r.started},
                      {QStringLiteral("skipped"), r.skipped},
                      {QStringLiteral("checks"), checks}};
        if (r.startedAtMs >= 0)
            o.insert(QStringLiteral("startedAtMs"), double(r.startedAtMs));
        if (!r.error.isEmpty())
            o.insert(QStringLiteral("error"), r.error);
        steps.append(o);
    }
    return QJsonObject{{QStringLiteral("title"), m_scenario.title},
                       {QStringLiteral("speed"), m_speed},
                       {QStringLiteral("finished"), m_phase == Phase::Finished},
                       {QStringLiteral("allHeld"), m_phase == Phase::Finished && allHeld()},
                       {QStringLiteral("runtimeFailure"), m_runtimeFailed},
                       {QStringLiteral("steps"), steps}};
}

} // namespace lab
