#include "ScenarioActions.h"

#include "Scenario.h"
#include "ScenarioSyntax.h"
#include "backend/Backend.h"
#include "backend/BackendPool.h"
#include "fakebackend/FakeBackend.h"
#include "health/Eligibility.h"
#include "lab/Lab.h"
#include "metrics/Lifecycle.h"
#include "proxy/Proxy.h"

#include <limits>

namespace lab {

ScenarioActions::ScenarioActions(Lab& lab)
    : m_lab(lab)
{
}

bool ScenarioActions::startLab(QString* error)
{
    // Backends a step adds take free ports: a scenario must not depend on which ports the machine has.
    m_lab.setEmbeddedPortBase(0);
    return m_lab.startEmbeddedBackends(error) && m_lab.startProxies(error);
}

bool ScenarioActions::resetLab(const LabConfig& config, QString* error)
{
    m_added.clear();
    m_lab.load(config);
    return startLab(error);
}

void ScenarioActions::stopLab()
{
    m_lab.stopProxies(0);
    m_lab.stopAll();
}

BackendId ScenarioActions::idOf(const QString& scenarioName) const
{
    return m_lab.idOf(labName(scenarioName));
}

QString ScenarioActions::labName(const QString& scenarioName) const
{
    return m_added.value(scenarioName, scenarioName);
}

bool ScenarioActions::apply(const ScenarioStep& step, QString* error)
{
    const BackendId row = idOf(step.backend);
    const bool needsRow = !step.backend.isEmpty() && step.action != StepAction::Add;
    if (needsRow && !row.isValid()) {
        *error = QStringLiteral("the lab has no backend \"%1\" (any more)").arg(step.backend);
        return false;
    }
    switch (step.action) {
    case StepAction::Faults: {
        FaultProfile faults = step.faults;
        // "refuse" is a fault like the others, but stop/start say it better; keep what the lab has.
        faults.refuse = m_lab.backendConfig(row).faults.refuse;
        m_lab.setFaults(row, faults);
        return true;
    }
    case StepAction::Stop: m_lab.stopBackend(row); return true;
    case StepAction::Start: return m_lab.startBackend(row, error);
    case StepAction::Drain:
        if (step.durationMs > 0)
            m_lab.drainAndStop(row, step.durationMs);
        else
            m_lab.setDraining(row, true);
        return true;
    case StepAction::Undrain: m_lab.setDraining(row, false); return true;
    case StepAction::Add: {
        // The lab calls it what the lesson calls it, so the board, the hash view and the checks agree.
        const BackendId added = m_lab.addEmbeddedBackend(error, step.backend);
        if (!added.isValid())
            return false;
        m_added.insert(step.backend, m_lab.backendConfig(added).name);
        return true;
    }
    case StepAction::Remove:
        m_lab.removeBackend(row);
        m_added.remove(step.backend);
        return true;
    case StepAction::Weight: m_lab.setWeight(row, step.weight); return true;
    case StepAction::Algorithm: return m_lab.setAlgorithm(step.algorithm, error);
    case StepAction::Health: m_lab.setHealthDefaults(step.health); return true;
    case StepAction::Retry: {
        const LabConfig& c = m_lab.config();
        ListenerConfig listener;
        for (const ListenerConfig& l : c.listeners) {
            if (l.kind == ListenerKind::Http) {
                listener = l;
                break;
            }
        }
        return m_lab.setProxyOptions(step.retry, c.timeouts, listener, error);
    }
    case StepAction::StepMode:
        m_lab.setStepScope(step.stepScope);
        m_lab.logEvent(LabEvent::Kind::Traffic,
                       step.stepScope == StepScope::Off
                           ? QStringLiteral("step mode off (scenario): held requests go on")
                           : QStringLiteral("step mode on (scenario): %1").arg(teach::stepScopeName(step.stepScope)));
        return true;
    case StepAction::RateLimit: return m_lab.setRateLimit(step.rateLimit, error);
    case StepAction::Watch:
    case StepAction::Pause:
    case StepAction::Traffic:
    case StepAction::StopTraffic:
    case StepAction::Request:
    case StepAction::Step: return true;
    }
    return true;
}

quint16 ScenarioActions::proxyPort() const
{
    const Proxy* p = m_lab.httpProxy();
    return p && p->isListening() ? p->port() : 0;
}

MetricsSnapshot ScenarioActions::snapshot() const
{
    return m_lab.snapshot();
}

QStringList ScenarioActions::statesOf(const QString& scenarioName) const
{
    const BackendId row = idOf(scenarioName);
    if (!row.isValid())
        return {};
    QStringList states;
    if (const FakeBackend* fake = m_lab.embeddedBackend(row))
        states << (fake->isStarted() ? QStringLiteral("running") : QStringLiteral("stopped"));
    const std::shared_ptr<Backend> b = m_lab.poolBackend(row);
    if (!b)
        return states;
    const std::shared_ptr<BackendPool> pool = m_lab.pool();
    states << QLatin1String(eligibilityName(pool->eligibility(*b)));
    if (b->ejected(pool->now()) && !states.contains(QStringLiteral("ejected")))
        states << QStringLiteral("ejected");
    switch (b->breakerNow()) {
    case CircuitBreaker::State::Closed: states << QStringLiteral("breaker-closed"); break;
    case CircuitBreaker::State::Open:
        if (!states.contains(QStringLiteral("breaker-open")))
            states << QStringLiteral("breaker-open");
        break;
    case CircuitBreaker::State::HalfOpen:
        if (!states.contains(QStringLiteral("half-open")))
            states << QStringLiteral("half-open");
        break;
    }
    states << (b->healthy.load() ? QStringLiteral("probe-up") : QStringLiteral("probe-down"));
    return states;
}

qint64 ScenarioActions::nowMs() const
{
    return m_lab.pool()->now();
}

QStringList ScenarioActions::transitionsSince(const QString& scenarioName, qint64 sinceMs) const
{
    const BackendId row = idOf(scenarioName);
    const std::shared_ptr<Backend> b = row.isValid() ? m_lab.poolBackend(row) : nullptr;
    if (!b)
        return {};
    QStringList states;
    for (const HealthMark& m : b->marksSince(sinceMs)) {
        QString s;
        switch (m.kind) {
        case HealthMark::Kind::Ejected: s = QStringLiteral("ejected"); break;
        case HealthMark::Kind::BreakerOpen: s = QStringLiteral("breaker-open"); break;
        case HealthMark::Kind::BreakerHalfOpen: s = QStringLiteral("half-open"); break;
        case HealthMark::Kind::BreakerClosed: s = QStringLiteral("breaker-closed"); break;
        case HealthMark::Kind::Down: s = QStringLiteral("probe-down"); break;
        case HealthMark::Kind::Up: s = QStringLiteral("probe-up"); break;
        case HealthMark::Kind::SlowStart: s = QStringLiteral("slow-start"); break;
        case HealthMark::Kind::ProbePassed:
        case HealthMark::Kind::ProbeFailed:
        case HealthMark::Kind::Returned: break;
        }
        if (!s.isEmpty() && !states.contains(s))
            states << s;
    }
    return states;
}

bool ScenarioActions::stepOnce()
{
    return m_lab.stepOnce();
}

quint64 ScenarioActions::pickCursor() const
{
    const LifecycleStream* stream = m_lab.lifecycle();
    return stream ? stream->since(std::numeric_limits<quint64>::max()).lastSequence : 0;
}

PickBatch ScenarioActions::picksSince(quint64 cursor) const
{
    PickBatch out;
    out.cursor = cursor;
    const LifecycleStream* stream = m_lab.lifecycle();
    if (!stream)
        return out;
    const LifecycleStream::Batch batch = stream->since(cursor);
    out.cursor = batch.lastSequence;
    out.notFollowed = batch.arrived - batch.followed;
    out.lost = batch.lostEvents;
    QHash<int, QString> names; // the pool's ids, as the events carry them
    for (const std::shared_ptr<Backend>& b : m_lab.pool()->backends())
        names.insert(b->id, b->name);
    for (const LifecycleEvent& e : batch.events) {
        if (e.kind == LifecycleKind::Picked)
            out.picks.append({names.value(e.backendId, QStringLiteral("backend #%1").arg(e.backendId)), e.attempt});
    }
    return out;
}

QHash<QString, int> ScenarioActions::queueDepths() const
{
    QHash<QString, int> depths;
    for (const BackendId id : m_lab.backendIds()) {
        if (const FakeBackend* fake = m_lab.embeddedBackend(id))
            depths.insert(m_lab.backendConfig(id).name, fake->counters().queued.load(std::memory_order_relaxed));
    }
    return depths;
}

} // namespace lab
