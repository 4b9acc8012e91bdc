#include "ScenarioPlayer.h"

#include "lab/Lab.h"
#include "loadgen/LoadGenerator.h"

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
} // namespace

ScenarioPlayer::ScenarioPlayer(Lab* lab, Scenario scenario, QObject* parent)
    : QObject(parent)
    , m_scenario(std::move(scenario))
    , m_actions(*lab)
    , m_traffic(std::make_unique<LoadGenerator>())
    , m_console(new ConsoleClient(this))
    , m_next(new QTimer(this))
    , m_sampler(new QTimer(this))
{
    m_next->setSingleShot(true);
    m_next->setTimerType(Qt::PreciseTimer);
    connect(m_next, &QTimer::timeout, this, &ScenarioPlayer::advance);
    m_sampler->setInterval(kSampleMs);
    connect(m_sampler, &QTimer::timeout, this, &ScenarioPlayer::sampleStates);
    connect(m_console, &ConsoleClient::finished, this, &ScenarioPlayer::onResponse);
    resetRecords();
}

ScenarioPlayer::~ScenarioPlayer()
{
    m_traffic->stop();
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
    if (m_phase != Phase::Running || !m_wall.isValid())
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
    m_trafficProfile.reset();
    m_response.reset();
    m_requestId = 0;
    m_window = {};
}

bool ScenarioPlayer::startFresh(QString* error)
{
    m_next->stop();
    m_sampler->stop();
    m_traffic->stop();
    resetRecords();
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
    m_phase = Phase::Running;
    m_wall.restart();
    return true;
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
    if (m_inStep && !m_scenario.steps[m_index].checks.isEmpty()) {
        m_clockBaseMs = m_scenario.steps[m_index].startMs;
        openWindow();
    }
    m_phase = Phase::Running;
    m_wall.restart();
    if (m_trafficProfile && m_resumeTraffic)
        startTraffic(*m_trafficProfile, m_clockBaseMs);
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
    m_resumeTraffic = m_traffic->isRunning();
    m_traffic->stop();
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
    bool trafficChanged = false;
    for (; m_index < step; ++m_index) {
        const ScenarioStep& s = m_scenario.steps[m_index];
        m_records[m_index].skipped = true;
        m_records[m_index].startedAtMs = s.startMs;
        if (s.action == StepAction::Traffic || s.action == StepAction::StopTraffic) {
            trafficChanged = true;
            m_trafficProfile = s.action == StepAction::Traffic ? std::optional(s.traffic) : std::nullopt;
        } else if (s.action != StepAction::Request) {
            runAction(m_index);
        }
    }
    m_clockBaseMs = m_scenario.steps[step].startMs;
    m_phase = Phase::Running;
    m_wall.restart();
    // The traffic the skipped steps leave behind, going (a pause before the skip had stopped it).
    if (trafficChanged || (m_trafficProfile && !m_traffic->isRunning())) {
        m_traffic->stop();
        if (m_trafficProfile)
            startTraffic(*m_trafficProfile, m_clockBaseMs);
    }
    advance();
    return true;
}

void ScenarioPlayer::stopLab()
{
    pause();
    m_traffic->stop();
    m_actions.stopLab();
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
    while (m_phase == Phase::Running && m_index < m_scenario.steps.size()) {
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
        endStep();
    }
    if (m_phase == Phase::Running)
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
        m_window.usersBefore = UserPlacement::of(m_traffic->totals());
    runAction(m_index);
    if (!step.checks.isEmpty())
        openWindow();
}

void ScenarioPlayer::runAction(int index)
{
    const ScenarioStep& step = m_scenario.steps[index];
    switch (step.action) {
    case StepAction::Traffic:
        m_trafficProfile = step.traffic;
        m_traffic->stop();
        startTraffic(step.traffic, step.startMs);
        return;
    case StepAction::StopTraffic:
        m_trafficProfile.reset();
        m_traffic->stop();
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
    // Without a duration it runs to the end of the scenario (the player stops it there); either way it
    // ends by itself, as every load loop must.
    const qint64 scenarioMs = t.durationMs ? t.durationMs : qMax<qint64>(1, m_scenario.durationMs() - fromMs) + 1000;
    spec.durationMs =
        int(qBound(qint64(1), qint64(std::ceil(double(scenarioMs) / m_speed)), qint64(LoadSpec::kMaxDurationMs)));
    QString error;
    if (!m_traffic->start(spec, &error)) {
        m_records[m_index < m_records.size() ? m_index : m_records.size() - 1].error = error;
        m_runtimeFailed = true;
        Q_EMIT actionFailed(m_index, error);
    }
}

void ScenarioPlayer::stopTraffic()
{
    m_trafficProfile.reset();
    m_traffic->stop();
}

void ScenarioPlayer::openWindow()
{
    const ScenarioStep& step = m_scenario.steps[m_index];
    m_window.before = m_actions.snapshot();
    m_window.stateSamples.clear();
    m_window.transitions.clear();
    m_windowOpenedAtMs = m_actions.nowMs();
    bool anyState = false;
    for (const ScenarioCheck& c : step.checks)
        anyState = anyState || c.kind == ScenarioCheck::Kind::State;
    if (anyState) {
        sampleStates();
        m_sampler->start();
    }
}

void ScenarioPlayer::sampleStates()
{
    if (!m_inStep)
        return;
    for (const ScenarioCheck& c : m_scenario.steps[m_index].checks) {
        if (c.kind == ScenarioCheck::Kind::State)
            m_window.stateSamples[c.backend].append(m_actions.statesOf(c.backend));
    }
}

void ScenarioPlayer::endStep()
{
    const ScenarioStep& step = m_scenario.steps[m_index];
    const int index = m_index;
    if (!step.checks.isEmpty()) {
        m_sampler->stop();
        sampleStates();
        m_window.after = m_actions.snapshot();
        if (hasMovedCheck(step))
            m_window.usersAfter = UserPlacement::of(m_traffic->totals());
        for (const ScenarioCheck& c : step.checks) {
            if (c.kind == ScenarioCheck::Kind::State)
                m_window.transitions[c.backend] = m_actions.transitionsSince(c.backend, m_windowOpenedAtMs);
        }
    }
    m_inStep = false;
    ++m_index;
    for (qsizetype i = 0; i < step.checks.size(); ++i) {
        const ScenarioCheck& c = step.checks[i];
        const CheckOutcome o = c.kind == ScenarioCheck::Kind::Response
            ? evaluateResponse(c, m_response ? &*m_response : nullptr)
            : evaluateCheck(c, m_window);
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
    stopTraffic();
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
                                      {QStringLiteral("observed"), r.checks[c].observed}});
        }
        QJsonObject o{{QStringLiteral("index"), int(i)},
                      {QStringLiteral("do"), QLatin1String(stepActionName(s.action))},
                      {QStringLiteral("action"), s.describe()},
                      {QStringLiteral("title"), s.title},
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
