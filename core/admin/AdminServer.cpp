#include "AdminServer.h"

#include "http/HttpMessage.h"
#include "http/HttpParser.h"
#include "http/RequestRules.h"

#include <QLoggingCategory>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

Q_LOGGING_CATEGORY(lcAdmin, "lab.admin")

namespace lab {

// One client of the admin listener: reads a request, has AdminApi answer it, writes the response, and
// reads the next one (keep-alive) or closes. Owns its socket; deletes itself when the socket is gone.
class AdminConnection final : public QObject, private http::HttpParserHandler {
public:
    AdminConnection(QTcpSocket* socket, AdminServer* server)
        : QObject(server)
        , m_socket(socket)
        , m_server(server)
        , m_parser(http::HttpParser::Kind::Request, this, limits())
        , m_idle(new QTimer(this))
    {
        m_socket->setParent(this);
        m_idle->setSingleShot(true);
        m_idle->setInterval(AdminServer::kIdleMs);
        connect(m_idle, &QTimer::timeout, this, &AdminConnection::closeNow);
        connect(m_socket, &QTcpSocket::readyRead, this, &AdminConnection::onReadyRead);
        connect(m_socket, &QTcpSocket::disconnected, this, &AdminConnection::finish);
        m_idle->start();
        onReadyRead(); // bytes may have arrived with the connection
    }

    // The socket is a child: it goes with us, and must not call finish() on a half-destroyed connection.
    ~AdminConnection() override { m_socket->disconnect(this); }

private:
    static http::HttpLimits limits()
    {
        http::HttpLimits l;
        l.maxRequestLineBytes = 4 * 1024;
        l.maxHeadBytes = 16 * 1024;
        l.maxHeaderCount = 64;
        return l;
    }

    void onReadyRead()
    {
        if (m_closing)
            return;
        m_idle->start();
        m_in += m_socket->readAll();
        while (!m_in.isEmpty() && !m_closing) {
            const qsizetype used = m_parser.feed(m_in);
            if (used < 0) {
                const http::HttpParseError& e = m_parser.error();
                // Status 0: onHead refused the request and said why in m_reject.
                fail(e.status != 0 ? e.status : m_reject.status,
                     e.status != 0 ? QString::fromUtf8(e.reason) : m_reject.reason);
                return;
            }
            m_in.remove(0, used);
            if (m_reject.status != 0) { // the body grew past the cap
                fail(m_reject.status, m_reject.reason);
                return;
            }
            if (!m_complete)
                break;
            answer();
        }
    }

    bool onHead(http::HttpHead& head) override
    {
        const http::RequestVerdict verdict = http::checkAndNormalizeRequest(head, {});
        if (!verdict) {
            m_reject = {verdict.status, QString::fromUtf8(verdict.reason)};
            return false;
        }
        if (head.framing == http::BodyFraming::ContentLength &&
            head.contentLength > quint64(AdminServer::kMaxBodyBytes)) {
            m_reject = {413, QStringLiteral("the body may have at most %1 bytes").arg(AdminServer::kMaxBodyBytes)};
            return false;
        }
        m_request = {};
        m_request.method = head.method;
        m_request.target = head.target;
        m_request.contentType = head.header("Content-Type");
        m_request.peer = m_socket->peerAddress().toString();
        m_keepAlive = head.keepAlive;
        m_complete = false;
        return true;
    }

    void onBody(QByteArrayView data) override
    {
        if (m_request.body.size() + data.size() > AdminServer::kMaxBodyBytes) {
            m_reject = {413, QStringLiteral("the body may have at most %1 bytes").arg(AdminServer::kMaxBodyBytes)};
            return;
        }
        m_request.body.append(data);
    }

    void onMessageComplete() override { m_complete = true; }

    void answer()
    {
        m_complete = false;
        const AdminResponse response = m_server->api().handle(m_request);
        qCDebug(lcAdmin) << m_request.peer << m_request.method << m_request.target << response.status;
        write(response, m_request.method == "HEAD", m_keepAlive);
    }

