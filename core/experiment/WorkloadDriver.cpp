#include "WorkloadDriver.h"

#include "fakebackend/FaultProfile.h"
#include "http/HttpParser.h"
#include "loadgen/UserTraffic.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <cmath>
#include <deque>

namespace lab {

// One keep-alive connection of one user, with at most one request in flight.
class DriverConnection final : public QObject, private http::HttpParserHandler {
public:
    DriverConnection(DriverRun* run, int user);
    int user() const { return m_user; }
    bool idle() const { return m_connected && m_request < 0; }
    bool busy() const { return m_request >= 0; }
    // Sends request `index` now (or as soon as the connection is up).
    void send(qsizetype index);
    void close(); // aborts; the owner deletes it

private:
    bool onHead(http::HttpHead& head) override;
    void onBody(QByteArrayView data) override;
    void onMessageComplete() override;
    void write();
    void onReadyRead();
    void fail(RequestOutcome::Failure failure);

    DriverRun* m_run;
    const int m_user;
    QTcpSocket* m_socket;
    QTimer* m_timeout;
    http::HttpParser m_parser;
    qsizetype m_request = -1; // index of the request in flight
    RequestOutcome m_outcome;
    QByteArray m_body;
    bool m_connected = false;
    bool m_keepAlive = true;
    bool m_complete = false;
};

// One run, on the driver's thread.
class DriverRun final : public QObject {
public:
    DriverRun(WorkloadDriver* owner, std::vector<PlannedRequest> plan, WorkloadDriver::Options options)
        : m_owner(owner)
        , m_plan(std::move(plan))
        , m_options(std::move(options))
        , m_tick(new QTimer(this))
        , m_deadline(new QTimer(this))
    {
        m_outcomes.resize(m_plan.size());
        m_tick->setSingleShot(true);
        m_tick->setTimerType(Qt::PreciseTimer); // a coarse timer may fire 5% late: arrivals would clump
        connect(m_tick, &QTimer::timeout, this, &DriverRun::dispatchDue);
        m_deadline->setSingleShot(true);
        connect(m_deadline, &QTimer::timeout, this, [this] {
            giveUpRest();
            end();
        });
    }

    void begin()
    {
        // The first connections are opened before the clock starts, so the first arrivals do not pay for
        // connection setup; each user gets one (the single client a few, for the first overlaps).
        const int users = m_options.users >= 2 ? m_options.users : 1;
        const int each = m_options.users >= 2 ? 1 : 8;
        for (int u = 0; u < users; ++u) {
            for (int i = 0; i < each; ++i)
                m_connections.push_back(new DriverConnection(this, u));
        }
        QTimer::singleShot(WorkloadDriver::kWarmUpMs, this, [this] { startClock(); });
    }

    void connectionUp()
    {
        if (m_clockStarted)
            return;
        for (DriverConnection* c : m_connections) {
            if (!c->idle())
                return;
        }
        startClock();
    }

    const WorkloadDriver::Options& options() const { return m_options; }
    const PlannedRequest& planned(qsizetype i) const { return m_plan[size_t(i)]; }
    double nowMs() const { return double(m_clock.nsecsElapsed()) / 1e6; }
    int backendIndex(const QString& name)
    {
        if (name.isEmpty())
            return -1;
        qsizetype i = m_backendNames.indexOf(name);
        if (i < 0) {
            m_backendNames << name;
            i = m_backendNames.size() - 1;
        }
        return int(i);
    }

    void sentOne() { m_owner->m_sent.store(m_owner->m_sent.load() + 1, std::memory_order_relaxed); }

    // A request's end, answered or not. The connection is idle again when `reusable`, else gone.
    void requestDone(DriverConnection* c, qsizetype index, const RequestOutcome& outcome, bool reusable)
    {
        m_outcomes[size_t(index)] = outcome;
        m_lastEndMs = nowMs();
        --m_inFlight;
        m_owner->m_finished.store(m_owner->m_finished.load() + 1, std::memory_order_relaxed);
        if (!reusable)
            drop(c);
        else if (!m_backlog.empty())
            serveBacklog(c);
        maybeDone();
    }

    void connectionLost(DriverConnection* c) { drop(c); }

    void end()
    {
        if (m_ended)
            return;
        m_ended = true;
        m_tick->stop();
        m_deadline->stop();
        for (DriverConnection* c : m_connections) {
            c->close();
            c->deleteLater();
        }
        m_connections.clear();
        m_owner->m_outcomes = std::move(m_outcomes);
        m_owner->m_backendNames = m_backendNames;
        m_owner->m_elapsedMs = m_clockStarted ? qMax(m_lastEndMs, nowMs()) : 0;
        m_owner->m_running = false;
        Q_EMIT m_owner->done();
    }

