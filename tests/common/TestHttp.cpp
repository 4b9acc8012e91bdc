#include "TestHttp.h"

#include <QDeadlineTimer>
#include <QJsonDocument>

namespace lab::test {

QJsonObject TestResponse::json() const
{
    return QJsonDocument::fromJson(body).object();
}

TestHttpConnection::TestHttpConnection()
    : m_parser(http::HttpParser::Kind::Response, this)
{
}

bool TestHttpConnection::connectTo(quint16 port, int timeoutMs)
{
    m_socket.connectToHost(QHostAddress::LocalHost, port);
    return m_socket.waitForConnected(timeoutMs);
}

bool TestHttpConnection::send(const QByteArray& raw)
{
    m_socket.write(raw);
    while (m_socket.bytesToWrite() > 0) {
        if (!m_socket.waitForBytesWritten(10000))
            return false;
    }
    return true;
}

bool TestHttpConnection::onHead(http::HttpHead& head)
{
    m_current.head = head;
    return true;
}

void TestHttpConnection::onBody(QByteArrayView data)
{
    m_current.body.append(data);
}

void TestHttpConnection::onMessageComplete()
{
    m_complete = true;
}

std::optional<TestResponse> TestHttpConnection::readResponse(int timeoutMs, bool headRequest)
{
    QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        m_current = {};
        m_complete = false;
        m_parser.setNextResponseHasNoBody(headRequest);
        for (;;) {
            if (!m_pending.isEmpty()) {
                const qsizetype used = m_parser.feed(m_pending);
                if (used < 0)
                    return std::nullopt;
                m_pending.remove(0, used);
                if (m_complete)
                    break;
            }
            if (m_socket.bytesAvailable() == 0 && !m_socket.waitForReadyRead(int(deadline.remainingTime()))) {
                if (m_socket.state() != QAbstractSocket::ConnectedState && m_parser.finish() && m_complete)
                    break;
                return std::nullopt;
            }
            m_pending.append(m_socket.readAll());
        }
        if (m_current.head.statusCode >= 200)
            return m_current;
        // interim 1xx: keep reading for the final answer
    }
}

std::optional<TestResponse> TestHttpConnection::request(const QByteArray& raw, int timeoutMs)
{
    if (!send(raw))
        return std::nullopt;
    return readResponse(timeoutMs, raw.startsWith("HEAD "));
}

bool TestHttpConnection::waitForClose(int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (m_socket.state() == QAbstractSocket::ConnectedState) {
        if (deadline.hasExpired())
            return false;
        m_socket.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime())));
        m_socket.readAll();
    }
    return true;
}

QByteArray getRequest(const QByteArray& path, const QByteArray& extraHeaders)
{
    return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extraHeaders + "\r\n";
}

QByteArray postRequest(const QByteArray& path, const QByteArray& body, const QByteArray& extraHeaders)
{
    return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n" +
        "Content-Length: " + QByteArray::number(body.size()) + "\r\n" + extraHeaders + "\r\n" + body;
}

std::optional<TestResponse> httpGet(quint16 port, const QByteArray& path, const QByteArray& extraHeaders)
{
    TestHttpConnection c;
    if (!c.connectTo(port))
        return std::nullopt;
    return c.request(getRequest(path, extraHeaders));
}

bool connectionRefused(quint16 port)
{
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, port);
    if (s.waitForConnected(3000))
        return false;
    return s.error() == QAbstractSocket::ConnectionRefusedError;
}

} // namespace lab::test
