#include "FakeBackend.h"

#include "FakeBackendServer.h"

#include <QThread>

namespace lab {

FakeBackend::FakeBackend(QString name, QHostAddress address, quint16 port, FaultProfile faults, QObject* parent)
    : QObject(parent)
    , m_name(std::move(name))
    , m_address(std::move(address))
    , m_port(port)
    , m_faults(std::move(faults))
    , m_thread(new QThread)
{
    m_thread->setObjectName(QStringLiteral("backend ") + m_name);
    m_server = new FakeBackendServer(this);
    m_server->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_server, &QObject::deleteLater);
    m_thread->start();
}

FakeBackend::~FakeBackend()
{
    stop();
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
}

namespace {
// Runs fn on obj's thread and waits for it.
template <typename Fn> void runOn(QObject* obj, Fn&& fn)
{
    if (obj->thread() == QThread::currentThread())
        fn();
    else
        QMetaObject::invokeMethod(obj, std::forward<Fn>(fn), Qt::BlockingQueuedConnection);
}
} // namespace

bool FakeBackend::listenOnThread(QString* error)
{
    if (m_server->isListening())
        return true;
    if (!m_server->listen(m_address, m_port.load())) {
        if (error)
            *error = QStringLiteral("cannot listen on %1 port %2: %3")
                         .arg(m_address.toString())
                         .arg(m_port.load())
                         .arg(m_server->errorString());
        return false;
    }
    m_port = m_server->serverPort();
    return true;
}

void FakeBackend::closeOnThread()
{
    m_server->close();
    m_server->closeConnections();
}

bool FakeBackend::start(QString* error)
{
    const bool refuse = faults().refuse;
    bool ok = true;
    runOn(m_server, [&] { ok = refuse || listenOnThread(error); });
    if (!ok)
        return false;
    m_started = true;
    // With the refuse fault on, "started" means ready to listen as soon as the fault is lifted.
    if (!refuse && !m_listening.exchange(true))
        Q_EMIT listeningChanged(true);
    return true;
}

void FakeBackend::stop()
{
    m_started = false;
    runOn(m_server, [this] { closeOnThread(); });
    if (m_listening.exchange(false))
        Q_EMIT listeningChanged(false);
}

FaultProfile FakeBackend::faults() const
{
    QMutexLocker lock(&m_faultsMutex);
    return m_faults;
}

void FakeBackend::setFaults(const FaultProfile& faults)
{
    bool refuseChanged = false;
    bool workersChanged = false;
    {
        QMutexLocker lock(&m_faultsMutex);
        refuseChanged = m_faults.refuse != faults.refuse;
        workersChanged = m_faults.workers != faults.workers;
        m_faults = faults;
    }
    // More workers serve waiting requests now, not when the next request ends.
    if (workersChanged)
        QMetaObject::invokeMethod(
            m_server, [this] { m_service.fill(this->faults().workers); }, Qt::QueuedConnection);
    if (!refuseChanged || !m_started)
        return;
    if (faults.refuse) {
        runOn(m_server, [this] { closeOnThread(); });
        if (m_listening.exchange(false))
            Q_EMIT listeningChanged(false);
    } else {
        bool ok = false;
        runOn(m_server, [&] { ok = listenOnThread(nullptr); });
        if (ok && !m_listening.exchange(true))
            Q_EMIT listeningChanged(true);
    }
}

} // namespace lab
