#include "ScenarioSyntax.h"

#include <QJsonArray>
#include <QRegularExpression>

namespace lab::teach {

namespace {

constexpr int kMaxStepCount = 1000;
constexpr int kMaxPicks = 100;
constexpr double kMaxTimes = 1000;

bool isName(const QString& s)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9_-]{1,32}$"));
    return re.match(s).hasMatch();
}

QString listOrNone(const QStringList& names)
{
    return names.isEmpty() ? QStringLiteral("none") : names.join(QStringLiteral(", "));
}

QStringList idsSoFar(const StepNames& names)
{
    QStringList ids = names.ids.keys();
    ids.sort();
    return ids;
}

const QStringList& percentileKeys()
{
    static const QStringList keys = {QStringLiteral("p50Ms"), QStringLiteral("p90Ms"), QStringLiteral("p99Ms")};
    return keys;
}

} // namespace

QString stepScopeName(StepScope scope)
{
    switch (scope) {
    case StepScope::Off: return QStringLiteral("off");
    case StepScope::LabTraffic: return QStringLiteral("lab-traffic");
    case StepScope::AllClients: return QStringLiteral("all-clients");
    }
    return QStringLiteral("off");
}

void readTrafficRun(JsonReader& r, TrafficProfile& t)
{
    if (r.has("name")) {
        t.name = r.string("name", QString());
        if (!isName(t.name))
            r.error(QStringLiteral("name"),
                    QStringLiteral("must be 1 to 32 letters, digits, '-' or '_' (got %1)")
                        .arg(describeJson(r.value("name"))));
    }
    if (r.has("clientAddress")) {
        const QString text = r.string("clientAddress", QString());
        const QHostAddress a(text);
        // Loopback only: the lab never sends to (or from) another machine. 127.0.0.0 and the broadcast
        // address are not a host's.
        const bool ok = a.protocol() == QAbstractSocket::IPv4Protocol && a.isLoopback() &&
            a != QHostAddress(QStringLiteral("127.0.0.0")) && a != QHostAddress(QStringLiteral("127.255.255.255"));
        if (!ok)
            r.error(QStringLiteral("clientAddress"),
                    QStringLiteral("must be an IPv4 loopback address from 127.0.0.1 to 127.255.255.254, such as "
                                   "127.0.0.20 (the lab only sends on loopback) (got %1)")
                        .arg(describeJson(r.value("clientAddress"))));
        else
            t.clientAddress = a;
    }
}

void readStopTraffic(JsonReader& r, ScenarioStep& s, const StepNames& names)
{
    if (!r.has("name"))
        return; // every run
    s.stopsAllTraffic = false;
    s.traffic.name = r.string("name", QString());
    if (!names.runs.contains(s.traffic.name))
        r.error(QStringLiteral("name"),
                QStringLiteral("unknown traffic run %1; runs started by earlier steps: %2 (leave name out to stop "
                               "them all)")
                    .arg(describeJson(r.value("name")), listOrNone(names.runs)));
}

void readStepMode(JsonReader& r, ScenarioStep& s)
{
    const QStringList scopes = {QStringLiteral("off"), QStringLiteral("lab-traffic"), QStringLiteral("all-clients")};
    if (!r.has("scope")) {
        r.error(QStringLiteral("scope"),
                QStringLiteral("is required for do: step-mode; one of %1").arg(scopes.join(QStringLiteral(", "))));
        return;
    }
    const QString scope = r.string("scope", QStringLiteral("off"), scopes);
    s.stepScope = scope == QLatin1String("lab-traffic") ? StepScope::LabTraffic
        : scope == QLatin1String("all-clients")         ? StepScope::AllClients
                                                        : StepScope::Off;
}

