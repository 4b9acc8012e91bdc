#include "ScenarioChecks.h"

#include "ScenarioHashing.h"

#include "loadgen/ConsoleClient.h"

namespace lab {

namespace {

const TrafficStats* backendIn(const MetricsSnapshot& s, const QString& name)
{
    for (const BackendStats& b : s.backends) {
        if (b.name == name)
            return &b.traffic;
    }
    return nullptr;
}

quint64 attempts(const MetricsSnapshot& s, const QString& name)
{
    const TrafficStats* t = backendIn(s, name);
    return t ? t->requests : 0;
}

quint64 allAttempts(const MetricsSnapshot& s)
{
    quint64 n = 0;
    for (const BackendStats& b : s.backends)
        n += b.traffic.requests;
    return n;
}

quint64 delta(quint64 after, quint64 before)
{
    return after >= before ? after - before : 0; // a removed backend's counters are gone: nothing new
}

int classIndex(const QString& cls)
{
    return cls == QLatin1String("failed") ? 0 : cls.left(1).toInt();
}

CheckOutcome stateOutcome(const ScenarioCheck& c, const QList<QStringList>& samples, const QStringList& transitions)
{
    if (samples.isEmpty())
        return {false, QStringLiteral("no sample of its state (not in the lab)")};
    const auto matches = [&](const QStringList& sample) {
        for (const QString& s : sample) {
            if (c.states.contains(s))
                return true;
        }
        return false;
    };
    int matching = 0;
    for (const QStringList& s : samples)
        matching += matches(s) ? 1 : 0;
    bool held = false;
    switch (c.during) {
    case ScenarioCheck::During::Some: held = matching > 0 || matches(transitions); break;
    case ScenarioCheck::During::All: held = matching == samples.size(); break;
    case ScenarioCheck::During::End: held = matches(samples.last()); break;
    }
    // The states seen, each once, in the order they first appeared: the learner sees the transitions.
    QStringList seen;
    for (const QStringList& s : samples) {
        const QString joined = s.join(QLatin1Char('/'));
        if (seen.isEmpty() || seen.last() != joined)
            seen << joined;
    }
    if (seen.size() > 6)
        seen = seen.mid(0, 3) + QStringList{QStringLiteral("…")} + seen.mid(seen.size() - 2);
    QString observed = QStringLiteral("%1 of %2 samples match; seen %3")
                           .arg(matching)
                           .arg(samples.size())
                           .arg(seen.join(QStringLiteral(" → ")));
    if (!transitions.isEmpty())
        observed += QStringLiteral("; entered %1").arg(transitions.join(QStringLiteral(", ")));
    return {held, observed};
}

// A number a check measured over a window (a share, a percentile, a queue depth), or why none was.
struct Measured {
    bool ok = false;
    double value = 0;
    QString observed;
};

Measured measureShare(const ScenarioCheck& c, const WindowObservation& w)
{
    const QString name = w.labNames.value(c.backend, c.backend);
    const quint64 mine = delta(attempts(w.after, name), attempts(w.before, name));
    const quint64 total = delta(allAttempts(w.after), allAttempts(w.before));
    if (total == 0)
        return {false, 0, QStringLiteral("no attempt reached any backend in the window")};
    const double share = double(mine) / double(total);
    return {true, share, QStringLiteral("%1 (%2 of %3 attempts)").arg(share, 0, 'f', 3).arg(mine).arg(total)};
}

Measured measureLatency(double percentile, LatencySummary l, const LatencySummary& before)
{
    l.subtract(before);
    if (l.total == 0)
        return {false, 0, QStringLiteral("no response in the window to measure")};
    const double ms = l.percentileMs(percentile);
    return {true, ms, QStringLiteral("%1 ms over %2 responses").arg(ms, 0, 'f', 1).arg(l.total)};
}

Measured measureQueue(const ScenarioCheck& c, const WindowObservation& w)
{
    const QList<int> samples = w.queueSamples.value(w.labNames.value(c.backend, c.backend));
    int most = -1;
    for (int q : samples)
        most = qMax(most, q);
    if (most < 0)
        return {false, 0, QStringLiteral("no sample of its queue")};
    return {true, double(most), QStringLiteral("%1 at most (%2 samples)").arg(most).arg(samples.size())};
}

Measured measureClientLatency(const ScenarioCheck& c, const WindowObservation& w)
{
    if (!w.runsAfter.contains(c.run))
        return {false, 0, QStringLiteral("traffic run %1 had not started").arg(c.run)};
    return measureLatency(c.percentile, w.runsAfter.value(c.run).latency, w.runsBefore.value(c.run).latency);
}

Measured measure(const ScenarioCheck& c, const WindowObservation& w)
{
    switch (c.kind) {
    case ScenarioCheck::Kind::Share: return measureShare(c, w);
    case ScenarioCheck::Kind::Latency:
        return measureLatency(c.percentile, w.after.listener.latency, w.before.listener.latency);
    case ScenarioCheck::Kind::Queue: return measureQueue(c, w);
    case ScenarioCheck::Kind::ClientLatency: return measureClientLatency(c, w);
    default: return {false, 0, QStringLiteral("not a measured value")};
    }
}

// A measured value against the check's range, or against its reference step's value times the factor.
CheckOutcome decide(const ScenarioCheck& c, const WindowObservation& w, const WindowObservation* reference)
{
    const Measured m = measure(c, w);
    if (!m.ok)
        return {false, m.observed};
    if (!c.reference)
        return {c.range.contains(m.value), m.observed};
    const CheckReference& ref = *c.reference;
    if (!reference)
        return {
            false,
            QStringLiteral("%1; step %2 was skipped, so there is nothing to compare with").arg(m.observed, ref.stepId)};
    const Measured then = measure(c, *reference);
    if (!then.ok)
        return {false, QStringLiteral("%1; in step %2: %3").arg(m.observed, ref.stepId, then.observed)};
    const double bound = ref.times * then.value;
    const bool held = ref.below ? m.value < bound : m.value > bound;
    return {held,
            QStringLiteral("%1; step %2 had %3, so the bound is %4")
                .arg(m.observed, ref.stepId, then.observed)
                .arg(bound, 0, 'g', 4)};
}

CheckOutcome picksOutcome(const ScenarioCheck& c, const WindowObservation& w)
{
    QString seen = w.picks.mid(0, 24).join(QLatin1Char(' '));
    if (w.picks.size() > 24)
        seen += QStringLiteral(" …");
    const QString observed =
        QStringLiteral("%1 (%2 picks)").arg(seen.isEmpty() ? QStringLiteral("none") : seen).arg(w.picks.size());
    if (!w.picksGap.isEmpty())
        return {false, QStringLiteral("%1; %2").arg(observed, w.picksGap)};
    if (w.picks.size() < c.picks.size())
        return {false, observed};
    for (qsizetype i = 0; i < c.picks.size(); ++i) {
        if (w.picks[i] != w.labNames.value(c.picks[i], c.picks[i]))
            return {false,
                    QStringLiteral("%1; pick %2 was %3, not %4").arg(observed).arg(i + 1).arg(w.picks[i], c.picks[i])};
    }
    return {true, observed};
}

CheckOutcome clientStatusOutcome(const ScenarioCheck& c, const WindowObservation& w)
{
    if (!w.runsAfter.contains(c.run))
        return {false, QStringLiteral("traffic run %1 had not started").arg(c.run)};
    const LoadTotals& before = w.runsBefore.value(c.run);
    const LoadTotals& after = w.runsAfter.value(c.run);
    quint64 n = 0;
    if (c.statusClass == QLatin1String("failed"))
        n = delta(after.socketErrors, before.socketErrors);
    else if (c.statusClass.endsWith(QLatin1String("xx")))
        n = delta(after.byClass[size_t(classIndex(c.statusClass))], before.byClass[size_t(classIndex(c.statusClass))]);
    else
        n = delta(after.byStatus.value(c.statusClass.toInt()), before.byStatus.value(c.statusClass.toInt()));
    const quint64 all = delta(after.finishedRequests(), before.finishedRequests());
    if (all == 0)
        return {false, QStringLiteral("no requests of run %1 ended in the window: nothing to count").arg(c.run)};
    return {c.range.contains(double(n)), QStringLiteral("%1 (of %2 answered or failed)").arg(n).arg(all)};
}

} // namespace

CheckOutcome evaluateCheck(const ScenarioCheck& c, const WindowObservation& w, const WindowObservation* reference)
{
    const TrafficStats& before = w.before.listener;
    const TrafficStats& after = w.after.listener;
    switch (c.kind) {
    case ScenarioCheck::Kind::Requests: {
        const quint64 n = delta(after.requests, before.requests);
        return {c.range.contains(double(n)), QStringLiteral("%1 requests").arg(n)};
    }
    case ScenarioCheck::Kind::Status: {
        const int i = classIndex(c.statusClass);
        const quint64 n = delta(after.responsesByClass[size_t(i)], before.responsesByClass[size_t(i)]);
        const quint64 all = delta(after.requests, before.requests);
        // "no 5xx" over a window without traffic says nothing: it is not a pass.
        if (all == 0 && n == 0)
            return {false, QStringLiteral("no requests in the window: nothing to count")};
        return {c.range.contains(double(n)), QStringLiteral("%1 (of %2 requests)").arg(n).arg(all)};
    }
    case ScenarioCheck::Kind::Share:
    case ScenarioCheck::Kind::Latency:
    case ScenarioCheck::Kind::Queue:
    case ScenarioCheck::Kind::ClientLatency: return decide(c, w, reference);
    case ScenarioCheck::Kind::Picks: return picksOutcome(c, w);
    case ScenarioCheck::Kind::ClientStatus: return clientStatusOutcome(c, w);
    case ScenarioCheck::Kind::State:
        return stateOutcome(c, w.stateSamples.value(c.backend), w.transitions.value(c.backend));
    case ScenarioCheck::Kind::Moved: return evaluateMoved(c, w);
    case ScenarioCheck::Kind::Response: break; // evaluateResponse()
    }
    return {false, QStringLiteral("not a window check")};
}

CheckOutcome evaluateResponse(const ScenarioCheck& c, const ConsoleResponse* r)
{
    if (!r)
        return {false, QStringLiteral("no response within the window")};
    if (!r->error.isEmpty())
        return {false, QStringLiteral("no response: %1").arg(r->error)};
    const bool statusOk = c.range.contains(r->status);
    const bool bodyOk = c.bodyContains.isEmpty() || r->body.contains(c.bodyContains.toUtf8());
    QString body = QString::fromUtf8(r->body.left(200)).simplified();
    if (r->body.size() > 200)
        body += QStringLiteral("…");
    return {statusOk && bodyOk,
            QStringLiteral("%1 from %2 in %3 ms: %4")
                .arg(r->status)
                .arg(r->servedBy.isEmpty() ? QStringLiteral("the proxy") : r->servedBy)
                .arg(r->elapsedMs, 0, 'f', 1)
                .arg(body)};
}

} // namespace lab
