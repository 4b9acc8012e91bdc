#include "Experiment.h"

#include "config/DuplicateKeys.h"
#include "teach/ScenarioReader.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace lab {

namespace {

using teach::JsonReader;

// The lab config keys an arm may set; each replaces the experiment lab's key of that name. Listeners and
// backends stay the experiment's: every arm must meet the same backends.
const QStringList kArmLabKeys = {
    QStringLiteral("algorithm"), QStringLiteral("hashKey"),          QStringLiteral("sticky"),
    QStringLiteral("retry"),     QStringLiteral("outlierDetection"), QStringLiteral("circuitBreaker"),
    QStringLiteral("health"),    QStringLiteral("timeouts"),         QStringLiteral("rateLimit")};
constexpr int kMaxArms = 12;
constexpr int kMaxTimelineMs = WorkloadSpec::kMaxDurationMs;

// Runs the lab config's own parser on `lab` (so a lab is checked alike in a config file, a scenario and an
// experiment) and moves each error's JSON path from `innerPath` to `outerPath`.
LabConfig parseAsLab(const QJsonObject& lab, const QString& innerPath, const QString& outerPath, const QString& file,
                     QStringList& errors)
{
    LabConfigResult r = parseLabConfig(QJsonDocument(lab).toJson(QJsonDocument::Compact), file);
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

// An experiment's backends are the lab's own fake backends on free ports: `port` and `embedded` may be
// left out (they are filled in as 0 and true before the config parser reads the lab), and every
// listener is moved to a free port. One HTTP listener is added when the lab names none.
QJsonObject completeLab(QJsonObject lab)
{
    if (!lab.contains(QLatin1String("listeners"))) {
        lab.insert(QStringLiteral("listeners"),
                   QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("http")},
                                          {QStringLiteral("kind"), QStringLiteral("http")},
                                          {QStringLiteral("port"), 0}}});
    }
    const QJsonValue backends = lab.value(QLatin1String("backends"));
    if (backends.isArray()) {
        QJsonArray out;
        for (const QJsonValue& v : backends.toArray()) {
            QJsonObject b = v.toObject();
            if (v.isObject() && !b.contains(QLatin1String("port")))
                b.insert(QStringLiteral("port"), 0);
            if (v.isObject() && !b.contains(QLatin1String("embedded")))
                b.insert(QStringLiteral("embedded"), true);
            out.append(v.isObject() ? QJsonValue(b) : v);
        }
        lab.insert(QStringLiteral("backends"), out);
    }
    return lab;
}

