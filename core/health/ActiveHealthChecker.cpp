#include "ActiveHealthChecker.h"

#include "HealthState.h"
#include "backend/BackendPool.h"
#include "http/HttpParser.h"
#include "metrics/EventLog.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>

namespace lab {

// One backend's probe loop, on the checker's thread.
class Probe final : public QObject, private http::HttpParserHandler {
public:
    Probe(QObject* parent, ActiveHealthChecker* owner, BackendPool* pool, EventLog* events, BackendPtr backend,
          HealthConfig config)
        : QObject(parent)
        , m_owner(owner)
        , m_pool(pool)
        , m_events(events)
        , m_backend(std::move(backend))
        , m_config(std::move(config))
        , m_state(m_config.rise, m_config.fall, true)
        , m_next(new QTimer(this))
        , m_timeout(new QTimer(this))
        , m_parser(http::HttpParser::Kind::Response, this)
    {
        m_next->setSingleShot(true);
        m_timeout->setSingleShot(true);
        connect(m_next, &QTimer::timeout, this, &Probe::probe);
        connect(m_timeout, &QTimer::timeout, this,
                [this] { finish(false, QStringLiteral("no answer within %1 ms").arg(m_config.timeoutMs)); });
        m_status.name = m_backend->name;
        // The first probe right away (a little jitter, so a lab's probes do not go out in lockstep).
        m_next->start(int(QRandomGenerator::global()->bounded(qMax(1, qMin(100, m_config.intervalMs / 4)))));
        publish();
    }

    void setConfig(const HealthConfig& config)
    {
        const bool wasEnabled = m_config.enabled;
        m_config = config;
        if (config.rise != m_state.rise() || config.fall != m_state.fall())
            m_state.setThresholds(config.rise, config.fall);
        if (!config.enabled && wasEnabled && !m_backend->healthy.load()) {
            // Checks switched off: nobody is left to bring it back, so it counts as healthy again.
            m_backend->healthy.store(true);
            m_state = HealthState(config.rise, config.fall, true);
        }
        if (!config.enabled && m_inFlight) {
            // A probe sent before the checks were switched off has no say any more: its verdict could
            // otherwise mark the backend down with nothing left to bring it back.
            dropProbe();
        }
        if (!m_inFlight)
            m_next->start(qMin(m_next->remainingTime() < 0 ? 0 : m_next->remainingTime(), nextDelay()));
        publish();
    }

private:
    int nextDelay() const
    {
        // ±10% so probes drift apart instead of synchronising.
        const int spread = qMax(1, m_config.intervalMs / 10);
        return qMax(10, m_config.intervalMs - spread + int(QRandomGenerator::global()->bounded(2 * spread + 1)));
    }

    void probe()
    {
        if (!m_config.enabled) {
            m_next->start(m_config.intervalMs);
            return;
        }
        m_inFlight = true;
        m_httpStatus = 0;
        m_body.clear();
        m_complete = false;
        m_parser.reset();
        m_clock.start();
        m_socket = new QTcpSocket(this);
        connect(m_socket, &QTcpSocket::connected, this, [this] {
            if (m_config.type == QLatin1String("tcp")) {
                finish(true, QStringLiteral("connected in %1 ms").arg(elapsedMs(), 0, 'f', 1));
                return;
            }
            m_socket->write("GET " + m_config.path.toUtf8() + " HTTP/1.1\r\nHost: " + m_backend->hostHeader +
                            "\r\nUser-Agent: balancer-lab-health\r\nConnection: close\r\n\r\n");
        });
        connect(m_socket, &QTcpSocket::readyRead, this, &Probe::onReadyRead);
        connect(m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
            if (e == QAbstractSocket::RemoteHostClosedError) {
                onReadyRead();
                if (!m_inFlight)
                    return;
                if (m_parser.finish() && m_complete) {
                    evaluate();
                    return;
                }
                finish(false, QStringLiteral("connection closed before a complete response"));
                return;
            }
            finish(false,
                   e == QAbstractSocket::ConnectionRefusedError ? QStringLiteral("connection refused")
                                                                : m_socket->errorString());
        });
        m_timeout->start(m_config.timeoutMs);
        m_socket->connectToHost(m_backend->host, m_backend->port);
    }

    double elapsedMs() const { return double(m_clock.nsecsElapsed()) / 1e6; }

