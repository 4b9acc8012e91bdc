#include "ScenarioPlayer.h"

// What the player does for a learner in the window: steps on demand, a wait for Next after each step,
// the traffic kept going and the traffic checks measured again while it waits.

#include "lab/Lab.h"

#include <QJsonArray>
#include <QTimer>
#include <algorithm>
#include <cmath>

namespace lab {

// A check about the traffic over a window, true of a steady state: measured again while the lesson waits.
bool rechecksWhileWaiting(const ScenarioCheck& c)
{
    switch (c.kind) {
    case ScenarioCheck::Kind::Share:
    case ScenarioCheck::Kind::Status:
    case ScenarioCheck::Kind::Requests:
    case ScenarioCheck::Kind::Latency:
    case ScenarioCheck::Kind::Queue:
    case ScenarioCheck::Kind::ClientStatus:
    case ScenarioCheck::Kind::ClientLatency: return true;
    default: return false;
    }
}

void ScenarioPlayer::setLearnerSteps(bool learner)
{
    m_learnerSteps = learner;
    Q_EMIT stepProgressChanged();
}

void ScenarioPlayer::stepForLearner()
{
    m_autoThisStep = true;
    m_waitingSince.start();
    driveSteps();
    Q_EMIT stepProgressChanged();
}

void ScenarioPlayer::setWaitBetweenSteps(bool wait)
{
    m_waitBetweenSteps = wait;
    if (!wait)
        next();
}

void ScenarioPlayer::next()
{
    if (!m_waitingForNext)
        return;
    m_waitingForNext = false;
    m_recheckStep = -1;
    if (!m_inStep)
        m_sampler->stop();
    Q_EMIT waitingForNextChanged(false);
    if (m_phase != Phase::Running)
        return; // paused while waiting: play() goes on from here
    m_wall.restart();
    advance();
}

// While the clock waits (for next(), or for a `step` step's picks), a run without a duration was sized
// to end with the scenario, which no longer ends when it said: it is extended, so it keeps sending for
// the rest of the scenario from now (a run that ended and started again would stop sending for its
// grace, cut what was in flight, and show a gap the learner would take for the lab's behaviour). A run
// that is not going (resumed after a pause) is started.
void ScenarioPlayer::keepTrafficGoing()
{
    const qint64 rest = qMax<qint64>(0, m_scenario.durationMs() - scenarioNowMs()) + 1000;
    m_traffic.extendOpenEnded(int(qMin<double>(std::ceil(double(rest) / m_speed), LoadSpec::kMaxDurationMs)));
    for (const TrafficProfile& t : m_traffic.wantedIdle()) {
        if (t.durationMs == 0)
            startTraffic(t, scenarioNowMs());
    }
}

void ScenarioPlayer::openRecheck()
{
    m_recheck = {};
    m_recheck.labNames = m_window.labNames;
    m_recheck.before = m_actions.snapshot();
    m_recheck.runsBefore = m_traffic.totals();
    m_recheckClock.start();
}

void ScenarioPlayer::closeRecheck()
{
    const int index = m_recheckStep;
    const ScenarioStep& step = m_scenario.steps[index];
    m_recheck.after = m_actions.snapshot();
    m_recheck.runsAfter = m_traffic.totals();
    const double seconds = double(m_recheckClock.elapsed()) / 1000.0;
    for (qsizetype i = 0; i < step.checks.size(); ++i) {
        const ScenarioCheck& c = step.checks[i];
        CheckRecord& r = m_records[index].checks[i];
        if (!rechecksWhileWaiting(c) || !r.evaluated || !r.held)
            continue;
        const auto ref = c.reference ? m_measured.constFind(c.reference->step) : m_measured.constEnd();
        const CheckOutcome o = evaluateCheck(c, m_recheck, ref == m_measured.constEnd() ? nullptr : &*ref);
        if (o.held) {
            ++r.rechecks;
            continue;
        }
        r.held = false;
        r.lapsed = true;
        r.observed = QStringLiteral("%1 over the step's window; then, while the lesson waited, %2 over %3 s")
                         .arg(r.observed, o.observed)
                         .arg(seconds, 0, 'f', 1);
        Q_EMIT expectationResult(index, int(i), false, r.observed);
    }
    openRecheck();
}

} // namespace lab
