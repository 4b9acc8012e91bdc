#include "Scenario.h"

#include "balancing/Registry.h"

#include "ScenarioHashing.h"
#include "ScenarioReader.h"
#include "ScenarioSyntax.h"
#include "config/ConfigSchema.h"
#include "config/DuplicateKeys.h"
#include "loadgen/LoadGenerator.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace lab {

namespace {

using teach::JsonReader;
using teach::KnownBackends;
using teach::StepNames;

struct ActionInfo {
    StepAction action;
    QStringList keys; // what the action reads, beyond the keys every step may have
};

const QList<ActionInfo>& actions()
{
    static const QList<ActionInfo> list = {
        {StepAction::Watch, {}},
        {StepAction::Pause, {QStringLiteral("durationMs")}},
        {StepAction::Traffic, {QStringLiteral("traffic")}},
        {StepAction::StopTraffic, {QStringLiteral("name")}},
        {StepAction::Faults, {QStringLiteral("backend"), QStringLiteral("faults")}},
        {StepAction::Stop, {QStringLiteral("backend")}},
        {StepAction::Start, {QStringLiteral("backend")}},
        {StepAction::Drain, {QStringLiteral("backend"), QStringLiteral("durationMs")}},
        {StepAction::Undrain, {QStringLiteral("backend")}},
        {StepAction::Add, {QStringLiteral("as")}},
        {StepAction::Remove, {QStringLiteral("backend")}},
        {StepAction::Weight, {QStringLiteral("backend"), QStringLiteral("weight")}},
        {StepAction::Algorithm, {QStringLiteral("algorithm")}},
        {StepAction::Health, {QStringLiteral("health")}},
        {StepAction::Retry, {QStringLiteral("retry")}},
        {StepAction::Request, {QStringLiteral("request")}},
        {StepAction::StepMode, {QStringLiteral("scope")}},
        {StepAction::Step, {QStringLiteral("count"), QStringLiteral("intervalMs")}},
        {StepAction::RateLimit, {QStringLiteral("rateLimit")}},
    };
    return list;
}

const QStringList kCommonStepKeys = {QStringLiteral("at"),       QStringLiteral("after"),  QStringLiteral("do"),
                                     QStringLiteral("title"),    QStringLiteral("watch"),  QStringLiteral("why"),
                                     QStringLiteral("question"), QStringLiteral("expect"), QStringLiteral("id")};
constexpr int kMaxTimeMs = 3'600'000; // an hour of scenario time: far more than any lesson needs

// A config section of a step (faults, health, retry) read by the lab config's own parser, so its keys,
// ranges and messages are the config's: `wrapper` holds the object where a lab config has it, and the
// errors' paths are moved from `innerPath` to the step's `outerPath`.
LabConfig parseSectionAsLab(const QJsonObject& wrapper, const QString& innerPath, const QString& outerPath,
                            const QString& file, QStringList& errors)
{
    LabConfigResult r = parseLabConfig(QJsonDocument(wrapper).toJson(QJsonDocument::Compact), file);
    if (r.ok())
        return r.config;
    const QString prefix = file + QStringLiteral(": ");
    for (QString line : r.error.split(QLatin1Char('\n'))) {
        if (line.startsWith(prefix))
            line.remove(0, prefix.size());
        if (line.startsWith(innerPath))
            line.replace(0, innerPath.size(), outerPath);
        errors << line;
    }
    return r.config;
}

void readTraffic(JsonReader& step, ScenarioStep& s)
{
    if (!step.has("traffic")) {
        step.error(QStringLiteral("traffic"), QStringLiteral("is required for do: traffic (an object)"));
        return;
    }
    JsonReader r = step.child("traffic",
                              {QStringLiteral("connections"), QStringLiteral("ratePerSecond"),
                               QStringLiteral("durationMs"), QStringLiteral("maxRequests"), QStringLiteral("method"),
                               QStringLiteral("path"), QStringLiteral("body"), QStringLiteral("name"),
                               QStringLiteral("clientAddress"), QStringLiteral("users")});
    TrafficProfile& t = s.traffic;
    t.connections = r.integer("connections", t.connections, 1, LoadSpec::kMaxConcurrency);
    t.ratePerSecond = r.integer("ratePerSecond", 0, 0, 1'000'000);
    t.durationMs = r.integer("durationMs", 0, 0, LoadSpec::kMaxDurationMs);
    t.maxRequests = quint64(r.integer("maxRequests", 0, 0, 1'000'000'000));
    r.requestLine(t.method, t.path, t.body);
    if (r.has("users"))
        readUsersProfile(r, t.users);
    teach::readTrafficRun(r, t);
}

void readRequest(JsonReader& step, ScenarioStep& s)
{
    if (!step.has("request"))
        return; // GET /
    JsonReader r = step.child("request", {QStringLiteral("method"), QStringLiteral("path"), QStringLiteral("body")});
    r.requestLine(s.traffic.method, s.traffic.path, s.traffic.body);
}

// The action's own keys; `known` is updated by add and remove, `names` by a named traffic run.
void readAction(JsonReader& r, ScenarioStep& s, KnownBackends& known, StepNames& names, const QString& file,
                QStringList& errors)
{
    const char* name = stepActionName(s.action);
    const auto backend = [&](bool needEmbedded) {
        if (!r.has("backend")) {
            r.error(QStringLiteral("backend"), QStringLiteral("is required for do: %1").arg(QLatin1String(name)));
            return;
        }
        s.backend = r.string("backend", QString());
        known.check(r, QStringLiteral("backend"), s.backend, needEmbedded, name);
    };
    switch (s.action) {
    case StepAction::Watch: break;
    case StepAction::StopTraffic:
        teach::readStopTraffic(r, s, names);
        if (s.stopsAllTraffic || s.traffic.name.isEmpty())
            known.users = false;
        break;
    case StepAction::Pause:
        if (!r.has("durationMs"))
            r.error(QStringLiteral("durationMs"), QStringLiteral("is required for do: pause (ms to wait)"));
        s.durationMs = r.integer("durationMs", 0, 1, kMaxTimeMs);
        break;
    case StepAction::Traffic:
        readTraffic(r, s);
        if (!s.traffic.name.isEmpty() && !names.runs.contains(s.traffic.name))
            names.runs << s.traffic.name;
        // Simulated users run in the unnamed run (a named one beside it leaves them going).
        if (s.traffic.users.enabled())
            known.users = true;
        else if (s.traffic.name.isEmpty())
            known.users = false;
        break;
    case StepAction::Faults:
        backend(true);
        if (!r.has("faults"))
            r.error(QStringLiteral("faults"), QStringLiteral("is required for do: faults (an object)"));
        else {
            QJsonObject b{{QStringLiteral("name"), QStringLiteral("x")},
                          {QStringLiteral("port"), 1},
                          {QStringLiteral("faults"), r.value("faults")}};
            const LabConfig c =
                parseSectionAsLab({{QStringLiteral("backends"), QJsonArray{b}}}, QStringLiteral("backends[0].faults"),
                                  r.pathOf(QStringLiteral("faults")), file, errors);
            if (!c.backends.isEmpty())
                s.faults = c.backends.first().faults;
        }
        break;
    case StepAction::Stop:
    case StepAction::Start: backend(true); break;
    case StepAction::Drain:
        // Draining works on any backend; the stop that ends it only on an embedded one.
        s.durationMs = r.integer("durationMs", 0, 0, kMaxTimeMs);
        if (s.durationMs > 0 && r.has("backend")) {
            s.backend = r.string("backend", QString());
            known.check(r, QStringLiteral("backend"), s.backend, true, "drain with durationMs (drain, then stop)");
        } else {
            backend(false);
        }
        break;
    case StepAction::Undrain:
    case StepAction::Remove:
        backend(false);
        if (s.action == StepAction::Remove) {
            known.names.removeAll(s.backend);
            known.embedded.removeAll(s.backend);
        }
        break;
    case StepAction::Add:
        if (!r.has("as")) {
            r.error(QStringLiteral("as"), QStringLiteral("is required for do: add (the name later steps use)"));
            break;
        }
        s.backend = r.string("as", QString());
        if (s.backend.isEmpty())
            r.error(QStringLiteral("as"), QStringLiteral("must not be empty"));
        else if (known.names.contains(s.backend))
            r.error(QStringLiteral("as"), QStringLiteral("a backend named \"%1\" exists already").arg(s.backend));
        else {
            known.names << s.backend;
            known.embedded << s.backend;
        }
        break;
    case StepAction::Weight: {
        backend(false);
        const schema::Range w = schema::rangeOf(&BackendConfig::weight);
        if (!r.has("weight"))
            r.error(QStringLiteral("weight"), QStringLiteral("is required for do: weight"));
        s.weight = r.integer("weight", 1, int(w.min), int(w.max));
        break;
    }
    case StepAction::Algorithm:
        if (!r.has("algorithm"))
            r.error(QStringLiteral("algorithm"), QStringLiteral("is required for do: algorithm"));
        s.algorithm = r.string("algorithm", QString(), algorithmNames());
        break;
    case StepAction::Health:
        if (!r.has("health"))
            r.error(QStringLiteral("health"), QStringLiteral("is required for do: health (an object)"));
        else
            s.health = parseSectionAsLab({{QStringLiteral("health"), r.value("health")}}, QStringLiteral("health"),
                                         r.pathOf(QStringLiteral("health")), file, errors)
                           .health;
        break;
    case StepAction::Retry:
        if (!r.has("retry"))
            r.error(QStringLiteral("retry"), QStringLiteral("is required for do: retry (an object)"));
        else
            s.retry = parseSectionAsLab({{QStringLiteral("retry"), r.value("retry")}}, QStringLiteral("retry"),
                                        r.pathOf(QStringLiteral("retry")), file, errors)
                          .retry;
        break;
    case StepAction::Request: readRequest(r, s); break;
    case StepAction::StepMode: teach::readStepMode(r, s); break;
    case StepAction::Step: teach::readStepRelease(r, s); break;
    case StepAction::RateLimit:
        if (!r.has("rateLimit"))
            r.error(QStringLiteral("rateLimit"), QStringLiteral("is required for do: rate-limit (an object)"));
        else
            s.rateLimit =
                parseSectionAsLab({{QStringLiteral("rateLimit"), r.value("rateLimit")}}, QStringLiteral("rateLimit"),
                                  r.pathOf(QStringLiteral("rateLimit")), file, errors)
                    .rateLimit;
        break;
    }
}

const QStringList& stateNames()
{
    static const QStringList names = {
        QStringLiteral("eligible"),       QStringLiteral("panic-routed"), QStringLiteral("half-open"),
        QStringLiteral("slow-start"),     QStringLiteral("ejected"),      QStringLiteral("passive-hold"),
        QStringLiteral("breaker-open"),   QStringLiteral("unhealthy"),    QStringLiteral("draining"),
        QStringLiteral("breaker-closed"), QStringLiteral("probe-up"),     QStringLiteral("probe-down"),
        QStringLiteral("running"),        QStringLiteral("stopped")};
    return names;
}

void readExpect(JsonReader& step, ScenarioStep& s, const KnownBackends& known, const StepNames& names)
{
    QStringList keys = {QStringLiteral("windowMs"), QStringLiteral("share"),   QStringLiteral("status"),
                        QStringLiteral("requests"), QStringLiteral("latency"), QStringLiteral("state"),
                        QStringLiteral("queue"),    QStringLiteral("picks"),   QStringLiteral("clients"),
                        QStringLiteral("moved")};
    if (s.action == StepAction::Request)
        keys << QStringLiteral("response");
    JsonReader r = step.child("expect", keys);
    if (!r.has("windowMs"))
        r.error(QStringLiteral("windowMs"),
                QStringLiteral("is required (how long to watch, in ms, from 1 to %1)").arg(kMaxTimeMs));
    s.windowMs = r.integer("windowMs", 1, 1, kMaxTimeMs);

    const auto add = [&](ScenarioCheck c, const QString& path) {
        c.path = path;
        s.checks << c;
    };
    if (r.has("requests")) {
        ScenarioCheck c;
        c.kind = ScenarioCheck::Kind::Requests;
        c.range = r.countRange(QStringLiteral("requests"));
        add(c, r.pathOf(QStringLiteral("requests")));
    }
    if (r.has("share")) {
        JsonReader share = r.child("share", {});
        for (const QString& name : share.keys()) {
            ScenarioCheck c;
            c.kind = ScenarioCheck::Kind::Share;
            c.backend = name;
            known.check(share, name, name, false, "expect");
            if (!teach::readReference(share, name, names, &c.reference))
                c.range = share.fractionRange(name);
            add(c, share.pathOf(name));
        }
    }
    if (r.has("status")) {
        const QStringList classes = {QStringLiteral("1xx"), QStringLiteral("2xx"), QStringLiteral("3xx"),
                                     QStringLiteral("4xx"), QStringLiteral("5xx"), QStringLiteral("failed")};
        JsonReader status = r.child("status", classes);
        for (const QString& cls : status.keys()) {
            if (!classes.contains(cls))
                continue; // reported as an unknown key
            ScenarioCheck c;
            c.kind = ScenarioCheck::Kind::Status;
            c.statusClass = cls;
            c.range = status.countRange(cls);
            add(c, status.pathOf(cls));
        }
    }
    if (r.has("latency")) {
        const QStringList ps = {QStringLiteral("p50Ms"), QStringLiteral("p90Ms"), QStringLiteral("p99Ms")};
        JsonReader latency = r.child("latency", ps);
        for (const QString& p : latency.keys()) {
            if (!ps.contains(p))
                continue;
            ScenarioCheck c;
            c.kind = ScenarioCheck::Kind::Latency;
            c.percentile = p.mid(1, 2).toDouble();
            if (!teach::readReference(latency, p, names, &c.reference))
                c.range = latency.msRange(p);
            add(c, latency.pathOf(p));
        }
    }
    if (r.has("state")) {
        JsonReader state = r.child("state", {});
        for (const QString& name : state.keys()) {
            ScenarioCheck c;
            c.kind = ScenarioCheck::Kind::State;
            c.backend = name;
            known.check(state, name, name, false, "expect");
            state.stateSpec(name, stateNames(), &c.states, &c.during);
            add(c, state.pathOf(name));
        }
    }
    if (r.has("queue"))
        teach::readQueueChecks(r, s, known, names);
    if (r.has("picks"))
        teach::readPicksCheck(r, s, known);
    if (r.has("clients"))
        teach::readClientChecks(r, s, names);
    if (r.has("response")) {
        JsonReader resp = r.child("response", {QStringLiteral("status"), QStringLiteral("bodyContains")});
        ScenarioCheck c;
        c.kind = ScenarioCheck::Kind::Response;
        c.range = resp.has("status") ? resp.countRange(QStringLiteral("status")) : ValueRange{200, 299.0};
        c.bodyContains = resp.string("bodyContains", QString());
        add(c, r.pathOf(QStringLiteral("response")));
    }
    if (r.has("moved")) {
        ScenarioCheck c;
        readMovedCheck(
            r,
            [&](teach::JsonReader& in, const QString& key) {
                return known.check(in, key, in.string(key.toLatin1().constData(), QString()), false, "expect");
            },
            c);
        if (!known.users)
            r.error(QStringLiteral("moved"),
                    QStringLiteral("needs simulated users: a traffic step with users (count >= 2) before it, "
                                   "or on this step"));
        s.checks << c;
    }
    if (s.checks.isEmpty())
        r.error(
            QString(),
            QStringLiteral("has no expectation; give at least one of %1").arg(keys.mid(1).join(QStringLiteral(", "))));
}

void readSteps(JsonReader& top, Scenario& sc, const QString& file, QStringList& errors)
{
    KnownBackends known;
    StepNames names;
    for (const BackendConfig& b : std::as_const(sc.lab.backends)) {
        known.names << b.name;
        if (b.embedded)
            known.embedded << b.name;
    }
    if (!top.has("steps")) {
        top.error(QStringLiteral("steps"), QStringLiteral("is required (an array of steps)"));
        return;
    }
    const QJsonArray steps = top.array("steps");
    if (steps.isEmpty() && top.value("steps").isArray())
        top.error(QStringLiteral("steps"), QStringLiteral("must hold at least one step"));
    qint64 previousEnd = 0;
    for (qsizetype i = 0; i < steps.size(); ++i) {
        const QString path = QStringLiteral("steps[%1]").arg(i);
        if (!steps[i].isObject()) {
            errors << path + QStringLiteral(": must be an object (got %1)").arg(teach::describeJson(steps[i]));
            names.hasWindow << false;
            continue;
        }
        const QJsonObject o = steps[i].toObject();
        // The action first: which other keys are allowed depends on it.
        JsonReader head(o, path, errors, {});
        QStringList allowed = kCommonStepKeys;
        ScenarioStep s;
        const QString action = o.value(QStringLiteral("do")).toString();
        bool knownAction = false;
        if (!o.contains(QStringLiteral("do"))) {
            head.error(QStringLiteral("do"),
                       QStringLiteral("is required; one of %1").arg(stepActionNames().join(QStringLiteral(", "))));
        } else {
            for (const ActionInfo& a : actions()) {
                if (action == QLatin1String(stepActionName(a.action))) {
                    s.action = a.action;
                    allowed << a.keys;
                    knownAction = true;
                }
            }
            if (!knownAction)
                head.error(QStringLiteral("do"),
                           QStringLiteral("unknown action %1; allowed: %2")
                               .arg(teach::describeJson(o.value(QStringLiteral("do"))),
                                    stepActionNames().join(QStringLiteral(", "))));
        }
        if (!knownAction) {
            sc.steps << s;
            names.hasWindow << false;
            continue;
        }
        JsonReader r(o, path, errors, allowed);
        s.title = r.string("title", QString());
        s.watch = r.string("watch", QString());
        s.why = r.string("why", QString());
        s.question = r.string("question", QString());
        s.id = teach::readStepId(r, names);
        readAction(r, s, known, names, file, errors);
        if (r.has("expect"))
            readExpect(r, s, known, names);
        if (!s.id.isEmpty())
            names.ids.insert(s.id, int(i));
        names.hasWindow << (s.windowMs > 0);

        if (r.has("at") && r.has("after"))
            r.error(QStringLiteral("after"), QStringLiteral("give at or after, not both"));
        if (r.has("at")) {
            s.startMs = r.integer("at", int(previousEnd), 0, kMaxTimeMs);
            if (s.startMs < previousEnd)
                r.error(QStringLiteral("at"),
                        QStringLiteral("%1 ms is before the previous step ends (at %2 ms); times must not go "
                                       "backwards (use after for a time relative to the previous step)")
                            .arg(s.startMs)
                            .arg(previousEnd));
        } else {
            s.startMs = previousEnd + r.integer("after", 0, 0, kMaxTimeMs);
        }
        s.startMs = qMax(s.startMs, previousEnd);
        const bool lasts = s.action == StepAction::Pause || s.action == StepAction::Step;
        s.endMs = s.startMs + qMax(s.windowMs, lasts ? s.durationMs : 0);
        previousEnd = s.endMs;
        sc.steps << s;
    }
}

} // namespace

void Scenario::useAnyPorts()
{
    for (ListenerConfig& l : lab.listeners)
        l.port = 0;
    for (BackendConfig& b : lab.backends) {
        if (b.embedded)
            b.port = 0;
    }
}

ScenarioResult parseScenario(const QByteArray& json, const QString& sourceName)
{
    ScenarioResult result;
    QJsonObject root;
    if (!readJsonObject(json, sourceName, &root, &result.error))
        return result;
    QStringList errors;
    findDuplicateKeys(json, errors);
    JsonReader top(
        root, QString(), errors,
        {QStringLiteral("title"), QStringLiteral("summary"), QStringLiteral("lab"), QStringLiteral("steps")});
    Scenario& sc = result.scenario;
    sc.title = top.string("title", QString());
    sc.summary = top.string("summary", QString());
    if (!top.has("lab")) {
        top.error(QStringLiteral("lab"), QStringLiteral("is required: the lab to run (the format of docs/config.md)"));
    } else if (!top.value("lab").isObject()) {
        top.error(QStringLiteral("lab"),
                  QStringLiteral("must be an object (got %1)").arg(teach::describeJson(top.value("lab"))));
    } else {
        // The lab config's own parser, so a lab is checked alike in a config file and in a scenario.
        QStringList labErrors;
        sc.lab = parseSectionAsLab(top.value("lab").toObject(), QString(), QString(), sourceName, labErrors);
        for (const QString& e : std::as_const(labErrors))
            errors << QStringLiteral("lab.") + e;
        bool anyHttp = false;
        for (const ListenerConfig& l : std::as_const(sc.lab.listeners))
            anyHttp = anyHttp || l.kind == ListenerKind::Http;
        if (labErrors.isEmpty() && !anyHttp)
            errors << QStringLiteral("lab.listeners: a scenario needs an HTTP listener (its traffic goes through it)");
        if (labErrors.isEmpty() && sc.lab.backends.isEmpty())
            errors << QStringLiteral("lab.backends: none; a scenario needs at least one backend");
    }
    readSteps(top, sc, sourceName, errors);
    for (QString& e : errors)
        e.prepend(sourceName + QStringLiteral(": "));
    result.error = errors.join(QLatin1Char('\n'));
    return result;
}

ScenarioResult loadScenario(const QString& fileName)
{
    QFile f(fileName);
    if (!f.open(QIODevice::ReadOnly)) {
        ScenarioResult r;
        r.error = fileName + QStringLiteral(": cannot read: ") + f.errorString();
        return r;
    }
    return parseScenario(f.readAll(), fileName);
}

QStringList stepActionNames()
{
    QStringList names;
    for (const ActionInfo& a : actions())
        names << QLatin1String(stepActionName(a.action));
    return names;
}

} // namespace lab