    void onReadyRead()
    {
        if (!m_socket || !m_inFlight)
            return;
        const QByteArray data = m_socket->readAll();
        qsizetype pos = 0;
        while (pos < data.size() && m_inFlight && !m_complete) {
            const qsizetype n = m_parser.feed(QByteArrayView(data).sliced(pos));
            if (n < 0) {
                finish(false,
                       QStringLiteral("malformed response: %1").arg(QString::fromLatin1(m_parser.error().reason)));
                return;
            }
            pos += n;
        }
        if (m_complete && m_inFlight)
            evaluate();
    }

    bool onHead(http::HttpHead& head) override
    {
        if (head.statusCode >= 200)
            m_httpStatus = head.statusCode;
        return true;
    }
    void onBody(QByteArrayView data) override
    {
        if (m_body.size() < 64 * 1024)
            m_body.append(data.first(qMin<qsizetype>(data.size(), 64 * 1024 - m_body.size())));
    }
    void onMessageComplete() override
    {
        if (m_httpStatus != 0)
            m_complete = true;
    }

    void evaluate()
    {
        const int s = m_httpStatus;
        if (s < m_config.expectStatusMin || s > m_config.expectStatusMax) {
            finish(false,
                   QStringLiteral("status %1 (expected %2-%3)")
                       .arg(s)
                       .arg(m_config.expectStatusMin)
                       .arg(m_config.expectStatusMax));
            return;
        }
        if (!m_config.expectBody.isEmpty() && !m_body.contains(m_config.expectBody.toUtf8())) {
            finish(false, QStringLiteral("status %1 but the body lacks \"%2\"").arg(s).arg(m_config.expectBody));
            return;
        }
        finish(true, QStringLiteral("%1 in %2 ms").arg(s).arg(elapsedMs(), 0, 'f', 1));
    }

    // Ends the probe in flight without a verdict.
    void dropProbe()
    {
        m_inFlight = false;
        m_timeout->stop();
        if (m_socket) {
            m_socket->disconnect(this);
            m_socket->abort();
            m_socket->deleteLater();
            m_socket = nullptr;
        }
    }

    void finish(bool passed, const QString& detail)
    {
        if (!m_inFlight)
            return;
        dropProbe();
        const qint64 now = m_pool->now();
        const bool flipped = m_state.record(passed);
        m_backend->mark(passed ? HealthMark::Kind::ProbePassed : HealthMark::Kind::ProbeFailed, now);
        ++m_status.probes;
        m_status.lastDetail = detail;
        m_status.lastPassed = passed;
        m_status.lastProbeMs = now;
        if (flipped) {
            const bool up = m_state.isUp();
            m_backend->healthy.store(up);
            m_backend->mark(up ? HealthMark::Kind::Up : HealthMark::Kind::Down, now);
            const QString text = up ? QStringLiteral("%1 UP: %2 consecutive probes passed (%3)")
                                          .arg(m_backend->name)
                                          .arg(m_state.rise())
                                          .arg(detail)
                                    : QStringLiteral("%1 DOWN: %2 consecutive probe failures: %3")
                                          .arg(m_backend->name)
                                          .arg(m_state.fall())
                                          .arg(detail);
            m_events->append(LabEvent::Kind::Health, text, EventLog::Priority::StateChange);
            if (up) {
                // The probes have fresh evidence that it works: that outweighs an ejection, so a restarted
                // backend is back within rise x interval.
                m_pool->probesPassed(*m_backend, now);
            }
        }
        publish();
        m_next->start(nextDelay());
    }

    void publish()
    {
        m_status.checking = m_config.enabled;
        m_status.up = m_state.isUp();
        m_status.rise = m_state.rise();
        m_status.fall = m_state.fall();
        m_status.passesInARow = m_state.passesInARow();
        m_status.failuresInARow = m_state.failuresInARow();
        m_status.config = m_config;
        m_owner->publish(m_status);
    }

    ActiveHealthChecker* m_owner;
    BackendPool* m_pool;
    EventLog* m_events;
    BackendPtr m_backend;
    HealthConfig m_config;
    HealthState m_state;
    QTimer* m_next;
    QTimer* m_timeout;
    http::HttpParser m_parser;
    QTcpSocket* m_socket = nullptr;
    QElapsedTimer m_clock;
    int m_httpStatus = 0;
    QByteArray m_body;
    bool m_complete = false;
    bool m_inFlight = false;
    ActiveHealthChecker::Status m_status;
};

