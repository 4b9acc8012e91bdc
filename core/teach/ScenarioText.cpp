// What a scenario's parts say in words: the names of the actions, and the one-line descriptions of ranges,
// checks and steps that the player prints, the report keeps and the lesson panel shows.
#include "Scenario.h"

#include "ScenarioSyntax.h"

namespace lab {

QString ValueRange::toString() const
{
    if (exact())
        return QStringLiteral("= %1").arg(min);
    if (!max)
        return QStringLiteral("[%1, ∞)").arg(min);
    return QStringLiteral("[%1, %2]").arg(min).arg(*max);
}

const char* stepActionName(StepAction a)
{
    switch (a) {
    case StepAction::Watch: return "watch";
    case StepAction::Pause: return "pause";
    case StepAction::Traffic: return "traffic";
    case StepAction::StopTraffic: return "stop-traffic";
    case StepAction::Faults: return "faults";
    case StepAction::Stop: return "stop";
    case StepAction::Start: return "start";
    case StepAction::Drain: return "drain";
    case StepAction::Undrain: return "undrain";
    case StepAction::Add: return "add";
    case StepAction::Remove: return "remove";
    case StepAction::Weight: return "weight";
    case StepAction::Algorithm: return "algorithm";
    case StepAction::Health: return "health";
    case StepAction::Retry: return "retry";
    case StepAction::Request: return "request";
    case StepAction::StepMode: return "step-mode";
    case StepAction::Step: return "step";
    case StepAction::RateLimit: return "rate-limit";
    }
    return "?";
}

QString CheckReference::toString() const
{
    const QString factor = times == 1 ? QString() : QStringLiteral("%1 × ").arg(times);
    return QStringLiteral("%1 %2step %3's")
        .arg(below ? QStringLiteral("below") : QStringLiteral("above"), factor, stepId);
}

QString ScenarioCheck::describe() const
{
    // "in [0, 0.05]", "= 0" (not "in = 0"), or "below 0.5 × step round-robin's"
    const QString bound = reference ? reference->toString()
        : range.exact()             ? range.toString()
                                    : QStringLiteral("in ") + range.toString();
    switch (kind) {
    case Kind::Share: return QStringLiteral("share of %1 %2").arg(backend, bound);
    case Kind::Status: return QStringLiteral("%1 responses %2").arg(statusClass, range.toString());
    case Kind::Requests: return QStringLiteral("requests %1").arg(range.toString());
    case Kind::Latency: return QStringLiteral("p%1 latency (ms) %2").arg(percentile).arg(bound);
    case Kind::Queue: return QStringLiteral("most requests queued at %1 %2").arg(backend, bound);
    case Kind::Picks: return QStringLiteral("picks in order: %1").arg(picks.join(QLatin1Char(' ')));
    case Kind::ClientStatus:
        return QStringLiteral("%1 client: %2 responses %3").arg(run, statusClass, range.toString());
    case Kind::ClientLatency:
        return QStringLiteral("%1 client: p%2 latency (ms) %3").arg(run).arg(percentile).arg(bound);
    case Kind::State: {
        const char* when = during == During::All ? "throughout the window"
            : during == During::End              ? "at the window's end"
                                                 : "at some moment";
        return QStringLiteral("%1 is %2 %3").arg(backend, states.join(QStringLiteral(" or ")), QLatin1String(when));
    }
    case Kind::Moved: {
        QString d = QStringLiteral("users that moved backend: %1").arg(range.toString());
        if (!movedFrom.isEmpty())
            d += QStringLiteral(", exactly the users of %1").arg(movedFrom);
        if (!movedTo.isEmpty())
            d += QStringLiteral(", all to %1").arg(movedTo);
        return d;
    }
    case Kind::Response:
        return bodyContains.isEmpty()
            ? QStringLiteral("response status %1").arg(range.toString())
            : QStringLiteral("response status %1, body contains \"%2\"").arg(range.toString(), bodyContains);
    }
    return {};
}

QString ScenarioStep::describe() const
{
    const QString name = QLatin1String(stepActionName(action));
    switch (action) {
    case StepAction::Watch: return name;
    case StepAction::StopTraffic: return stopsAllTraffic ? name : name + QLatin1Char(' ') + traffic.name;
    case StepAction::Pause: return QStringLiteral("pause %1 ms").arg(durationMs);
    case StepAction::Traffic:
        return QStringLiteral("traffic%1: %2, %3, %4 %5%6")
            .arg(traffic.name.isEmpty() ? QString() : QLatin1Char(' ') + traffic.name)
            .arg(traffic.users.enabled()
                     ? QStringLiteral("%1 users%2")
                           .arg(traffic.users.count)
                           .arg(traffic.users.cookies ? QString() : QStringLiteral(" without cookies"))
                     : traffic.connections == 1 ? QStringLiteral("1 connection")
                                                : QStringLiteral("%1 connections").arg(traffic.connections))
            .arg(traffic.ratePerSecond ? QStringLiteral("%1 requests/s").arg(traffic.ratePerSecond)
                                       : QStringLiteral("closed loop"),
                 QString::fromLatin1(traffic.method),
                 QString::fromUtf8(traffic.users.enabled() && !traffic.users.pathTemplate.isEmpty()
                                       ? traffic.users.pathTemplate
                                       : traffic.path),
                 traffic.clientAddress.isNull() ? QString()
                                                : QStringLiteral(" from %1").arg(traffic.clientAddress.toString()));
    case StepAction::StepMode: return QStringLiteral("step mode: %1").arg(teach::stepScopeName(stepScope));
    case StepAction::Step: return QStringLiteral("step: let %1 held requests go, one pick at a time").arg(count);
    case StepAction::RateLimit:
        return rateLimit.enabled() ? QStringLiteral("rate limit: %1 requests/s per %2, burst %3")
                                         .arg(rateLimit.requestsPerSecond)
                                         .arg(rateLimit.key)
                                         .arg(rateLimit.effectiveBurst())
                                   : QStringLiteral("rate limit off");
    case StepAction::Faults: return QStringLiteral("faults on %1").arg(backend);
    case StepAction::Weight: return QStringLiteral("weight of %1 -> %2").arg(backend).arg(weight);
    case StepAction::Algorithm: return QStringLiteral("algorithm -> %1").arg(algorithm);
    case StepAction::Health:
        return QStringLiteral("health checks: every %1 ms, rise %2, fall %3")
            .arg(health.intervalMs)
            .arg(health.rise)
            .arg(health.fall);
    case StepAction::Retry:
        return QStringLiteral("retry: %1 retries on %2, avoiding %3")
            .arg(retry.retries)
            .arg(retry.retryOn.join(QStringLiteral(", ")), retry.avoid);
    case StepAction::Request:
        return QStringLiteral("request %1 %2")
            .arg(QString::fromLatin1(traffic.method), QString::fromUtf8(traffic.path));
    case StepAction::Add: return QStringLiteral("add an embedded backend as %1").arg(backend);
    case StepAction::Drain:
    case StepAction::Stop:
    case StepAction::Start:
    case StepAction::Undrain:
    case StepAction::Remove: return name + QLatin1Char(' ') + backend;
    }
    return name;
}

} // namespace lab