void readWorkload(JsonReader& top, WorkloadSpec& w)
{
    if (!top.has("workload")) {
        top.error(QStringLiteral("workload"),
                  QStringLiteral("is required: the traffic every arm replays (seed, arrival, ratePerSecond, ...)"));
        return;
    }
    JsonReader r = top.child("workload",
                             {QStringLiteral("seed"), QStringLiteral("arrival"), QStringLiteral("ratePerSecond"),
                              QStringLiteral("durationMs"), QStringLiteral("requests"), QStringLiteral("users"),
                              QStringLiteral("method"), QStringLiteral("path"), QStringLiteral("cost"),
                              QStringLiteral("requestTimeoutMs")});
    w.seed = quint32(r.integer("seed", int(w.seed), 0, 2'147'483'647));
    const QString arrival = r.string("arrival", arrivalName(w.arrival),
                                     {arrivalName(ArrivalProcess::Constant), arrivalName(ArrivalProcess::Poisson)});
    parseArrival(arrival, &w.arrival);
    w.ratePerSecond = r.integer("ratePerSecond", w.ratePerSecond, 1, WorkloadSpec::kMaxRatePerSecond);
    w.durationMs = r.integer("durationMs", r.has("requests") ? 0 : w.durationMs, 0, WorkloadSpec::kMaxDurationMs);
    w.requests = r.integer("requests", 0, 0, WorkloadSpec::kMaxRequests);
    if (w.durationMs == 0 && w.requests == 0)
        r.error(QStringLiteral("durationMs"),
                QStringLiteral("the workload needs an end: durationMs (1 to %1) or requests (1 to %2)")
                    .arg(WorkloadSpec::kMaxDurationMs)
                    .arg(WorkloadSpec::kMaxRequests));
    // Both bounds together: at most kMaxRequests arrivals whatever the rate and duration.
    const double expected = w.durationMs > 0 ? double(w.ratePerSecond) * w.durationMs / 1000.0 : 0;
    if (w.requests == 0 && expected > WorkloadSpec::kMaxRequests)
        r.error(QStringLiteral("durationMs"),
                QStringLiteral("%1 requests/s for %2 ms is %3 requests; an experiment sends at most %4 per arm")
                    .arg(w.ratePerSecond)
                    .arg(w.durationMs)
                    .arg(qint64(expected))
                    .arg(WorkloadSpec::kMaxRequests));
    w.users = r.integer("users", 0, 0, UserSpec::kMaxUsers);
    QByteArray body;
    r.requestLine(w.method, w.path, body);
    QString why;
    PathTemplate paths;
    if (!PathTemplate::parse(w.path, &paths, &why))
        r.error(QStringLiteral("path"), why);
    w.requestTimeoutMs = r.integer("requestTimeoutMs", w.requestTimeoutMs, 100, WorkloadSpec::kMaxRequestTimeoutMs);
    if (r.has("cost")) {
        JsonReader c = r.child("cost", {QStringLiteral("dist"), QStringLiteral("meanMs")});
        const QString dist = c.string("dist", costName(w.cost),
                                      {costName(CostDistribution::Fixed), costName(CostDistribution::Exponential),
                                       costName(CostDistribution::Lognormal)});
        for (CostDistribution d : {CostDistribution::Fixed, CostDistribution::Exponential, CostDistribution::Lognormal})
            w.cost = dist == costName(d) ? d : w.cost;
        w.costMeanMs = c.integer("meanMs", int(w.costMeanMs), 0, WorkloadSpec::kMaxCostMs);
    }
}

void readTimeline(JsonReader& top, Experiment& e, const QString& file, QStringList& errors)
{
    const QJsonArray events = top.array("timeline");
    QStringList names;
    for (const BackendConfig& b : std::as_const(e.lab.backends))
        names << b.name;
    int lastAt = 0;
    for (qsizetype i = 0; i < events.size(); ++i) {
        const QString path = QStringLiteral("timeline[%1]").arg(i);
        if (!events[i].isObject()) {
            errors << path + QStringLiteral(": must be an object (got %1)").arg(teach::describeJson(events[i]));
            continue;
        }
        JsonReader r(events[i].toObject(), path, errors,
                     {QStringLiteral("at"), QStringLiteral("do"), QStringLiteral("backend"), QStringLiteral("faults")});
        TimelineEvent ev;
        if (!r.has("at"))
            r.error(QStringLiteral("at"), QStringLiteral("is required: ms from the start of the workload"));
        ev.atMs = r.integer("at", 0, 0, kMaxTimelineMs);
        if (ev.atMs < lastAt)
            r.error(QStringLiteral("at"),
                    QStringLiteral("events must be in time order (%1 ms comes after %2 ms)").arg(ev.atMs).arg(lastAt));
        lastAt = qMax(lastAt, ev.atMs);
        static const QStringList actions = {QStringLiteral("add"), QStringLiteral("stop"), QStringLiteral("start"),
                                            QStringLiteral("faults")};
        if (!r.has("do"))
            r.error(QStringLiteral("do"), QStringLiteral("is required: one of ") + actions.join(QStringLiteral(", ")));
        const QString action = r.string("do", QString(), actions);
        ev.action = action == QLatin1String("add") ? TimelineEvent::Action::Add
            : action == QLatin1String("stop")      ? TimelineEvent::Action::Stop
            : action == QLatin1String("start")     ? TimelineEvent::Action::Start
                                                   : TimelineEvent::Action::Faults;
        ev.backend = r.string("backend", QString());
        if (!r.has("backend")) {
            r.error(QStringLiteral("backend"), QStringLiteral("is required: the backend's name"));
        } else if (ev.action == TimelineEvent::Action::Add) {
            if (names.contains(ev.backend) || ev.backend.isEmpty())
                r.error(
                    QStringLiteral("backend"),
                    QStringLiteral("the added backend needs a new name (\"%1\" is taken or empty)").arg(ev.backend));
            names << ev.backend;
        } else if (!names.contains(ev.backend)) {
            r.error(QStringLiteral("backend"),
                    QStringLiteral("unknown backend \"%1\"; backends at this moment: %2")
                        .arg(ev.backend, names.join(QStringLiteral(", "))));
        }
        if (r.has("faults")) {
            if (ev.action == TimelineEvent::Action::Stop || ev.action == TimelineEvent::Action::Start) {
                r.error(QStringLiteral("faults"), QStringLiteral("only for do: add or do: faults"));
            } else {
                // The faults object as a backend of a lab config has it, read by the config's parser.
                const QJsonObject wrapper{{QStringLiteral("backends"),
                                           QJsonArray{QJsonObject{{QStringLiteral("port"), 0},
                                                                  {QStringLiteral("embedded"), true},
                                                                  {QStringLiteral("faults"), r.value("faults")}}}}};
                const LabConfig parsed = parseAsLab(wrapper, QStringLiteral("backends[0].faults"),
                                                    r.pathOf(QStringLiteral("faults")), file, errors);
                if (!parsed.backends.isEmpty())
                    ev.faults = parsed.backends.first().faults;
            }
        } else if (ev.action == TimelineEvent::Action::Faults) {
            r.error(QStringLiteral("faults"), QStringLiteral("is required for do: faults (the backend's new knobs)"));
        }
        e.timeline << ev;
    }
}

void readArms(JsonReader& top, const QJsonObject& labJson, Experiment& e, const QString& file, QStringList& errors)
{
    if (!top.has("arms")) {
        top.error(QStringLiteral("arms"),
                  QStringLiteral("is required: a list of 1 to %1 arms, e.g. [{\"name\": \"rr\", \"algorithm\": "
                                 "\"round-robin\"}]")
                      .arg(kMaxArms));
        return;
    }
    const QJsonArray arms = top.array("arms");
    if (top.value("arms").isArray() && (arms.isEmpty() || arms.size() > kMaxArms))
        top.error(QStringLiteral("arms"),
                  QStringLiteral("must list 1 to %1 arms (got %2)").arg(kMaxArms).arg(arms.size()));
    QStringList allowed{QStringLiteral("name")};
    allowed << kArmLabKeys;
    QStringList names;
    for (qsizetype i = 0; i < arms.size() && i < kMaxArms; ++i) {
        const QString path = QStringLiteral("arms[%1]").arg(i);
        if (!arms[i].isObject()) {
            errors << path + QStringLiteral(": must be an object (got %1)").arg(teach::describeJson(arms[i]));
            continue;
        }
        const QJsonObject obj = arms[i].toObject();
        JsonReader r(obj, path, errors, allowed);
        ExperimentArm arm;
        arm.name = r.string("name", QString());
        if (arm.name.isEmpty() || arm.name.contains(QLatin1Char(',')) || arm.name.contains(QLatin1Char('\n')))
            r.error(QStringLiteral("name"),
                    QStringLiteral("is required: a short label without commas or line breaks (got %1)")
                        .arg(teach::describeJson(r.value("name"))));
        else if (names.contains(arm.name))
            r.error(QStringLiteral("name"),
                    QStringLiteral("\"%1\" names two arms; each arm needs its own").arg(arm.name));
        names << arm.name;
        QJsonObject merged = labJson;
        for (const QString& key : kArmLabKeys) {
            if (obj.contains(key)) {
                merged.insert(key, obj.value(key));
                arm.overrides << key;
            }
        }
        // The arm's keys are read by the config's parser in the merged lab; only its own keys can fail
        // there (the experiment's lab was already valid), so every error is the arm's.
        QStringList armErrors;
        arm.lab = parseAsLab(merged, QString(), path + QLatin1Char('.'), file, armErrors);
        errors << armErrors;
        e.arms << arm;
    }
}

} // namespace

QString costName(CostDistribution c)
{
    switch (c) {
    case CostDistribution::Fixed: return QStringLiteral("fixed");
    case CostDistribution::Exponential: return QStringLiteral("exp");
    case CostDistribution::Lognormal: return QStringLiteral("lognormal");
    }
    return {};
}

qint64 Experiment::expectedDurationMs() const
{
    const qint64 byCount = workload.requests > 0 ? qint64(workload.requests) * 1000 / workload.ratePerSecond : 0;
    if (workload.durationMs > 0 && byCount > 0)
        return qMin<qint64>(workload.durationMs, byCount);
    return workload.durationMs > 0 ? workload.durationMs : byCount;
}

ExperimentResult parseExperiment(const QByteArray& json, const QString& sourceName)
{
    ExperimentResult result;
    QJsonObject root;
    if (!readJsonObject(json, sourceName, &root, &result.error))
        return result;
    QStringList errors;
    findDuplicateKeys(json, errors);
    JsonReader top(root, QString(), errors,
                   {QStringLiteral("title"), QStringLiteral("summary"), QStringLiteral("workload"),
                    QStringLiteral("lab"), QStringLiteral("timeline"), QStringLiteral("arms")});
    Experiment& e = result.experiment;
    e.title = top.string("title", QString());
    e.summary = top.string("summary", QString());
    readWorkload(top, e.workload);
    QJsonObject labJson;
    bool labOk = false;
    if (!top.has("lab")) {
        top.error(QStringLiteral("lab"),
                  QStringLiteral("is required: the backends every arm meets (the format of docs/config.md)"));
    } else if (!top.value("lab").isObject()) {
        top.error(QStringLiteral("lab"),
                  QStringLiteral("must be an object (got %1)").arg(teach::describeJson(top.value("lab"))));
    } else {
        labJson = completeLab(top.value("lab").toObject());
        QStringList labErrors;
        e.lab = parseAsLab(labJson, QString(), QStringLiteral("lab."), sourceName, labErrors);
        errors << labErrors;
        labOk = labErrors.isEmpty();
        for (qsizetype i = 0; labOk && i < e.lab.backends.size(); ++i) {
            if (!e.lab.backends[i].embedded)
                errors << QStringLiteral("lab.backends[%1].embedded: must be true: an experiment runs its own fake "
                                         "backends (a fresh set per arm)")
                              .arg(i);
        }
        if (labOk && e.lab.backends.isEmpty())
            errors << QStringLiteral("lab.backends: none; an experiment needs at least one backend");
        if (labOk && (e.lab.listeners.isEmpty() || e.lab.listeners.first().kind != ListenerKind::Http))
            errors << QStringLiteral("lab.listeners: the first listener must be http (the workload goes through it)");
        for (ListenerConfig& l : e.lab.listeners)
            l.port = 0;
        for (BackendConfig& b : e.lab.backends)
            b.port = 0;
    }
    readTimeline(top, e, sourceName, errors);
    if (labOk) {
        readArms(top, labJson, e, sourceName, errors);
        for (ExperimentArm& arm : e.arms) {
            arm.lab.listeners = e.lab.listeners;
            arm.lab.backends = e.lab.backends;
        }
    }
    for (QString& line : errors)
        line.prepend(sourceName + QStringLiteral(": "));
    result.error = errors.join(QLatin1Char('\n'));
    return result;
}

ExperimentResult loadExperiment(const QString& fileName)
{
    QFile f(fileName);
    if (!f.open(QIODevice::ReadOnly)) {
        ExperimentResult r;
        r.error = fileName + QStringLiteral(": cannot read: ") + f.errorString();
        return r;
    }
    return parseExperiment(f.readAll(), fileName);
}

QList<ExperimentInfo> builtInExperiments()
{
    QList<ExperimentInfo> list;
    const QDir dir(QStringLiteral(":/experiments"));
    for (const QString& name : dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name)) {
        const QString file = dir.filePath(name);
        const ExperimentResult r = loadExperiment(file);
        list << ExperimentInfo{file, r.ok() ? r.experiment.title : name};
    }
    return list;
}

} // namespace lab
