#include "ScenarioRecorder.h"

#include "ScenarioHashing.h"
#include "ScenarioSyntax.h"
#include "fakebackend/FakeBackend.h"
#include "lab/Lab.h"
#include "util/Clock.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>

namespace lab {

namespace {

// The config writer is the one place that turns sections into JSON; a one-backend lab carries the
// faults, health and retry objects a step needs, written exactly as the parser reads them back.
QJsonObject configJson(const LabConfig& c)
{
    return QJsonDocument::fromJson(labConfigToJson(c)).object();
}

QJsonObject faultsJson(const FaultProfile& faults)
{
    LabConfig c;
    BackendConfig b;
    b.name = QStringLiteral("x");
    b.port = 1;
    b.embedded = true;
    b.faults = faults;
    c.backends << b;
    QJsonObject o = configJson(c)
                        .value(QStringLiteral("backends"))
                        .toArray()
                        .first()
                        .toObject()
                        .value(QStringLiteral("faults"))
                        .toObject();
    o.remove(QStringLiteral("refuse")); // stop/start steps carry it; a faults step keeps what the lab has
    return o;
}

QJsonObject sectionJson(const LabConfig& c, const char* key)
{
    return configJson(c).value(QLatin1String(key)).toObject();
}

QJsonValue text(const QByteArray& bytes)
{
    return QString::fromUtf8(bytes);
}

} // namespace

ScenarioRecorder::ScenarioRecorder(Lab* lab, std::shared_ptr<const Clock> clock, QObject* parent)
    : QObject(parent)
    , m_lab(lab)
    , m_clock(clock ? std::move(clock) : Clock::steady())
{
    connect(m_lab, &Lab::backendStateChanged, this, &ScenarioRecorder::compare);
    connect(m_lab, &Lab::backendInserted, this, &ScenarioRecorder::compare);
    connect(m_lab, &Lab::backendRemoved, this, &ScenarioRecorder::compare);
    connect(m_lab, &Lab::proxyStateChanged, this, &ScenarioRecorder::compare);
    connect(m_lab, &Lab::eventLogged, this, &ScenarioRecorder::compare);
    // A new lab (File > Open, a lesson) is nothing a step can do: the recording ends where it was.
    connect(m_lab, &Lab::labReset, this, [this] {
        if (m_recording)
            stop();
    });
}

ScenarioRecorder::~ScenarioRecorder() = default;

qint64 ScenarioRecorder::nowMs() const
{
    return m_clock->nowMs() - m_startedAtMs;
}

ScenarioRecorder::BackendSeen ScenarioRecorder::seen(BackendId id) const
{
    const BackendConfig& c = m_lab->backendConfig(id);
    BackendSeen s;
    s.name = c.name;
    s.embedded = c.embedded;
    s.weight = c.weight;
    s.faults = c.faults;
    s.faults.refuse = false;
    s.health = c.health;
    s.draining = m_lab->isDraining(id);
    const FakeBackend* b = m_lab->embeddedBackend(id);
    s.running = b && b->isStarted();
    return s;
}

void ScenarioRecorder::start()
{
    m_steps.clear();
    m_startedAtMs = m_clock->nowMs();
    m_startLab = m_lab->config();
    m_lastLab = m_startLab;
    m_backends.clear();
    for (BackendId id : m_lab->backendIds())
        m_backends.insert(id, seen(id));
    m_recording = true;
}

void ScenarioRecorder::add(ScenarioStep step)
{
    step.startMs = m_steps.isEmpty() ? nowMs() : qMax(nowMs(), m_steps.last().endMs);
    step.endMs = step.startMs + (step.action == StepAction::Pause ? step.durationMs : 0);
    if (step.title.isEmpty())
        step.title = step.describe();
    m_steps << step;
    Q_EMIT stepRecorded(step);
}

void ScenarioRecorder::note(const QString& what)
{
    ScenarioStep step;
    step.action = StepAction::Watch;
    step.title = tr("not replayed: %1").arg(what);
    add(step);
}

void ScenarioRecorder::recordTraffic(const TrafficProfile& profile)
{
    if (!m_recording)
        return;
    ScenarioStep step;
    step.action = StepAction::Traffic;
    step.traffic = profile;
    add(step);
}

void ScenarioRecorder::recordStopTraffic()
{
    if (!m_recording)
        return;
    ScenarioStep step;
    step.action = StepAction::StopTraffic;
    add(step);
}

void ScenarioRecorder::compare()
{
    if (!m_recording)
        return;
    const LabConfig& now = m_lab->config();
    const auto labStep = [this](StepAction action) {
        ScenarioStep s;
        s.action = action;
        return s;
    };
    if (now.algorithm != m_lastLab.algorithm) {
        ScenarioStep s = labStep(StepAction::Algorithm);
        s.algorithm = now.algorithm;
        add(s);
    }
    if (!(now.retry == m_lastLab.retry)) {
        ScenarioStep s = labStep(StepAction::Retry);
        s.retry = now.retry;
        add(s);
    }
    if (!(now.health == m_lastLab.health)) {
        ScenarioStep s = labStep(StepAction::Health);
        s.health = now.health;
        add(s);
    }
    if (!(now.rateLimit == m_lastLab.rateLimit)) {
        ScenarioStep s = labStep(StepAction::RateLimit);
        s.rateLimit = now.rateLimit;
        add(s);
    }
    if (!(now.timeouts == m_lastLab.timeouts))
        note(tr("the proxy's timeouts changed"));
    if (!(now.listeners == m_lastLab.listeners))
        note(tr("the listener changed"));
    if (now.hashKey != m_lastLab.hashKey)
        note(tr("hash key %1").arg(now.hashKey));
    if (!(now.sticky == m_lastLab.sticky))
        note(tr("sticky sessions %1").arg(now.sticky.enabled ? tr("on") : tr("off")));
    m_lastLab = now;

    const QList<BackendId> ids = m_lab->backendIds();
    for (auto it = m_backends.begin(); it != m_backends.end();) {
        if (ids.contains(it.key())) {
            ++it;
            continue;
        }
        ScenarioStep s = labStep(StepAction::Remove);
        s.backend = it->name;
        add(s);
        it = m_backends.erase(it);
    }
    for (BackendId id : ids) {
        const BackendSeen n = seen(id);
        auto it = m_backends.find(id);
        if (it == m_backends.end()) {
            if (!n.embedded) {
                note(tr("external backend %1 added").arg(n.name));
                m_backends.insert(id, n);
                continue;
            }
            ScenarioStep s = labStep(StepAction::Add);
            s.backend = n.name;
            add(s);
            BackendSeen fresh; // what an add step makes: weight 1, no faults, running
            fresh.name = n.name;
            it = m_backends.insert(id, fresh);
        }
        BackendSeen& o = *it;
        const auto backendStep = [&](StepAction action) {
            ScenarioStep s = labStep(action);
            s.backend = n.name;
            return s;
        };
        if (n.draining != o.draining)
            add(backendStep(n.draining ? StepAction::Drain : StepAction::Undrain));
        if (n.embedded && n.running != o.running)
            add(backendStep(n.running ? StepAction::Start : StepAction::Stop));
        if (n.weight != o.weight) {
            ScenarioStep s = backendStep(StepAction::Weight);
            s.weight = n.weight;
            add(s);
        }
        if (n.embedded && !(n.faults == o.faults)) {
            ScenarioStep s = backendStep(StepAction::Faults);
            s.faults = n.faults;
            add(s);
        }
        if (n.health != o.health)
            note(tr("%1's own health settings changed").arg(n.name));
        o = n;
    }
}

void ScenarioRecorder::stop()
{
    if (!m_recording)
        return;
    compare();
    // A pause from the last step to now: the replay lasts as long as the recording did.
    ScenarioStep end;
    end.action = StepAction::Pause;
    end.startMs = m_steps.isEmpty() ? 0 : m_steps.last().endMs;
    end.durationMs = int(qMax<qint64>(1, nowMs() - end.startMs));
    end.endMs = end.startMs + end.durationMs;
    end.title = tr("end of the recording");
    m_steps << end;
    Q_EMIT stepRecorded(end);
    m_recording = false;
}

QJsonObject ScenarioRecorder::stepToJson(const ScenarioStep& step)
{
    QJsonObject o{{QStringLiteral("do"), QLatin1String(stepActionName(step.action))},
                  {QStringLiteral("at"), double(step.startMs)}};
    if (!step.title.isEmpty())
        o.insert(QStringLiteral("title"), step.title);
    LabConfig c;
    switch (step.action) {
    case StepAction::Watch:
    case StepAction::StopTraffic: break;
    case StepAction::Pause: o.insert(QStringLiteral("durationMs"), step.durationMs); break;
    case StepAction::Traffic: {
        const TrafficProfile& t = step.traffic;
        QJsonObject traffic{
            {QStringLiteral("connections"), t.connections}, {QStringLiteral("ratePerSecond"), t.ratePerSecond},
            {QStringLiteral("durationMs"), t.durationMs},   {QStringLiteral("maxRequests"), double(t.maxRequests)},
            {QStringLiteral("method"), text(t.method)},     {QStringLiteral("path"), text(t.path)}};
        if (!t.body.isEmpty())
            traffic.insert(QStringLiteral("body"), text(t.body));
        if (t.users.enabled())
            traffic.insert(QStringLiteral("users"), usersProfileToJson(t.users));
        o.insert(QStringLiteral("traffic"), traffic);
        break;
    }
    case StepAction::Request: {
        QJsonObject request{{QStringLiteral("method"), text(step.traffic.method)},
                            {QStringLiteral("path"), text(step.traffic.path)}};
        if (!step.traffic.body.isEmpty())
            request.insert(QStringLiteral("body"), text(step.traffic.body));
        o.insert(QStringLiteral("request"), request);
        break;
    }
    case StepAction::Faults:
        o.insert(QStringLiteral("backend"), step.backend);
        o.insert(QStringLiteral("faults"), faultsJson(step.faults));
        break;
    case StepAction::Stop:
    case StepAction::Start:
    case StepAction::Undrain:
    case StepAction::Remove: o.insert(QStringLiteral("backend"), step.backend); break;
    case StepAction::Drain:
        o.insert(QStringLiteral("backend"), step.backend);
        if (step.durationMs > 0)
            o.insert(QStringLiteral("durationMs"), step.durationMs);
        break;
    case StepAction::Add: o.insert(QStringLiteral("as"), step.backend); break;
    case StepAction::Weight:
        o.insert(QStringLiteral("backend"), step.backend);
        o.insert(QStringLiteral("weight"), step.weight);
        break;
    case StepAction::Algorithm: o.insert(QStringLiteral("algorithm"), step.algorithm); break;
    case StepAction::Health:
        c.health = step.health;
        o.insert(QStringLiteral("health"), sectionJson(c, "health"));
        break;
    case StepAction::Retry:
        c.retry = step.retry;
        o.insert(QStringLiteral("retry"), sectionJson(c, "retry"));
        break;
    case StepAction::RateLimit:
        c.rateLimit = step.rateLimit;
        o.insert(QStringLiteral("rateLimit"), sectionJson(c, "rateLimit"));
        break;
    case StepAction::StepMode: o.insert(QStringLiteral("scope"), teach::stepScopeName(step.stepScope)); break;
    case StepAction::Step:
        o.insert(QStringLiteral("count"), step.count);
        o.insert(QStringLiteral("intervalMs"), step.intervalMs);
        break;
    }
    return o;
}

QByteArray ScenarioRecorder::scenarioJson() const
{
    QJsonArray steps;
    for (const ScenarioStep& s : m_steps)
        steps.append(stepToJson(s));
    const QJsonObject o{
        {QStringLiteral("title"),
         tr("Recorded %1").arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")))},
        {QStringLiteral("summary"), tr("Steps recorded in the window: %1.").arg(m_steps.size() - 1)},
        {QStringLiteral("lab"), configJson(m_startLab)},
        {QStringLiteral("steps"), steps}};
    return QJsonDocument(o).toJson(QJsonDocument::Indented);
}

bool ScenarioRecorder::save(const QString& fileName, QString* error) const
{
    QSaveFile f(fileName);
    if (!f.open(QIODevice::WriteOnly) || f.write(scenarioJson()) < 0 || !f.commit()) {
        if (error)
            *error = tr("%1: cannot write the scenario (%2)").arg(fileName, f.errorString());
        return false;
    }
    return true;
}

} // namespace lab