    void fail(int status, const QString& reason)
    {
        AdminResponse r;
        r.status = status;
        QByteArray body = "{\"error\":\"";
        http::appendJsonEscaped(body, reason.toUtf8());
        body += "\"}\n";
        r.body = body;
        write(r, false, false);
    }

    void write(const AdminResponse& r, bool headRequest, bool keepAlive)
    {
        QByteArray out = "HTTP/1.1 " + QByteArray::number(r.status) + ' ' + http::reasonPhrase(r.status) + "\r\n";
        out += "Content-Type: " + r.contentType + "\r\n";
        out += "Content-Length: " + QByteArray::number(r.body.size()) + "\r\n";
        out += "Cache-Control: no-store\r\n";
        if (!r.allow.isEmpty())
            out += "Allow: " + r.allow + "\r\n";
        if (!keepAlive)
            out += "Connection: close\r\n";
        out += "\r\n";
        if (!headRequest)
            out += r.body;
        m_socket->write(out);
        if (!keepAlive) {
            m_closing = true;
            m_socket->disconnectFromHost(); // after the bytes are written
        }
    }

    void closeNow()
    {
        m_closing = true;
        m_socket->abort();
        finish();
    }

    void finish()
    {
        if (m_finished)
            return;
        m_finished = true;
        m_idle->stop();
        m_server->connectionClosed();
        deleteLater();
    }

    struct Reject {
        int status = 0;
        QString reason;
    };

    QTcpSocket* m_socket;
    AdminServer* m_server;
    http::HttpParser m_parser;
    QTimer* m_idle;
    QByteArray m_in;
    AdminRequest m_request;
    Reject m_reject;
    bool m_keepAlive = true;
    bool m_complete = false;
    bool m_closing = false;
    bool m_finished = false;
};

AdminServer::AdminServer(Lab& lab, QObject* parent)
    : QObject(parent)
    , m_server(new QTcpServer(this))
    , m_api(lab)
{
    m_server->setMaxPendingConnections(kMaxConnections);
    connect(m_server, &QTcpServer::newConnection, this, &AdminServer::onNewConnection);
}

AdminServer::~AdminServer() = default;

bool AdminServer::listen(const QString& address, int port, QString* error)
{
    close();
    const QHostAddress host(address);
    if (host.isNull()) {
        if (error)
            *error = QStringLiteral("admin address '%1' is not an IP address (such as 127.0.0.1 or ::1)").arg(address);
        return false;
    }
    if (!m_server->listen(host, quint16(port))) {
        if (error)
            *error = QStringLiteral("cannot listen for the admin API on %1:%2: %3 (choose another port with "
                                    "--admin HOST:PORT or \"admin\": {\"port\": ...})")
                         .arg(address)
                         .arg(port)
                         .arg(m_server->errorString());
        return false;
    }
    return true;
}

void AdminServer::close()
{
    m_server->close();
}

bool AdminServer::isListening() const
{
    return m_server->isListening();
}

QHostAddress AdminServer::address() const
{
    return m_server->serverAddress();
}

quint16 AdminServer::port() const
{
    return m_server->serverPort();
}

QString AdminServer::url() const
{
    if (!isListening())
        return {};
    const QHostAddress a = address();
    const QString host = a.protocol() == QAbstractSocket::IPv6Protocol
        ? QLatin1Char('[') + a.toString() + QLatin1Char(']')
        : a.toString();
    return QStringLiteral("http://%1:%2").arg(host).arg(port());
}

void AdminServer::onNewConnection()
{
    while (QTcpSocket* socket = m_server->nextPendingConnection()) {
        if (m_open >= kMaxConnections) {
            qCWarning(lcAdmin) << "admin API: more than" << kMaxConnections << "connections; closing one from"
                               << socket->peerAddress().toString();
            socket->abort();
            socket->deleteLater();
            continue;
        }
        ++m_open;
        new AdminConnection(socket, this);
    }
}

} // namespace lab