    // Marks every request without an outcome as given up (the run was stopped, or its deadline passed):
    // still in flight, waiting for a connection, or never sent.
    void giveUpRest()
    {
        for (size_t i = 0; i < m_outcomes.size(); ++i) {
            RequestOutcome& o = m_outcomes[i];
            if (o.failure == RequestOutcome::Failure::None && o.status == 0) {
                o.failure = RequestOutcome::Failure::Timeout;
                o.latencyMs = m_clockStarted ? qMax(0.0, nowMs() - m_plan[i].atMs) : 0;
            }
        }
    }

private:
    void startClock()
    {
        if (m_clockStarted || m_ended)
            return;
        m_clockStarted = true;
        m_clock.start();
        Q_EMIT m_owner->started();
        if (m_plan.empty()) {
            maybeDone();
            return;
        }
        // However the run goes, it ends: the last arrival plus the time each request may take, plus a second.
        m_deadline->start(int(std::ceil(m_plan.back().atMs)) + m_options.requestTimeoutMs + 1000);
        dispatchDue();
    }

    void dispatchDue()
    {
        const double now = nowMs();
        while (m_next < m_plan.size() && m_plan[m_next].atMs <= now)
            dispatch(qsizetype(m_next++));
        if (m_next < m_plan.size())
            m_tick->start(qMax(0, int(std::ceil(m_plan[m_next].atMs - nowMs()))));
        maybeDone();
    }

    void dispatch(qsizetype index)
    {
        ++m_inFlight;
        const int user = m_options.users >= 2 ? m_plan[size_t(index)].user : 0;
        for (DriverConnection* c : m_connections) {
            if (c->user() == user && c->idle()) {
                c->send(index);
                return;
            }
        }
        if (int(m_connections.size()) < WorkloadDriver::kMaxConnections) {
            auto* c = new DriverConnection(this, user);
            m_connections.push_back(c);
            c->send(index);
            return;
        }
        m_backlog.push_back(index);
    }

    // A connection came free while requests wait for one: the oldest goes on it (or on a new connection
    // of its own user, in place of this one).
    void serveBacklog(DriverConnection* c)
    {
        const qsizetype index = m_backlog.front();
        m_backlog.pop_front();
        const int user = m_options.users >= 2 ? m_plan[size_t(index)].user : 0;
        if (c->user() == user) {
            c->send(index);
            return;
        }
        drop(c);
        auto* fresh = new DriverConnection(this, user);
        m_connections.push_back(fresh);
        fresh->send(index);
    }

    void drop(DriverConnection* c)
    {
        const auto it = std::find(m_connections.begin(), m_connections.end(), c);
        if (it == m_connections.end())
            return;
        m_connections.erase(it);
        c->close();
        c->deleteLater();
    }

    void maybeDone()
    {
        if (m_clockStarted && !m_ended && m_next >= m_plan.size() && m_inFlight == 0 && m_backlog.empty())
            end();
    }

    WorkloadDriver* m_owner;
    const std::vector<PlannedRequest> m_plan;
    const WorkloadDriver::Options m_options;
    std::vector<RequestOutcome> m_outcomes;
    std::vector<DriverConnection*> m_connections; // children of the run
    std::deque<qsizetype> m_backlog; // requests due while kMaxConnections were busy
    QStringList m_backendNames;
    QTimer* m_tick;
    QTimer* m_deadline;
    QElapsedTimer m_clock;
    size_t m_next = 0;
    qint64 m_inFlight = 0;
    double m_lastEndMs = 0;
    bool m_clockStarted = false;
    bool m_ended = false;
};

DriverConnection::DriverConnection(DriverRun* run, int user)
    : QObject(run)
    , m_run(run)
    , m_user(user)
    , m_socket(new QTcpSocket(this))
    , m_timeout(new QTimer(this))
    , m_parser(http::HttpParser::Kind::Response, this)
{
    m_timeout->setSingleShot(true);
    connect(m_timeout, &QTimer::timeout, this, [this] { fail(RequestOutcome::Failure::Timeout); });
    connect(m_socket, &QTcpSocket::connected, this, [this] {
        m_connected = true;
        m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        if (m_request >= 0)
            write();
        else
            m_run->connectionUp();
    });
    connect(m_socket, &QTcpSocket::readyRead, this, &DriverConnection::onReadyRead);
    connect(m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError) {
        if (m_request >= 0)
            fail(m_connected ? RequestOutcome::Failure::Reset : RequestOutcome::Failure::Connect);
        else
            m_run->connectionLost(this);
    });
    const WorkloadDriver::Options& o = m_run->options();
    if (o.users >= 2 && o.address.isLoopback() && o.address.protocol() == QAbstractSocket::IPv4Protocol)
        m_socket->bind(userAddress(user));
    m_socket->connectToHost(o.address, o.port);
}

void DriverConnection::send(qsizetype index)
{
    m_request = index;
    m_outcome = RequestOutcome{};
    m_body.clear();
    m_complete = false;
    const double now = m_run->nowMs();
    const double timeoutMs = m_run->options().requestTimeoutMs - (now - m_run->planned(index).atMs);
    m_timeout->start(qMax(1, int(std::ceil(timeoutMs))));
    if (m_connected)
        write();
}

