#include "LoadGenerator.h"

#include "LoadGeneratorShared.h"

#include "http/HttpParser.h"
#include "util/Clock.h"

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <optional>

Q_LOGGING_CATEGORY(lcLoad, "lab.loadgen")

namespace lab {

// One keep-alive connection with at most one request in flight.
class LoadClient final : public QObject, private http::HttpParserHandler {
public:
    // `user` >= 0: simulated user `user` (its own address, cookies and paths); -1: the plain client.
    LoadClient(LoadRun* run, const LoadSpec& spec, const QByteArray& request, int user = -1);
    void connectNow();
    bool idle() const { return m_connected && !m_busy && !m_thinking; }
    bool busy() const { return m_busy; }
    // A user sends `path` (empty: its own next draw); the plain client sends the spec's request.
    void send(const QByteArray& path = {});
    // cancelled: the user stopped the run (not a failure); else the run's end cut it.
    void abortInFlight(bool cancelled);

private:
    bool onHead(http::HttpHead& head) override;
    void onBody(QByteArrayView) override { }
    void onMessageComplete() override;
    void makeSocket();
    void onReadyRead();
    void onError(QAbstractSocket::SocketError e);
    void onConnectTimeout();
    void onGone();

    LoadRun* m_run;
    const LoadSpec& m_spec;
    const QByteArray& m_request;
    QTcpSocket* m_socket = nullptr;
    QTimer* m_connectTimer;
    http::HttpParser m_parser;
    QElapsedTimer m_timer;
    int m_status = 0;
    QString m_servedBy;
    QByteArray m_path; // a user's request in flight
    const int m_user;
    CookieJar m_cookies;
    std::mt19937 m_random; // closed-loop users' own path draws
    bool m_thinking = false;
    bool m_keepAlive = true;
    bool m_connected = false;
    bool m_connecting = false; // connectToHost called, neither connected nor failed yet
    bool m_busy = false;
    bool m_complete = false;
};

// One run, on the generator's thread.
class LoadRun final : public QObject {
public:
    LoadRun(LoadGenerator* owner, LoadSpec spec)
        : m_owner(owner)
        , m_shared(*owner->m_shared)
        , m_spec(std::move(spec))
        , m_tick(new QTimer(this))
        , m_end(new QTimer(this))
    {
        m_request = m_spec.method + ' ' + m_spec.path + " HTTP/1.1\r\nHost: " + m_spec.address.toString().toLatin1() +
            ':' + QByteArray::number(m_spec.port) +
            "\r\nUser-Agent: balancer-lab-loadgen\r\n"
            "X-Lab-Client: generator\r\n"; // step mode's "lab traffic" scope; the proxy strips it
        if (!m_spec.body.isEmpty())
            m_request +=
                "Content-Type: application/octet-stream\r\nContent-Length: " + QByteArray::number(m_spec.body.size()) +
                "\r\n";
        m_request += "\r\n" + m_spec.body;
        m_end->setSingleShot(true);
        m_end->setTimerType(Qt::PreciseTimer); // a coarse timer may fire 5% late: more requests than asked
        connect(m_end, &QTimer::timeout, this, &LoadRun::endOfSending);
        m_tick->setTimerType(Qt::PreciseTimer);
        connect(m_tick, &QTimer::timeout, this, &LoadRun::tick);
        if (m_spec.users.enabled()) {
            PathTemplate::parse(m_spec.users.pathTemplate.isEmpty() ? m_spec.path : m_spec.users.pathTemplate,
                                &m_paths);
            if (m_spec.ratePerSecond > 0)
                m_schedule.emplace(m_spec.users, m_paths, m_spec.ratePerSecond);
        }
    }

    void begin()
    {
        m_clock.start();
        m_shared.startedAtMs = steadyNowMs();
        m_shared.endedAtMs = 0;
        m_shared.stoppedByUser = false;
        m_shared.durationMs = m_durationMs;
        const bool users = m_spec.users.enabled();
        for (int i = 0; i < (users ? m_spec.users.count : m_spec.concurrency); ++i) {
            // a child: deleting the run deletes it
            auto* c = new LoadClient(this, m_spec, m_request, users ? i : -1);
            m_clients.append(c);
            c->connectNow();
        }
        m_end->start(int(m_durationMs));
        if (m_spec.ratePerSecond > 0)
            m_tick->start(5);
    }

    bool sending() const { return m_sending; }
    bool closedLoop() const { return m_spec.ratePerSecond == 0; }
    LoadGenerator::Shared& shared() { return m_shared; }
    const PathTemplate& paths() const { return m_paths; }

