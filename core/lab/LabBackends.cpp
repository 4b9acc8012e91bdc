#include "LabBackends.h"

#include "backend/BackendPool.h"
#include "fakebackend/FakeBackend.h"
#include "metrics/EventLog.h"

#include <QLoggingCategory>
#include <QTcpServer>

Q_LOGGING_CATEGORY(lcLab, "lab.lab")

namespace lab {

LabBackends::LabBackends(std::shared_ptr<EventLog> events, QObject* parent)
    : QObject(parent)
    , m_events(std::move(events))
{
}

LabBackends::~LabBackends()
{
    stopAll();
}

void LabBackends::rebuild(const QList<BackendConfig>& configs, std::shared_ptr<BackendPool> pool)
{
    stopAll();
    m_records.clear();
    m_pool = std::move(pool);
    m_records.reserve(size_t(configs.size()));
    for (const BackendConfig& c : configs) {
        Record r;
        r.id = BackendId{m_nextId++};
        r.config = c;
        if (c.embedded)
            r.embedded = std::make_unique<FakeBackend>(c.name, QHostAddress(c.host), quint16(c.port), c.faults);
        m_records.push_back(std::move(r));
        Record& added = m_records.back();
        watch(added);
        if (!c.embedded || c.port != 0)
            registerInPool(added, nullptr);
    }
}

void LabBackends::watch(Record& r)
{
    if (!r.embedded)
        return;
    const BackendId id = r.id;
    connect(r.embedded.get(), &FakeBackend::listeningChanged, this, [this, id] { Q_EMIT listeningChanged(id); });
}

void LabBackends::ids(QList<BackendId>& into) const
{
    into.clear();
    into.reserve(qsizetype(m_records.size()));
    for (const Record& r : m_records)
        into << r.id;
}

QList<BackendId> LabBackends::ids() const
{
    QList<BackendId> out;
    ids(out);
    return out;
}

QList<BackendConfig> LabBackends::configs() const
{
    QList<BackendConfig> configs;
    configs.reserve(qsizetype(m_records.size()));
    for (const Record& r : m_records)
        configs << r.config;
    return configs;
}

const LabBackends::Record* LabBackends::find(BackendId id) const
{
    for (const Record& r : m_records) {
        if (r.id == id)
            return &r;
    }
    return nullptr;
}

LabBackends::Record* LabBackends::find(BackendId id)
{
    return const_cast<Record*>(std::as_const(*this).find(id));
}

BackendId LabBackends::idOf(const QString& name) const
{
    for (const Record& r : m_records) {
        if (r.config.name == name)
            return r.id;
    }
    return {};
}

int LabBackends::positionOf(BackendId id) const
{
    for (size_t i = 0; i < m_records.size(); ++i) {
        if (m_records[i].id == id)
            return int(i);
    }
    return -1;
}

QString LabBackends::uniqueName(const QString& base) const
{
    QString name = base;
    for (int n = 2; idOf(name).isValid(); ++n)
        name = QStringLiteral("%1-%2").arg(base).arg(n);
    return name;
}

int LabBackends::nextEmbeddedPort(int base) const
{
    if (base <= 0)
        return 0;
    int port = base;
    for (const Record& r : m_records) {
        if (r.config.embedded && r.config.port >= port)
            port = r.config.port + 1;
    }
    for (int tries = 0; tries < 100 && port <= 65535; ++tries, ++port) {
        QTcpServer probe;
        if (probe.listen(QHostAddress::LocalHost, quint16(port)))
            break;
    }
    return port;
}

bool LabBackends::registerInPool(Record& r, QString* error)
{
    if (r.pooled)
        return true;
    BackendPtr b = m_pool->add(r.config, error);
    if (!b)
        return false;
    r.pooled = std::move(b);
    Q_EMIT joinedPool(r.id);
    return true;
}

bool LabBackends::start(BackendId id, QString* error)
{
    Record* r = find(id);
    FakeBackend* b = r ? r->embedded.get() : nullptr;
    if (!b)
        return false;
    QString why;
    if (!b->start(&why)) {
        const QString text = QStringLiteral("%1: %2").arg(b->name(), why);
        if (error)
            *error = text;
        m_events->append(LabEvent::Kind::Backend, text);
        return false;
    }
    // A backend configured on port 0 keeps the port it was given, so the proxy can reach it.
    r->config.port = b->port();
    if (!registerInPool(*r, &why)) {
        if (error)
            *error = why;
        m_events->append(LabEvent::Kind::Backend, why);
    }
    qCInfo(lcLab, "%s listening on %s:%u", qPrintable(b->name()), qPrintable(b->address().toString()), b->port());
    m_events->append(LabEvent::Kind::Backend,
                     QStringLiteral("%1 started on %2:%3").arg(b->name(), b->address().toString()).arg(b->port()));
    return true;
}

bool LabBackends::stop(BackendId id)
{
    Record* r = find(id);
    FakeBackend* b = r ? r->embedded.get() : nullptr;
    if (!b || !b->isStarted())
        return false;
    b->stop();
    m_events->append(
        LabEvent::Kind::Backend,
        QStringLiteral("%1 stopped (connections to port %2 are now refused)").arg(b->name()).arg(b->port()));
    return true;
}

QStringList LabBackends::setFaults(BackendId id, const FaultProfile& faults)
{
    Record* r = find(id);
    if (!r || !r->embedded || r->config.faults == faults)
        return {};
    // One clause per knob that changed; a new knob adds its line here.
    QStringList changes;
    const FaultProfile& o = r->config.faults;
    if (o.latencyMs != faults.latencyMs)
        changes << tr("latency %1 ms").arg(faults.latencyMs);
    if (o.jitterMs != faults.jitterMs)
        changes << tr("jitter %1 ms").arg(faults.jitterMs);
    if (o.errorRatePercent != faults.errorRatePercent)
        changes << tr("error rate %1%").arg(faults.errorRatePercent);
    if (o.healthFails != faults.healthFails)
        changes << (faults.healthFails ? tr("/health fails") : tr("/health passes"));
    if (o.onlyPaths != faults.onlyPaths)
        changes << (faults.onlyPaths.isEmpty() ? tr("serves every path")
                                               : tr("only serves %1").arg(faults.onlyPaths.join(QStringLiteral(", "))));
    if (o.capacity != faults.capacity)
        changes << (faults.capacity ? tr("capacity %1").arg(faults.capacity) : tr("unlimited capacity"));
    if (o.workers != faults.workers || o.queue != faults.queue)
        changes << (faults.workers ? tr("workers %1, queue %2").arg(faults.workers).arg(faults.queue)
                                   : tr("unlimited workers"));
    if (o.serviceMs != faults.serviceMs || o.serviceDist != faults.serviceDist)
        changes << tr("service %1 ms (%2)").arg(faults.serviceMs).arg(faults.serviceDist);
    if (o.hang != faults.hang)
        changes << (faults.hang ? tr("hangs (never answers)") : tr("answers again"));
    if (o.refuse != faults.refuse)
        changes << (faults.refuse ? tr("refuses connections") : tr("accepts connections again"));
    if (changes.isEmpty()) // a knob no clause names yet changed: still say something
        changes << tr("changed");
    r->config.faults = faults;
    r->embedded->setFaults(faults);
    return changes;
}

void LabBackends::stopAll()
{
    for (Record& r : m_records) {
        if (r.embedded && r.embedded->isStarted())
            r.embedded->stop();
    }
}

BackendId LabBackends::append(const BackendConfig& config, std::unique_ptr<FakeBackend> embedded, QString* error)
{
    Record r;
    r.id = BackendId{m_nextId};
    r.config = config;
    r.embedded = std::move(embedded);
    // The pool is asked first: when it refuses (full, or the name is taken) nothing was added.
    if (!registerInPool(r, error))
        return {};
    ++m_nextId;
    m_records.push_back(std::move(r));
    watch(m_records.back());
    return m_records.back().id;
}

bool LabBackends::remove(BackendId id)
{
    const int at = positionOf(id);
    if (at < 0)
        return false;
    Record& r = m_records[size_t(at)];
    m_pool->remove(r.config.name);
    if (r.embedded && r.embedded->isStarted())
        r.embedded->stop();
    m_records.erase(m_records.begin() + at);
    return true;
}

} // namespace lab
