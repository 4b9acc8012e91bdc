#include "RecordingBackend.h"

#include "http/HttpParser.h"

#include <QMutexLocker>
#include <QTcpServer>
#include <QTcpSocket>

namespace lab::test {

// One accepted connection: parses what arrives and answers each complete request.
class RecordingBackend::Connection final : public QObject, private http::HttpParserHandler {
public:
    Connection(QTcpSocket* socket, RecordingBackend* owner)
        : QObject(socket)
        , m_socket(socket)
        , m_owner(owner)
        , m_parser(http::HttpParser::Kind::Request, this)
    {
        connect(socket, &QTcpSocket::readyRead, this, &Connection::onReadyRead);
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    }

private:
    void onReadyRead()
    {
        const QByteArray bytes = m_socket->readAll();
        m_owner->record(bytes);
        m_pending += bytes;
        while (!m_pending.isEmpty() && !m_parser.hasError()) {
            const qsizetype used = m_parser.feed(m_pending);
            if (used < 0)
                break;
            m_pending.remove(0, used);
        }
    }
    bool onHead(http::HttpHead& head) override
    {
        m_current = {head, {}};
        return true;
    }
    void onBody(QByteArrayView data) override { m_current.body += data; }
    void onMessageComplete() override
    {
        m_owner->record(std::move(m_current));
        m_socket->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }

    QTcpSocket* m_socket;
    RecordingBackend* m_owner;
    http::HttpParser m_parser;
    QByteArray m_pending;
    Request m_current;
};

RecordingBackend::RecordingBackend()
{
    m_thread.start();
    m_server = new QTcpServer;
    m_server->moveToThread(&m_thread);
    QMetaObject::invokeMethod(
        m_server,
        [this] {
            m_server->listen(QHostAddress::LocalHost, 0);
            m_port = m_server->serverPort();
            QObject::connect(m_server, &QTcpServer::newConnection, m_server, [this] {
                while (QTcpSocket* s = m_server->nextPendingConnection()) {
                    ++m_connections;
                    new Connection(s, this);
                }
            });
        },
        Qt::BlockingQueuedConnection);
}

RecordingBackend::~RecordingBackend()
{
    QMetaObject::invokeMethod(
        m_server, [this] { delete m_server; }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

QByteArray RecordingBackend::received() const
{
    QMutexLocker lock(&m_mutex);
    return m_received;
}

QList<RecordingBackend::Request> RecordingBackend::requests() const
{
    QMutexLocker lock(&m_mutex);
    return m_requests;
}

void RecordingBackend::record(QByteArrayView bytes)
{
    QMutexLocker lock(&m_mutex);
    m_received += bytes;
}

void RecordingBackend::record(Request request)
{
    QMutexLocker lock(&m_mutex);
    m_requests << std::move(request);
}

} // namespace lab::test