    // A connection may send: closed loop sends at once, while the run is sending and under maxRequests.
    bool takeTicket()
    {
        if (!m_sending)
            return false;
        if (m_spec.maxRequests > 0 && m_issued >= m_spec.maxRequests) {
            finishSending();
            return false;
        }
        ++m_issued;
        return true;
    }

    void clientIdle(LoadClient* c)
    {
        if (!m_sending) {
            maybeDone();
            return;
        }
        if (closedLoop() && takeTicket())
            c->send();
        else
            maybeDone();
    }

    // The duration is over (or maxRequests sent): requests in flight get a short grace, then are cut.
    void finishSending() { stopSending(kEndGraceMs, false); }
    // The run's time is up. The requests due by now are sent first: the last of a rate is due on the
    // end itself, and the end's timer usually fires before the tick that would send it (20/s for 10 s
    // sent 199).
    void endOfSending()
    {
        if (m_sending && m_spec.ratePerSecond > 0)
            tick();
        finishSending();
    }
    // Someone stopped the run: requests in flight get `graceMs`, then are cancelled.
    void stopSending(int graceMs, bool cancelAtEnd)
    {
        if (!m_sending)
            return;
        m_sending = false;
        m_cancelAtEnd = cancelAtEnd;
        if (cancelAtEnd)
            m_shared.stoppedByUser = true;
        m_tick->stop();
        m_end->stop();
        QTimer::singleShot(graceMs, this, [this] { end(); });
        maybeDone();
    }

    void extend(int moreMs)
    {
        if (!m_sending)
            return;
        const qint64 elapsed = m_clock.elapsed();
        const qint64 wanted = elapsed + qBound(1, moreMs, LoadSpec::kMaxDurationMs);
        if (wanted <= m_durationMs)
            return;
        m_durationMs = wanted;
        m_shared.durationMs = m_durationMs;
        m_end->start(int(m_durationMs - elapsed));
    }

    void maybeDone()
    {
        if (m_sending || m_ended)
            return;
        for (LoadClient* c : std::as_const(m_clients)) {
            if (c->busy())
                return;
        }
        end();
    }

    // cancelled: stop() ended the run, so what is in flight is cancelled, not cut.
    void end(bool cancelled = false)
    {
        if (m_ended)
            return;
        m_ended = true;
        if (cancelled)
            m_shared.stoppedByUser = true;
        m_sending = false;
        m_tick->stop();
        m_end->stop();
        for (LoadClient* c : std::as_const(m_clients)) {
            c->abortInFlight(cancelled || m_cancelAtEnd);
            c->deleteLater(); // end() may run inside one of their callbacks
        }
        m_clients.clear();
        m_shared.endedAtMs = steadyNowMs();
        m_owner->m_running = false;
        Q_EMIT m_owner->finished();
    }

private:
    void tick()
    {
        if (m_schedule) {
            tickUsers();
            return;
        }
        // How many requests should have been sent by now; each one goes to an idle connection, or is
        // counted as not sent when every connection is still busy (the target is slower than the rate).
        // The k-th is due at k / rate: the last one on the end itself (endOfSending sends it).
        const qint64 elapsed = qMin<qint64>(m_clock.elapsed(), m_durationMs);
        const quint64 due = quint64(double(m_spec.ratePerSecond) * double(elapsed) / 1000.0);
        int cursor = 0;
        while (m_scheduled < due && m_sending) {
            ++m_scheduled;
            LoadClient* idle = nullptr;
            for (; cursor < m_clients.size(); ++cursor) {
                if (m_clients[cursor]->idle()) {
                    idle = m_clients[cursor++];
                    break;
                }
            }
            if (!idle) {
                m_shared.bump(m_shared.notSent);
                continue;
            }
            if (takeTicket())
                idle->send();
        }
    }

    // Rate mode with users: every arrival due by now goes to its user, or is counted as not sent when
    // that user is still waiting for an answer or thinking (the draw sequence stays the seed's).
    void tickUsers()
    {
        const double elapsed = double(qMin<qint64>(m_clock.elapsed(), m_durationMs));
        while (m_sending) {
            if (!m_pending)
                m_pending = m_schedule->next();
            if (m_pending->atMs > elapsed)
                return;
            const UserSchedule::Arrival a = *std::exchange(m_pending, std::nullopt);
            LoadClient* c = m_clients.value(a.user);
            if (!c || !c->idle()) {
                m_shared.bump(m_shared.notSent);
                continue;
            }
            if (takeTicket())
                c->send(a.path);
        }
    }