// The checker's thread-side half: the probes and the pool's housekeeping timer.
class HealthWorker final : public QObject {
public:
    HealthWorker(ActiveHealthChecker* owner, std::shared_ptr<BackendPool> pool, std::shared_ptr<EventLog> events)
        : m_owner(owner)
        , m_pool(std::move(pool))
        , m_events(std::move(events))
        , m_housekeeping(new QTimer(this))
    {
        connect(m_housekeeping, &QTimer::timeout, this, [this] { m_pool->housekeeping(m_pool->now()); });
        m_housekeeping->start(100);
    }

    void setDefaults(const HealthConfig& c)
    {
        m_defaults = c;
        for (auto it = m_probes.begin(); it != m_probes.end(); ++it) {
            if (!m_own.contains(it.key()))
                it.value()->setConfig(c);
        }
    }

    void setBackendConfig(const QString& name, const std::optional<HealthConfig>& c)
    {
        if (c)
            m_own.insert(name, *c);
        else
            m_own.remove(name);
        if (Probe* p = m_probes.value(name))
            p->setConfig(m_own.value(name, m_defaults));
    }

    void sync()
    {
        const std::vector<BackendPtr> all = m_pool->backends();
        QSet<QString> names;
        for (const BackendPtr& b : all) {
            names.insert(b->name);
            if (!m_probes.contains(b->name))
                m_probes.insert(
                    b->name,
                    new Probe(this, m_owner, m_pool.get(), m_events.get(), b, m_own.value(b->name, m_defaults)));
        }
        for (auto it = m_probes.begin(); it != m_probes.end();) {
            if (!names.contains(it.key())) {
                m_owner->forget(it.key());
                delete it.value();
                it = m_probes.erase(it);
            } else {
                ++it;
            }
        }
    }

private:
    ActiveHealthChecker* m_owner;
    std::shared_ptr<BackendPool> m_pool;
    std::shared_ptr<EventLog> m_events;
    QTimer* m_housekeeping;
    HealthConfig m_defaults;
    QHash<QString, HealthConfig> m_own;
    QHash<QString, Probe*> m_probes;
};

ActiveHealthChecker::ActiveHealthChecker(std::shared_ptr<BackendPool> pool, std::shared_ptr<EventLog> events,
                                         QObject* parent)
    : QObject(parent)
    , m_thread(new QThread)
{
    m_thread->setObjectName(QStringLiteral("health checks"));
    m_worker = new HealthWorker(this, std::move(pool), std::move(events));
    m_worker->moveToThread(m_thread);
    m_thread->start();
}

ActiveHealthChecker::~ActiveHealthChecker()
{
    HealthWorker* w = m_worker;
    QMetaObject::invokeMethod(
        w, [w] { delete w; }, Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
}

void ActiveHealthChecker::setDefaults(const HealthConfig& config)
{
    HealthWorker* w = m_worker;
    QMetaObject::invokeMethod(
        w, [w, config] { w->setDefaults(config); }, Qt::BlockingQueuedConnection);
}

void ActiveHealthChecker::setBackendConfig(const QString& name, const std::optional<HealthConfig>& config)
{
    HealthWorker* w = m_worker;
    QMetaObject::invokeMethod(
        w, [w, name, config] { w->setBackendConfig(name, config); }, Qt::BlockingQueuedConnection);
}

void ActiveHealthChecker::sync()
{
    HealthWorker* w = m_worker;
    QMetaObject::invokeMethod(
        w, [w] { w->sync(); }, Qt::BlockingQueuedConnection);
}

void ActiveHealthChecker::publish(const Status& s)
{
    QMutexLocker lock(&m_mutex);
    m_status.insert(s.name, s);
}

void ActiveHealthChecker::forget(const QString& name)
{
    QMutexLocker lock(&m_mutex);
    m_status.remove(name);
}

QList<ActiveHealthChecker::Status> ActiveHealthChecker::status() const
{
    QMutexLocker lock(&m_mutex);
    return m_status.values();
}

std::optional<ActiveHealthChecker::Status> ActiveHealthChecker::status(const QString& name) const
{
    QMutexLocker lock(&m_mutex);
    const auto it = m_status.constFind(name);
    if (it == m_status.cend())
        return std::nullopt;
    return *it;
}

} // namespace lab
