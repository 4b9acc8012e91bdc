#include "ScenarioTraffic.h"

namespace lab {

ScenarioTraffic::~ScenarioTraffic()
{
    clear();
}

bool ScenarioTraffic::start(const TrafficProfile& profile, const LoadSpec& spec, QString* error)
{
    Run& run = m_runs[profile.name];
    if (!run.generator)
        run.generator = std::make_unique<LoadGenerator>();
    run.generator->stop();
    run.profile = profile;
    run.wanted = true;
    run.resume = false;
    return run.generator->start(spec, error);
}

void ScenarioTraffic::stop(const QString& name)
{
    const auto it = m_runs.find(name);
    if (it == m_runs.end())
        return;
    it->second.wanted = false;
    if (it->second.generator)
        it->second.generator->finish();
}

void ScenarioTraffic::stopAll()
{
    for (auto& [name, run] : m_runs) {
        run.wanted = false;
        if (run.generator)
            run.generator->finish();
    }
}

void ScenarioTraffic::extendOpenEnded(int moreMs)
{
    for (auto& [name, run] : m_runs) {
        if (run.wanted && run.profile.durationMs == 0 && run.generator && run.generator->isRunning())
            run.generator->extend(moreMs);
    }
}

void ScenarioTraffic::want(const TrafficProfile& profile)
{
    Run& run = m_runs[profile.name];
    run.profile = profile;
    run.wanted = true;
}

void ScenarioTraffic::unwant(const QString& name)
{
    const auto it = m_runs.find(name);
    if (it != m_runs.end())
        it->second.wanted = false;
}

void ScenarioTraffic::unwantAll()
{
    for (auto& [name, run] : m_runs)
        run.wanted = false;
}

void ScenarioTraffic::pause()
{
    for (auto& [name, run] : m_runs) {
        // A run that had ended by itself is not started again on resume.
        run.resume = run.generator && run.generator->isRunning();
        if (run.generator)
            run.generator->stop();
    }
}

QList<TrafficProfile> ScenarioTraffic::toResume() const
{
    QList<TrafficProfile> out;
    for (const auto& [name, run] : m_runs) {
        if (run.wanted && run.resume)
            out << run.profile;
    }
    return out;
}

QList<TrafficProfile> ScenarioTraffic::wantedIdle() const
{
    QList<TrafficProfile> out;
    for (const auto& [name, run] : m_runs) {
        if (run.wanted && !(run.generator && run.generator->isRunning()))
            out << run.profile;
    }
    return out;
}

bool ScenarioTraffic::anyRunning() const
{
    for (const auto& [name, run] : m_runs) {
        if (run.generator && run.generator->isRunning())
            return true;
    }
    return false;
}

void ScenarioTraffic::clear()
{
    for (auto& [name, run] : m_runs) {
        if (run.generator)
            run.generator->stop();
    }
    m_runs.clear();
}

QList<ScenarioTraffic::RunView> ScenarioTraffic::running() const
{
    QList<RunView> out;
    for (const auto& [name, run] : m_runs) {
        if (run.generator && run.generator->isRunning())
            out << RunView{run.profile, run.generator->totals()};
    }
    return out;
}

QHash<QString, LoadTotals> ScenarioTraffic::totals() const
{
    QHash<QString, LoadTotals> out;
    for (const auto& [name, run] : m_runs) {
        if (run.generator)
            out.insert(name, run.generator->totals());
    }
    return out;
}

LoadTotals ScenarioTraffic::usersTotals() const
{
    // m_runs is ordered by name, so the unnamed run, where a lesson's simulated users run, comes first.
    for (const auto& [name, run] : m_runs) {
        if (run.generator && run.profile.users.enabled())
            return run.generator->totals();
    }
    return {};
}

} // namespace lab
