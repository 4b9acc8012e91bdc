#include "FakeBackendConnection.h"

#include "FakeBackend.h"

#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTimer>
#include <cmath>

namespace lab {

using http::HttpHead;

FakeBackendConnection::FakeBackendConnection(qintptr socketDescriptor, FakeBackend* backend, QObject* parent)
    : QObject(parent)
    , m_backend(backend)
    , m_socket(new QTcpSocket(this))
    , m_service(new QTimer(this))
    , m_delay(new QTimer(this))
    , m_parser(http::HttpParser::Kind::Request, this)
{
    m_service->setSingleShot(true);
    m_service->setTimerType(Qt::PreciseTimer);
    connect(m_service, &QTimer::timeout, this, &FakeBackendConnection::endService);
    m_delay->setSingleShot(true);
    m_delay->setTimerType(Qt::PreciseTimer); // a coarse timer may fire 5% early: latency is a floor
    connect(m_delay, &QTimer::timeout, this, &FakeBackendConnection::respond);
    if (!m_socket->setSocketDescriptor(socketDescriptor))
        return;
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_registered = true;
    ++m_backend->m_counters.activeConnections;
    ++m_backend->m_counters.connections;
    connect(m_socket, &QTcpSocket::readyRead, this, &FakeBackendConnection::processInput);
    connect(m_socket, &QTcpSocket::disconnected, this, &QObject::deleteLater);
}

FakeBackendConnection::~FakeBackendConnection()
{
    // A client gone while waiting leaves the line; one gone in service frees its worker for the next.
    if (m_phase == Phase::Waiting)
        m_backend->m_service.withdraw(this);
    else if (m_phase == Phase::InService)
        m_backend->m_service.release(m_backend->faults().workers);
    if (m_counted)
        --m_backend->m_counters.activeRequests;
    if (m_socket->socketDescriptor() != -1 || m_socket->state() != QAbstractSocket::UnconnectedState)
        m_socket->abort();
    if (m_registered)
        --m_backend->m_counters.activeConnections;
}

bool FakeBackendConnection::isValid() const
{
    return m_socket->state() == QAbstractSocket::ConnectedState;
}

void FakeBackendConnection::abort()
{
    m_socket->abort();
    deleteLater();
}

void FakeBackendConnection::processInput()
{
    m_input.append(m_socket->readAll());
    while (!m_busy && !m_input.isEmpty()) {
        const qsizetype used = m_parser.feed(m_input);
        if (used < 0) {
            writeParseError();
            return;
        }
        m_input.remove(0, used);
        if (used == 0)
            break;
    }
}

bool FakeBackendConnection::onHead(HttpHead& head)
{
    m_head = head;
    m_body.clear();
    m_faults = m_backend->faults();
    FakeBackendCounters& c = m_backend->m_counters;
    const QString path = QString::fromUtf8(head.path());
    const bool health = path == QLatin1String("/health");

    const int inProgress = ++c.activeRequests;
    m_counted = true;
    if (m_faults.hang)
        m_verdict = Verdict::Hang;
    else if (health)
        m_verdict = Verdict::Health;
    else if (m_faults.capacity > 0 && inProgress > m_faults.capacity)
        m_verdict = Verdict::OverCapacity;
    else if (head.hasHeader(FaultProfile::kCostHeader) && !readCost(head.header(FaultProfile::kCostHeader)))
        m_verdict = Verdict::BadCost;
    else if (!m_faults.servesPath(path))
        m_verdict = Verdict::NotFound;
    else if (m_faults.errorRatePercent > 0 && QRandomGenerator::global()->bounded(100.0) < m_faults.errorRatePercent)
        m_verdict = Verdict::InjectedError;
    else
        m_verdict = Verdict::Answer;

    // curl and others wait for this before sending a large body.
    if (http::headerListContains(head.header("Expect"), "100-continue") && m_verdict != Verdict::Hang)
        m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
    return true;
}

void FakeBackendConnection::onBody(QByteArrayView data)
{
    if (m_verdict == Verdict::Answer)
        m_body.append(data);
}

void FakeBackendConnection::onMessageComplete()
{
    m_busy = true;
    if (m_verdict == Verdict::Hang) {
        m_phase = Phase::Hanging;
        return; // never answered; the connection stays open until the peer gives up
    }
    // Answers the backend computes take a worker; its health answer, its refusals and a bad request do not.
    const bool served =
        m_verdict == Verdict::Answer || m_verdict == Verdict::NotFound || m_verdict == Verdict::InjectedError;
    if (!served) {
        startDelay();
        return;
    }
    if (!m_head.hasHeader(FaultProfile::kCostHeader))
        m_serviceMs = m_faults.drawServiceMs(*QRandomGenerator::global());
    m_timed = m_faults.workers > 0 || m_faults.serviceMs > 0 || m_head.hasHeader(FaultProfile::kCostHeader);
    m_phaseClock.start();
    switch (m_backend->m_service.admit(this, m_faults.workers, m_faults.queue)) {
    case ServiceQueue::Admission::Serving:
        m_phase = Phase::InService;
        m_waitedMs = 0;
        m_serviceStartMs = 0;
        if (m_serviceMs > 0)
            m_service->start(int(std::lround(m_serviceMs)));
        else
            endService();
        break;
    case ServiceQueue::Admission::Waiting: m_phase = Phase::Waiting; break;
    case ServiceQueue::Admission::Full:
        m_verdict = Verdict::QueueFull;
        ++m_backend->m_counters.queueFull;
        startDelay();
        break;
    }
}

bool FakeBackendConnection::readCost(const QByteArray& value)
{
    bool ok = false;
    const int ms = value.trimmed().toInt(&ok);
    if (!ok || ms < 0 || ms > FaultProfile::kMaxCostMs) {
        m_badCost = value;
        return false;
    }
    m_serviceMs = ms;
    return true;
}

void FakeBackendConnection::beginService(double lateMs)
{
    // Always through the timer (0 ms included): ending the service here would start the next waiting
    // request from inside ServiceQueue::fill, one stack frame per request in the queue.
    m_phase = Phase::InService;
    const double nowMs = double(m_phaseClock.nsecsElapsed()) / 1e6;
    const double credit = qBound(0.0, lateMs, nowMs); // it cannot have started before it arrived
    m_waitedMs = nowMs - credit;
    m_serviceStartMs = nowMs - credit;
    m_service->start(int(std::lround(qMax(0.0, m_serviceMs - credit))));
}

void FakeBackendConnection::endService()
{
    FakeBackendCounters& c = m_backend->m_counters;
    c.serviceMicros.store(c.serviceMicros.load(std::memory_order_relaxed) + quint64(std::llround(m_serviceMs * 1000)),
                          std::memory_order_relaxed); // only this thread writes
    ++c.serviced;
    m_phase = Phase::Delaying;
    const double overshootMs = double(m_phaseClock.nsecsElapsed()) / 1e6 - (m_serviceStartMs + m_serviceMs);
    m_backend->m_service.release(m_backend->faults().workers, qMax(0.0, overshootMs));
    startDelay();
}

void FakeBackendConnection::startDelay()
{
    m_phase = Phase::Delaying;
    int delayMs = m_faults.latencyMs;
    if (m_faults.jitterMs > 0)
        delayMs += int(QRandomGenerator::global()->bounded(m_faults.jitterMs + 1));
    if (delayMs > 0)
        m_delay->start(delayMs);
    else
        QMetaObject::invokeMethod(this, &FakeBackendConnection::respond, Qt::QueuedConnection);
}

void FakeBackendConnection::respond()
{
    const QByteArray name = m_backend->name().toUtf8();
    QByteArray body = "{";
    auto field = [&body](const char* key, const QByteArray& value, bool last = false) {
        body += '"';
        body += key;
        body += "\":\"";
        http::appendJsonEscaped(body, value);
        body += last ? "\"" : "\",";
    };
    int status = 200;
    switch (m_verdict) {
    case Verdict::Health:
        status = m_faults.healthFails ? 503 : 200;
        field("status", m_faults.healthFails ? "failing" : "ok");
        field("server_id", name, true);
        break;
    case Verdict::NotFound:
        status = 404;
        field("error", "not found: this backend serves only " + m_faults.onlyPaths.join(QLatin1Char(',')).toUtf8());
        field("server_id", name);
        field("path", m_head.path(), true);
        break;
    case Verdict::InjectedError:
        status = 500;
        field("error", "injected error (error rate " + QByteArray::number(m_faults.errorRatePercent) + "%)");
        field("server_id", name, true);
        break;
    case Verdict::OverCapacity:
        status = 503;
        field("error", "over capacity (" + QByteArray::number(m_faults.capacity) + " requests in progress)");
        field("server_id", name, true);
        break;
    case Verdict::QueueFull:
        status = 503;
        field("error", "queue full");
        field("server_id", name);
        body +=
            "\"workers\":" + QByteArray::number(m_faults.workers) + ",\"queue\":" + QByteArray::number(m_faults.queue);
        break;
    case Verdict::BadCost:
        status = 400;
        field("error",
              QByteArray(FaultProfile::kCostHeader) + " must be an integer number of ms from 0 to " +
                  QByteArray::number(FaultProfile::kMaxCostMs) + " (got \"" + m_badCost + "\")");
        field("server_id", name, true);
        break;
    case Verdict::Answer: {
        field("message", "Hello from " + name);
        field("server_id", name);
        field("method", m_head.method);
        field("path", m_head.path());
        body += "\"headers\":{";
        for (qsizetype i = 0; i < m_head.headers.size(); ++i) {
            // Repeated names are joined as one comma-separated value, as HTTP allows.
            const QByteArray lower = m_head.headers[i].name.toLower();
            bool seen = false;
            for (qsizetype j = 0; j < i && !seen; ++j)
                seen = m_head.headers[j].name.toLower() == lower;
            if (seen)
                continue;
            QByteArray value = m_head.headers[i].value;
            for (qsizetype j = i + 1; j < m_head.headers.size(); ++j) {
                if (m_head.headers[j].name.toLower() == lower)
                    value += ", " + m_head.headers[j].value;
            }
            if (body.back() != '{')
                body += ',';
            body += '"';
            http::appendJsonEscaped(body, lower);
            body += "\":\"";
            http::appendJsonEscaped(body, value);
            body += '"';
        }
        body += '}';
        static const QByteArrayList withBody = {"POST", "PUT", "PATCH", "DELETE"};
        if (withBody.contains(m_head.method)) {
            body += ",\"your_data\":\"";
            http::appendJsonEscaped(body, m_body);
            body += '"';
        }
        break;
    }
    case Verdict::Hang: return;
    }
    body += "}\n";
    if (status >= 500)
        ++m_backend->m_counters.errors;
    writeResponse(status, body);
}

void FakeBackendConnection::writeResponse(int status, const QByteArray& body)
{
    const bool keepAlive = m_head.keepAlive;
    QByteArray out;
    out.reserve(256 + (m_head.method == "HEAD" ? 0 : body.size()));
    out += "HTTP/1.1 " + QByteArray::number(status) + ' ' + http::reasonPhrase(status) + "\r\n";
    out += "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
    out += "Server: balancer-lab-backend\r\n";
    // Why a capacity 503 happened, for the proxy's passive health to repeat ("ejected: 5 consecutive 5xx
    // (queue full)"): a learner must see overload, not a broken backend, behind an ejection.
    if (m_verdict == Verdict::QueueFull)
        out += "X-Lab-Error: queue full\r\n";
    else if (m_verdict == Verdict::OverCapacity)
        out += "X-Lab-Error: over capacity\r\n";
    if (m_timed && m_verdict != Verdict::QueueFull) {
        out += "X-Lab-Wait-Ms: " + QByteArray::number(m_waitedMs, 'f', 3) + "\r\n";
        out += "X-Lab-Service-Ms: " + QByteArray::number(m_serviceMs, 'f', 3) + "\r\n";
    }
    out += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    if (m_head.method != "HEAD")
        out += body;
    m_socket->write(out);

    ++m_backend->m_counters.requests;
    --m_backend->m_counters.activeRequests;
    m_counted = false;
    m_busy = false;
    m_phase = Phase::Idle;
    m_serviceMs = 0;
    m_timed = false;
    m_body.clear();
    if (!keepAlive) {
        m_socket->disconnectFromHost();
        return;
    }
    processInput(); // the next pipelined request, if any
}

void FakeBackendConnection::writeParseError()
{
    const http::HttpParseError& e = m_parser.error();
    const int status = e.status ? e.status : 400;
    QByteArray body = "{\"error\":\"";
    http::appendJsonEscaped(body, e.reason);
    body += "\",\"server_id\":\"";
    http::appendJsonEscaped(body, m_backend->name().toUtf8());
    body += "\"}\n";
    m_socket->write("HTTP/1.1 " + QByteArray::number(status) + ' ' + http::reasonPhrase(status) +
                    "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) +
                    "\r\nConnection: close\r\n\r\n" + body);
    m_socket->disconnectFromHost();
    m_input.clear();
}

} // namespace lab