void readStepRelease(JsonReader& r, ScenarioStep& s)
{
    if (!r.has("count"))
        r.error(
            QStringLiteral("count"),
            QStringLiteral("is required for do: step (how many held requests to let go, 1 to %1)").arg(kMaxStepCount));
    s.count = r.integer("count", 1, 1, kMaxStepCount);
    s.intervalMs = r.integer("intervalMs", 500, 50, 60'000);
    s.durationMs = s.count * s.intervalMs;
}

QString readStepId(JsonReader& r, const StepNames& names)
{
    if (!r.has("id"))
        return {};
    const QString id = r.string("id", QString());
    if (!isName(id)) {
        r.error(
            QStringLiteral("id"),
            QStringLiteral("must be 1 to 32 letters, digits, '-' or '_' (got %1)").arg(describeJson(r.value("id"))));
        return {};
    }
    if (names.ids.contains(id)) {
        r.error(
            QStringLiteral("id"),
            QStringLiteral("steps[%1] has the id \"%2\" already; ids must be unique").arg(names.ids.value(id)).arg(id));
        return {};
    }
    return id;
}

bool readReference(JsonReader& parent, const QString& key, const StepNames& names, std::optional<CheckReference>* out)
{
    const QJsonValue v = parent.value(key);
    if (!v.isObject())
        return false;
    JsonReader r(v.toObject(), parent.pathOf(key), *parent.errors(),
                 {QStringLiteral("below"), QStringLiteral("above"), QStringLiteral("times")});
    CheckReference ref;
    if (r.has("below") == r.has("above")) {
        r.error(QString(),
                QStringLiteral("give below or above: the id of an earlier step whose window measured the same "
                               "value (and times, a factor, default 1)"));
        return true;
    }
    ref.below = r.has("below");
    const char* which = ref.below ? "below" : "above";
    ref.stepId = r.string(which, QString());
    if (!names.ids.contains(ref.stepId)) {
        r.error(QLatin1String(which),
                QStringLiteral("no earlier step has the id %1; ids so far: %2")
                    .arg(describeJson(r.value(which)), listOrNone(idsSoFar(names))));
        return true;
    }
    ref.step = names.ids.value(ref.stepId);
    if (!names.hasWindow.value(ref.step)) {
        r.error(QLatin1String(which),
                QStringLiteral("step \"%1\" (steps[%2]) has no expect window, so it measured nothing to compare with")
                    .arg(ref.stepId)
                    .arg(ref.step));
        return true;
    }
    if (r.has("times")) {
        const QJsonValue t = r.value("times");
        if (!t.isDouble() || !(t.toDouble() > 0) || t.toDouble() > kMaxTimes)
            r.error(
                QStringLiteral("times"),
                QStringLiteral("must be a number above 0 and at most %1 (got %2)").arg(kMaxTimes).arg(describeJson(t)));
        else
            ref.times = t.toDouble();
    }
    *out = ref;
    return true;
}

void readQueueChecks(JsonReader& expect, ScenarioStep& s, const KnownBackends& known, const StepNames& names)
{
    JsonReader queue = expect.child("queue", {});
    for (const QString& name : queue.keys()) {
        ScenarioCheck c;
        c.kind = ScenarioCheck::Kind::Queue;
        c.backend = name;
        c.path = queue.pathOf(name);
        if (known.check(queue, name, name, false, "expect") && !known.embedded.contains(name))
            queue.error(name,
                        QStringLiteral("\"%1\" is an external backend; queues are measured at embedded "
                                       "backends (their workers and queue, docs/config.md)")
                            .arg(name));
        if (!readReference(queue, name, names, &c.reference))
            c.range = queue.countRange(name);
        s.checks << c;
    }
}

void readPicksCheck(JsonReader& expect, ScenarioStep& s, const KnownBackends& known)
{
    ScenarioCheck c;
    c.kind = ScenarioCheck::Kind::Picks;
    c.path = expect.pathOf(QStringLiteral("picks"));
    const QJsonValue v = expect.value("picks");
    const QJsonArray a = v.toArray();
    if (!v.isArray() || a.isEmpty() || a.size() > kMaxPicks) {
        expect.error(QStringLiteral("picks"),
                     QStringLiteral("must be a list of 1 to %1 backend names, in the order the balancer picks them "
                                    "(got %2)")
                         .arg(kMaxPicks)
                         .arg(v.isArray() ? QStringLiteral("%1 names").arg(a.size()) : describeJson(v)));
        return;
    }
    for (qsizetype i = 0; i < a.size(); ++i) {
        const QString key = QStringLiteral("picks[%1]").arg(i);
        if (!a[i].isString()) {
            expect.error(key, QStringLiteral("must be a backend's name (got %1)").arg(describeJson(a[i])));
            continue;
        }
        if (known.check(expect, key, a[i].toString(), false, "expect"))
            c.picks << a[i].toString();
    }
    s.checks << c;
}

void readClientChecks(JsonReader& expect, ScenarioStep& s, const StepNames& names)
{
    JsonReader clients = expect.child("clients", {});
    for (const QString& run : clients.keys()) {
        if (!names.runs.contains(run)) {
            clients.error(run,
                          QStringLiteral("unknown traffic run \"%1\"; runs started by this or earlier steps: %2 (a "
                                         "traffic step names its run with traffic.name)")
                              .arg(run, listOrNone(names.runs)));
            continue;
        }
        JsonReader one = clients.child(run.toUtf8().constData(), {QStringLiteral("status"), QStringLiteral("latency")});
        if (one.keys().isEmpty())
            one.error(QString(), QStringLiteral("has no expectation; give status or latency"));
        if (one.has("status")) {
            JsonReader status = one.child("status", {});
            for (const QString& cls : status.keys()) {
                static const QRegularExpression code(QStringLiteral("^[1-5][0-9][0-9]$|^[1-5]xx$|^failed$"));
                if (!code.match(cls).hasMatch()) {
                    status.error(cls,
                                 QStringLiteral("unknown status; allowed: 1xx .. 5xx, failed (no response), or "
                                                "a status code from 100 to 599 such as 429"));
                    continue;
                }
                ScenarioCheck c;
                c.kind = ScenarioCheck::Kind::ClientStatus;
                c.run = run;
                c.statusClass = cls;
                c.path = status.pathOf(cls);
                c.range = status.countRange(cls);
                s.checks << c;
            }
        }
        if (one.has("latency")) {
            JsonReader latency = one.child("latency", percentileKeys());
            for (const QString& p : latency.keys()) {
                if (!percentileKeys().contains(p))
                    continue; // reported as an unknown key
                ScenarioCheck c;
                c.kind = ScenarioCheck::Kind::ClientLatency;
                c.run = run;
                c.percentile = p.mid(1, 2).toDouble();
                c.path = latency.pathOf(p);
                if (!readReference(latency, p, names, &c.reference))
                    c.range = latency.msRange(p);
                s.checks << c;
            }
        }
    }
}

} // namespace lab::teach