    static constexpr int kEndGraceMs = 2000;

    LoadGenerator* m_owner;
    LoadGenerator::Shared& m_shared;
    const LoadSpec m_spec;
    qint64 m_durationMs = m_spec.durationMs; // extend() moves the end
    QByteArray m_request;
    QList<LoadClient*> m_clients;
    QTimer* m_tick;
    QTimer* m_end;
    QElapsedTimer m_clock;
    PathTemplate m_paths;
    std::optional<UserSchedule> m_schedule;
    std::optional<UserSchedule::Arrival> m_pending;
    quint64 m_issued = 0;
    quint64 m_scheduled = 0;
    bool m_sending = true;
    bool m_ended = false;
    bool m_cancelAtEnd = false; // the user stopped sending: the grace's leftovers are cancelled
};

LoadClient::LoadClient(LoadRun* run, const LoadSpec& spec, const QByteArray& request, int user)
    : QObject(run)
    , m_run(run)
    , m_spec(spec)
    , m_request(request)
    , m_connectTimer(new QTimer(this))
    , m_parser(http::HttpParser::Kind::Response, this)
    , m_user(user)
    , m_random(spec.users.seed + quint32(qMax(0, user)) * 7919u) // a stream per user, fixed by the seed
{
    m_connectTimer->setSingleShot(true);
    connect(m_connectTimer, &QTimer::timeout, this, &LoadClient::onConnectTimeout);
    makeSocket();
}

void LoadClient::makeSocket()
{
    m_socket = new QTcpSocket(this);
    connect(m_socket, &QTcpSocket::connected, this, [this] {
        m_connectTimer->stop();
        m_connecting = false;
        m_connected = true;
        m_run->clientIdle(this);
    });
    connect(m_socket, &QTcpSocket::readyRead, this, &LoadClient::onReadyRead);
    connect(m_socket, &QTcpSocket::disconnected, this, &LoadClient::onGone);
    connect(m_socket, &QTcpSocket::errorOccurred, this, &LoadClient::onError);
}

void LoadClient::onError(QAbstractSocket::SocketError e)
{
    auto& sh = m_run->shared();
    if (m_connecting) {
        m_connecting = false;
        // The connection attempt failed: the target is down or unreachable, not slow.
        m_connectTimer->stop();
        sh.bump(e == QAbstractSocket::ConnectionRefusedError   ? sh.refused
                    : e == QAbstractSocket::SocketTimeoutError ? sh.connectTimeouts
                                                               : sh.connectErrors);
        sh.setLastError(m_socket->errorString());
        onGone();
        return;
    }
    if (e == QAbstractSocket::RemoteHostClosedError && !m_busy)
        return; // an idle keep-alive connection closed by the server: onGone reconnects
    sh.setLastError(m_socket->errorString());
    onGone();
}

void LoadClient::onConnectTimeout()
{
    if (!m_connecting)
        return;
    m_connecting = false;
    auto& sh = m_run->shared();
    sh.bump(sh.connectTimeouts);
    sh.setLastError(
        QStringLiteral("no answer to the connection attempt within %1 ms").arg(LoadSpec::kConnectTimeoutMs));
    m_socket->disconnect(this);
    m_socket->abort();
    m_socket->deleteLater();
    makeSocket();
    onGone();
}

void LoadClient::connectNow()
{
    m_connected = false;
    m_parser.reset();
    m_socket->abort();
    m_connecting = true;
    m_connectTimer->start(LoadSpec::kConnectTimeoutMs);
    // A user connects from its own loopback address, so the proxy (and ip-hash) sees a client per user.
    if (m_user >= 0 && m_spec.users.ownAddresses && m_spec.address.isLoopback() &&
        m_spec.address.protocol() == QAbstractSocket::IPv4Protocol && !m_socket->bind(userAddress(m_user))) {
        m_run->shared().setLastError(
            QStringLiteral("%1 cannot bind %2: %3")
                .arg(QString::fromLatin1(userName(m_user)), userAddress(m_user).toString(), m_socket->errorString()));
    } else if (m_user < 0 && !m_spec.sourceAddress.isNull() && !m_socket->bind(m_spec.sourceAddress)) {
        m_run->shared().setLastError(
            QStringLiteral("cannot bind %1: %2").arg(m_spec.sourceAddress.toString(), m_socket->errorString()));
    }
    m_socket->connectToHost(m_spec.address, m_spec.port);
}

void LoadClient::send(const QByteArray& path)
{
    m_busy = true;
    m_complete = false;
    m_status = 0;
    m_servedBy.clear();
    m_parser.setNextResponseHasNoBody(m_spec.method == "HEAD");
    m_timer.start();
    m_run->shared().bump(m_run->shared().sent);
    if (m_user < 0) {
        m_socket->write(m_request);
        return;
    }
    m_path = path.isEmpty() ? m_run->paths().draw(m_random) : path;
    QByteArray request = m_spec.method + ' ' + m_path + " HTTP/1.1\r\nHost: " + m_spec.address.toString().toLatin1() +
        ':' + QByteArray::number(m_spec.port) + "\r\nUser-Agent: balancer-lab-loadgen\r\nX-Lab-Client: generator\r\n";
    if (!m_spec.users.userHeader.isEmpty())
        request += m_spec.users.userHeader + ": " + userName(m_user) + "\r\n";
    if (!m_cookies.isEmpty())
        request += "Cookie: " + m_cookies.header() + "\r\n";
    if (!m_spec.body.isEmpty())
        request +=
            "Content-Type: application/octet-stream\r\nContent-Length: " + QByteArray::number(m_spec.body.size()) +
            "\r\n";
    m_socket->write(request + "\r\n" + m_spec.body);
}

void LoadClient::abortInFlight(bool cancelled)
{
    m_connectTimer->stop();
    if (m_busy) {
        m_busy = false;
        auto& sh = m_run->shared();
        if (cancelled) {
            sh.bump(sh.cancelled);
        } else {
            sh.bump(sh.cut);
            sh.bump(sh.socketErrors);
        }
    }
    m_socket->disconnect(this);
    m_socket->abort();
}

bool LoadClient::onHead(http::HttpHead& head)
{
    if (head.statusCode < 200) // an interim response (100 Continue): the real one follows
        return true;
    m_status = head.statusCode;
    m_servedBy = QString::fromUtf8(head.header("X-Served-By"));
    m_keepAlive = head.keepAlive;
    if (m_user >= 0 && m_spec.users.cookies)
        m_cookies.take(head);
    return true;
}

void LoadClient::onMessageComplete()
{
    if (m_status == 0)
        return; // end of an interim response
    m_complete = true;
}

void LoadClient::onReadyRead()
{
    const QByteArray data = m_socket->readAll();
    qsizetype pos = 0;
    while (pos < data.size()) {
        const qsizetype n = m_parser.feed(QByteArrayView(data).sliced(pos));
        if (n < 0) {
            onGone();
            return;
        }
        pos += n;
        if (m_complete) {
            if (!m_busy)
                break; // bytes nobody asked for: ignore
            auto& sh = m_run->shared();
            m_busy = false;
            m_complete = false;
            sh.latency.record(quint64(m_timer.nsecsElapsed() / 1000));
            sh.bump(sh.byClass[size_t(qBound(0, m_status / 100, 5))]);
            {
                QMutexLocker lock(&sh.mutex);
                ++sh.byStatus[m_status];
                if (!m_servedBy.isEmpty()) {
                    ++sh.byBackend[m_servedBy];
                    if (m_user >= 0) {
                        const QString user = QString::fromLatin1(userName(m_user));
                        ++sh.byUser[user][m_servedBy];
                        sh.lastBackendOfUser.insert(user, m_servedBy);
                        const QString path = QString::fromUtf8(m_path);
                        if (sh.answersOfPath.size() < LoadTotals::kMaxTrackedPaths || sh.answersOfPath.contains(path)) {
                            ++sh.answersOfPath[path];
                            sh.lastBackendOfPath.insert(path, m_servedBy);
                        }
                    }
                }
            }
            sh.bump(sh.completed); // last, so a reader that sees it complete sees the rest too
            if (!m_keepAlive) {
                m_socket->disconnect(this);
                m_socket->abort();
                m_socket->deleteLater();
                makeSocket();
                m_connected = false;
                m_parser.reset();
                if (m_run->sending())
                    connectNow();
                else
                    m_run->maybeDone();
                return;
            }
            m_parser.reset();
            if (m_user >= 0 && m_spec.users.thinkMs > 0) {
                m_thinking = true;
                QTimer::singleShot(m_spec.users.thinkMs, this, [this] {
                    m_thinking = false;
                    m_run->clientIdle(this);
                });
                return;
            }
            m_run->clientIdle(this);
            return;
        }
    }
}

void LoadClient::onGone()
{
    const bool wasBusy = m_busy;
    if (m_busy) {
        m_busy = false;
        m_run->shared().bump(m_run->shared().resets);
        m_run->shared().bump(m_run->shared().socketErrors);
    }
    m_connected = false;
    if (!m_run->sending()) {
        m_run->maybeDone();
        return;
    }
    // Reconnect, after a short pause when nothing is listening so a stopped proxy is not hammered.
    QTimer::singleShot(wasBusy ? 0 : 50, this, [this] {
        if (m_run->sending() && m_socket->state() != QAbstractSocket::ConnectingState)
            connectNow();
    });
}

// ---- LoadGenerator ----------------------------------------------------------------------------------

LoadGenerator::LoadGenerator(QObject* parent)
    : QObject(parent)
    , m_shared(std::make_unique<Shared>())
    , m_thread(new QThread)
{
    m_thread->setObjectName(QStringLiteral("traffic generator"));
    m_thread->start();
}

LoadGenerator::~LoadGenerator()
{
    stop();
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
}

bool LoadGenerator::start(const LoadSpec& spec, QString* error)
{
    const QString why = spec.validate();
    if (!why.isEmpty() || m_running.load()) {
        if (error)
            *error = why.isEmpty() ? tr("a run is already going") : why;
        return false;
    }
    stop(); // collects a finished run
    m_finishing = false;
    m_shared->reset();
    m_running = true;
    auto* run = new LoadRun(this, spec);
    run->moveToThread(m_thread);
    m_run = run;
    QMetaObject::invokeMethod(
        run, [run] { run->begin(); }, Qt::QueuedConnection);
    if (spec.users.enabled())
        qCInfo(lcLoad, "traffic: %d simulated users (%s arrivals, think %d ms, seed %u)", spec.users.count,
               qPrintable(arrivalName(spec.users.arrival)), spec.users.thinkMs, spec.users.seed);
    else
        qCInfo(lcLoad, "traffic: %d connections to %s:%u for %d ms", spec.concurrency,
               qPrintable(spec.address.toString()), spec.port, spec.durationMs);
    return true;
}

void LoadGenerator::stop()
{
    if (!m_run)
        return;
    LoadRun* run = std::exchange(m_run, nullptr);
    QMetaObject::invokeMethod(
        run,
        [run] {
            run->end(true);
            delete run;
        },
        Qt::BlockingQueuedConnection);
    m_running = false;
}

void LoadGenerator::finish()
{
    if (!m_run)
        return;
    LoadRun* run = m_run;
    m_finishing = true;
    QMetaObject::invokeMethod(
        run, [run] { run->stopSending(LoadSpec::kStopGraceMs, true); }, Qt::QueuedConnection);
}

void LoadGenerator::extend(int moreMs)
{
    if (!m_run || !m_running.load())
        return;
    LoadRun* run = m_run;
    QMetaObject::invokeMethod(
        run, [run, moreMs] { run->extend(moreMs); }, Qt::QueuedConnection);
}

LoadTotals LoadGenerator::totals() const
{
    const Shared& s = *m_shared;
    LoadTotals t;
    t.running = m_running.load();
    t.completed = s.completed.load(std::memory_order_relaxed);
    t.sent = s.sent.load(std::memory_order_relaxed);
    for (size_t i = 0; i < t.byClass.size(); ++i)
        t.byClass[i] = s.byClass[i].load(std::memory_order_relaxed);
    t.socketErrors = s.socketErrors.load(std::memory_order_relaxed);
    t.resets = s.resets.load(std::memory_order_relaxed);
    t.cut = s.cut.load(std::memory_order_relaxed);
    t.cancelled = s.cancelled.load(std::memory_order_relaxed);
    t.refused = s.refused.load(std::memory_order_relaxed);
    t.connectTimeouts = s.connectTimeouts.load(std::memory_order_relaxed);
    t.connectErrors = s.connectErrors.load(std::memory_order_relaxed);
    t.notSent = s.notSent.load(std::memory_order_relaxed);
    t.durationMs = s.durationMs.load();
    t.stoppedByUser = s.stoppedByUser.load();
    const qint64 started = s.startedAtMs.load();
    const qint64 ended = s.endedAtMs.load();
    t.elapsedMs = started == 0 ? 0 : (ended ? ended : steadyNowMs()) - started;
    t.latency.add(s.latency);
    QMutexLocker lock(&s.mutex);
    t.byBackend = s.byBackend;
    t.byStatus = s.byStatus;
    t.byUser = s.byUser;
    t.lastBackendOfUser = s.lastBackendOfUser;
    t.lastBackendOfPath = s.lastBackendOfPath;
    t.answersOfPath = s.answersOfPath;
    t.lastError = s.lastError;
    return t;
}

} // namespace lab
