#include "AdminClient.h"

#include <QDeadlineTimer>
#include <QTest>

namespace lab::test {

EventLoopHttpClient::EventLoopHttpClient()
    : m_parser(http::HttpParser::Kind::Response, this)
{
}

bool EventLoopHttpClient::connectTo(quint16 port, int timeoutMs)
{
    m_socket.connectToHost(QHostAddress::LocalHost, port);
    QDeadlineTimer deadline(timeoutMs);
    while (m_socket.state() != QAbstractSocket::ConnectedState && !deadline.hasExpired()) {
        if (m_socket.state() == QAbstractSocket::UnconnectedState)
            return false;
        QTest::qWait(2);
    }
    return m_socket.state() == QAbstractSocket::ConnectedState;
}

bool EventLoopHttpClient::onHead(http::HttpHead& head)
{
    m_current.head = head;
    return true;
}

void EventLoopHttpClient::onBody(QByteArrayView data)
{
    m_current.body.append(data);
}

void EventLoopHttpClient::onMessageComplete()
{
    m_complete = true;
}

std::optional<TestResponse> EventLoopHttpClient::request(const QByteArray& raw, int timeoutMs, bool headRequest)
{
    if (!raw.isEmpty())
        m_socket.write(raw);
    m_current = {};
    m_complete = false;
    m_parser.setNextResponseHasNoBody(headRequest);
    QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        if (!m_pending.isEmpty()) {
            const qsizetype used = m_parser.feed(m_pending);
            if (used < 0)
                return std::nullopt;
            m_pending.remove(0, used);
            if (m_complete)
                return m_current;
        }
        if (deadline.hasExpired())
            return std::nullopt;
        if (m_socket.bytesAvailable() == 0) {
            if (m_socket.state() != QAbstractSocket::ConnectedState)
                return m_parser.finish() && m_complete ? std::optional<TestResponse>(m_current) : std::nullopt;
            QTest::qWait(2);
        }
        m_pending.append(m_socket.readAll());
    }
}

bool EventLoopHttpClient::waitForClose(int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (m_socket.state() == QAbstractSocket::ConnectedState && !deadline.hasExpired()) {
        QTest::qWait(2);
        m_socket.readAll();
    }
    return m_socket.state() != QAbstractSocket::ConnectedState;
}

QByteArray adminRequest(const QByteArray& method, const QByteArray& target, const QByteArray& contentType,
                        const QByteArray& body)
{
    QByteArray raw = method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!contentType.isEmpty())
        raw += "Content-Type: " + contentType + "\r\n";
    if (!body.isEmpty() || method == "POST" || method == "PUT")
        raw += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    return raw + "\r\n" + body;
}

std::optional<TestResponse> adminCall(quint16 port, const QByteArray& method, const QByteArray& target,
                                      const QByteArray& contentType, const QByteArray& body)
{
    EventLoopHttpClient client;
    if (!client.connectTo(port))
        return std::nullopt;
    return client.request(adminRequest(method, target, contentType, body), 10000, method == "HEAD");
}

} // namespace lab::test
