#pragma once

#include "Scenario.h"
#include "loadgen/LoadGenerator.h"

#include <QHash>
#include <QList>
#include <QString>
#include <map>
#include <memory>

namespace lab {

// The scenario's traffic runs, by name (TrafficProfile::name; "" is the unnamed run): each is a
// LoadGenerator of its own (its own thread and sockets), so two clients can send at once, a greedy one
// and a polite one from their own loopback addresses. A run keeps its totals after it ends, until a run
// of the same name replaces it, so a window's checks can read what its clients got.
//
// It also remembers what the scenario wants running (a profile per run), apart from what is going: a
// pause stops the generators but not the wish, a run that ended by itself is not started again on
// resume, and skipTo sets the wishes of the steps it skips. The player builds each LoadSpec (port,
// speed, duration). Lives on the player's thread.
class ScenarioTraffic final {
public:
    // One run as the window shows it: what the scenario asked for, and what its clients got so far.
    struct RunView {
        TrafficProfile profile;
        LoadTotals totals;
    };

    ScenarioTraffic() = default;
    ~ScenarioTraffic();
    Q_DISABLE_COPY_MOVE(ScenarioTraffic)

    // Stops the run of that name if one is going, then starts `spec` as it; the scenario wants it now.
    bool start(const TrafficProfile& profile, const LoadSpec& spec, QString* error);
    // Stops one run (its totals stay) / every run; the scenario no longer wants them. The runs stop
    // sending at once and their requests in flight may still be answered (LoadGenerator::finish): a
    // request cut off by a stop is not a failure the learner should see.
    void stop(const QString& name);
    void stopAll();
    // Every wanted run without a duration that is going sends for at least `moreMs` more (waiting for
    // the learner: the run must not end while they read).
    void extendOpenEnded(int moreMs);
    // Wishes only, nothing started or stopped (skipTo walks the steps it skips with these).
    void want(const TrafficProfile& profile);
    void unwant(const QString& name);
    void unwantAll();

    // Stops every generator and remembers which were going (pause).
    void pause();
    // The wanted runs that were going when pause() stopped them, to start again on resume.
    QList<TrafficProfile> toResume() const;
    // The wanted runs whose generator is not going now (after a skip).
    QList<TrafficProfile> wantedIdle() const;
    bool anyRunning() const;
    // Stops and forgets every run (a restart: totals go too).
    void clear();

    // The runs going now, by name (the window's Traffic tab shows the lesson's traffic with them).
    QList<RunView> running() const;
    // Each run's totals now, by name (runs that ended included).
    QHash<QString, LoadTotals> totals() const;
    // The totals of the run with simulated users (the unnamed one when several have users); empty when
    // none has: the moved-keys check and the window's hash view read them.
    LoadTotals usersTotals() const;

private:
    struct Run {
        std::unique_ptr<LoadGenerator> generator;
        TrafficProfile profile;
        bool wanted = false;
        bool resume = false; // was going when paused
    };
    std::map<QString, Run> m_runs;
};

} // namespace lab