void DriverConnection::write()
{
    const PlannedRequest& p = m_run->planned(m_request);
    const WorkloadDriver::Options& o = m_run->options();
    QByteArray request = o.method + ' ' + p.path + " HTTP/1.1\r\nHost: " + o.address.toString().toLatin1() + ':' +
        QByteArray::number(o.port) +
        "\r\nUser-Agent: balancer-lab-experiment\r\nX-Lab-Request: " + QByteArray::number(m_request) + "\r\n";
    if (o.users >= 2)
        request += "X-Lab-User: " + userName(m_user) + "\r\n";
    if (p.costMs >= 0)
        request += QByteArray(FaultProfile::kCostHeader) + ": " + QByteArray::number(p.costMs) + "\r\n";
    request += "\r\n";
    m_parser.reset();
    m_parser.setNextResponseHasNoBody(o.method == "HEAD");
    m_outcome.sendLagMs = qMax(0.0, m_run->nowMs() - p.atMs);
    m_socket->write(request);
    m_run->sentOne();
}

bool DriverConnection::onHead(http::HttpHead& head)
{
    if (head.statusCode < 200)
        return true;
    m_outcome.status = head.statusCode;
    m_outcome.backend = m_run->backendIndex(QString::fromUtf8(head.header("X-Served-By")));
    bool ok = false;
    const double service = head.header("X-Lab-Service-Ms").toDouble(&ok);
    m_outcome.serviceMs = ok ? service : -1;
    const double wait = head.header("X-Lab-Wait-Ms").toDouble(&ok);
    m_outcome.waitMs = ok ? wait : -1;
    m_keepAlive = head.keepAlive;
    return true;
}

void DriverConnection::onBody(QByteArrayView data)
{
    if (m_run->options().echo)
        m_body.append(data);
}

void DriverConnection::onMessageComplete()
{
    if (m_outcome.status != 0)
        m_complete = true;
}

void DriverConnection::onReadyRead()
{
    const QByteArray data = m_socket->readAll();
    if (m_request < 0)
        return; // bytes nobody asked for
    qsizetype pos = 0;
    while (pos < data.size() && !m_complete) {
        const qsizetype n = m_parser.feed(QByteArrayView(data).sliced(pos));
        if (n < 0) {
            fail(RequestOutcome::Failure::Reset);
            return;
        }
        if (n == 0)
            break;
        pos += n;
        if (!m_complete && m_outcome.status == 0 && !m_parser.inMessage())
            m_parser.reset(); // after an interim response (100 Continue) the real one follows
    }
    if (!m_complete)
        return;
    m_timeout->stop();
    const qsizetype index = std::exchange(m_request, -1);
    m_outcome.latencyMs = m_run->nowMs() - m_run->planned(index).atMs;
    if (m_run->options().echo) {
        const QJsonObject echo = QJsonDocument::fromJson(m_body).object();
        const QJsonObject headers = echo.value(QLatin1String("headers")).toObject();
        m_outcome.echoServer = echo.value(QLatin1String("server_id")).toString().toUtf8();
        m_outcome.echoPath = echo.value(QLatin1String("path")).toString().toUtf8();
        m_outcome.echoUser = headers.value(QLatin1String("x-lab-user")).toString().toUtf8();
        m_outcome.echoCost = headers.value(QLatin1String("x-lab-cost-ms")).toString().toUtf8();
    }
    m_run->requestDone(this, index, m_outcome, m_keepAlive);
}

void DriverConnection::fail(RequestOutcome::Failure failure)
{
    m_timeout->stop();
    if (m_request < 0)
        return;
    const qsizetype index = std::exchange(m_request, -1);
    m_outcome.failure = failure;
    m_outcome.status = 0;
    m_outcome.latencyMs = m_run->nowMs() - m_run->planned(index).atMs;
    m_socket->disconnect(this);
    m_socket->abort();
    m_run->requestDone(this, index, m_outcome, false);
}

void DriverConnection::close()
{
    m_timeout->stop();
    m_socket->disconnect(this);
    m_socket->abort();
}

// ---- WorkloadDriver ---------------------------------------------------------------------------------

WorkloadDriver::WorkloadDriver(QObject* parent)
    : QObject(parent)
    , m_thread(new QThread)
{
    m_thread->setObjectName(QStringLiteral("experiment driver"));
    m_thread->start();
}

WorkloadDriver::~WorkloadDriver()
{
    stop();
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
}

bool WorkloadDriver::start(std::vector<PlannedRequest> plan, const Options& options)
{
    if (m_running.load())
        return false;
    stop(); // collects a finished run
    m_running = true;
    m_sent = 0;
    m_finished = 0;
    m_total = plan.size();
    m_outcomes.clear();
    m_backendNames.clear();
    m_elapsedMs = 0;
    auto* run = new DriverRun(this, std::move(plan), options);
    run->moveToThread(m_thread);
    m_run = run;
    QMetaObject::invokeMethod(
        run, [run] { run->begin(); }, Qt::QueuedConnection);
    return true;
}

void WorkloadDriver::stop()
{
    if (!m_run)
        return;
    DriverRun* run = std::exchange(m_run, nullptr);
    QMetaObject::invokeMethod(
        run,
        [run] {
            run->giveUpRest();
            run->end();
            delete run;
        },
        Qt::BlockingQueuedConnection);
    m_running = false;
}

} // namespace lab
