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

} // namespace

CheckOutcome evaluateCheck(const ScenarioCheck& c, const WindowObservation& w)
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
        return {c.range.contains(double(n)), QStringLiteral("%1 (of %2 requests)").arg(n).arg(all)};
    }
    case ScenarioCheck::Kind::Share: {
        const QString name = w.labNames.value(c.backend, c.backend);
        const quint64 mine = delta(attempts(w.after, name), attempts(w.before, name));
        const quint64 total = delta(allAttempts(w.after), allAttempts(w.before));
        if (total == 0)
            return {false, QStringLiteral("no attempt reached any backend in the window")};
        const double share = double(mine) / double(total);
        return {c.range.contains(share),
                QStringLiteral("%1 (%2 of %3 attempts)").arg(share, 0, 'f', 3).arg(mine).arg(total)};
    }
    case ScenarioCheck::Kind::Latency: {
        LatencySummary l = after.latency;
        l.subtract(before.latency);
        if (l.total == 0)
            return {false, QStringLiteral("no response in the window to measure")};
        const double ms = l.percentileMs(c.percentile);
        return {c.range.contains(ms), QStringLiteral("%1 ms over %2 responses").arg(ms, 0, 'f', 1).arg(l.total)};
    }
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
