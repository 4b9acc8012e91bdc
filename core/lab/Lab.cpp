#include "Lab.h"

#include "backend/BackendPool.h"
#include "backends/FakeBackend.h"
#include "proxy/Proxy.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcLab, "lab.lab")

namespace lab {

Lab::Lab(LabConfig config, QObject* parent)
    : QObject(parent)
    , m_config(std::move(config))
{
    m_embedded.resize(size_t(m_config.backends.size()));
    for (qsizetype i = 0; i < m_config.backends.size(); ++i) {
        BackendConfig& b = m_config.backends[i];
        if (!b.embedded)
            continue;
        auto backend = std::make_unique<FakeBackend>(b.name, QHostAddress(b.host), quint16(b.port), b.faults);
        connect(backend.get(), &FakeBackend::listeningChanged, this, [this, i] { Q_EMIT backendStateChanged(int(i)); });
        m_embedded[size_t(i)] = std::move(backend);
    }
}

Lab::~Lab()
{
    stopProxies(0);
    m_proxies.clear();
    stopAll();
}

bool Lab::startProxies(QString* error)
{
    if (!m_pool)
        m_pool = std::make_shared<BackendPool>(m_config.backends, m_config.algorithm);
    for (const ListenerConfig& l : m_config.listeners) {
        if (l.kind != ListenerKind::Http)
            continue; // the TCP relay is a listener kind of its own (not part of this build yet)
        auto proxy = std::make_unique<Proxy>(ProxySettings::fromConfig(m_config, l), m_pool);
        QString why;
        if (!proxy->start(&why)) {
            const QString text = QStringLiteral("listener %1: %2").arg(l.name, why);
            if (error)
                *error = text;
            Q_EMIT eventLogged(text);
            stopProxies(0);
            return false;
        }
        Q_EMIT eventLogged(QStringLiteral("proxy %1 listening on http://%2:%3 (%4, %5 workers)")
                               .arg(l.name, l.address)
                               .arg(proxy->port())
                               .arg(m_config.algorithm)
                               .arg(proxy->settings().workers));
        m_proxies.push_back(std::move(proxy));
    }
    return true;
}

void Lab::stopProxies(int timeoutMs)
{
    for (auto& p : m_proxies) {
        if (p->isListening())
            p->stop(timeoutMs);
    }
}

bool Lab::startEmbeddedBackends(QString* error)
{
    for (int i = 0; i < backendCount(); ++i) {
        if (m_embedded[size_t(i)] && !startBackend(i, error)) {
            stopAll();
            return false;
        }
    }
    return true;
}

void Lab::stopAll()
{
    for (auto& b : m_embedded) {
        if (b && b->isStarted())
            b->stop();
    }
}

bool Lab::startBackend(int index, QString* error)
{
    FakeBackend* b = embeddedBackend(index);
    if (!b)
        return false;
    QString why;
    if (!b->start(&why)) {
        const QString text = QStringLiteral("%1: %2").arg(b->name(), why);
        if (error)
            *error = text;
        Q_EMIT eventLogged(text);
        return false;
    }
    // A backend configured on port 0 keeps the port it was given, so the proxy can reach it.
    m_config.backends[index].port = b->port();
    qCInfo(lcLab, "%s listening on %s:%u", qPrintable(b->name()), qPrintable(b->address().toString()), b->port());
    Q_EMIT eventLogged(QStringLiteral("%1 started on %2:%3").arg(b->name(), b->address().toString()).arg(b->port()));
    Q_EMIT backendStateChanged(index);
    return true;
}

void Lab::stopBackend(int index)
{
    FakeBackend* b = embeddedBackend(index);
    if (!b || !b->isStarted())
        return;
    b->stop();
    Q_EMIT eventLogged(QStringLiteral("%1 stopped (connections to port %2 are now refused)").arg(b->name()).arg(b->port()));
    Q_EMIT backendStateChanged(index);
}

} // namespace lab
