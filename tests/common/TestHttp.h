#pragma once

#include "http/HttpParser.h"

#include <QJsonObject>
#include <QTcpSocket>
#include <optional>

namespace lab::test {

struct TestResponse {
    http::HttpHead head;
    QByteArray body;
    int status() const { return head.statusCode; }
    QJsonObject json() const;
};

// A blocking HTTP/1.1 client for tests: one keep-alive connection, raw requests in, parsed responses out.
// Only for talking to servers that run on other threads (fake backends, the proxy's workers).
class TestHttpConnection final : private http::HttpParserHandler {
public:
    TestHttpConnection();
    bool connectTo(quint16 port, int timeoutMs = 5000);
    bool send(const QByteArray& raw);
    // Reads one response; nullopt on timeout, close before a complete response, or a parse error.
    std::optional<TestResponse> readResponse(int timeoutMs = 10000, bool headRequest = false);
    std::optional<TestResponse> request(const QByteArray& raw, int timeoutMs = 10000);
    // True when the server closed the connection within the timeout.
    bool waitForClose(int timeoutMs = 5000);
    QTcpSocket& socket() { return m_socket; }

private:
    bool onHead(http::HttpHead& head) override;
    void onBody(QByteArrayView data) override;
    void onMessageComplete() override;

    QTcpSocket m_socket;
    http::HttpParser m_parser;
    QByteArray m_pending;
    TestResponse m_current;
    bool m_complete = false;
};

// One request on a new connection.
std::optional<TestResponse> httpGet(quint16 port, const QByteArray& path, const QByteArray& extraHeaders = {});
QByteArray getRequest(const QByteArray& path, const QByteArray& extraHeaders = {});
QByteArray postRequest(const QByteArray& path, const QByteArray& body, const QByteArray& extraHeaders = {});

// True when a TCP connect to 127.0.0.1:port is refused.
bool connectionRefused(quint16 port);

} // namespace lab::test
