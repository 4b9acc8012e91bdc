#pragma once

#include "TestHttp.h"

#include <QTcpSocket>
#include <optional>

namespace lab::test {

// An HTTP/1.1 client for a server on the test's own thread (the admin API runs on the lab's thread):
// it never blocks the thread, it runs the event loop while it waits, so the server can answer.
class EventLoopHttpClient final : private http::HttpParserHandler {
public:
    EventLoopHttpClient();
    bool connectTo(quint16 port, int timeoutMs = 5000);
    // Sends `raw` and reads one response; nullopt on timeout, a close before a whole response, or a parse error.
    std::optional<TestResponse> request(const QByteArray& raw, int timeoutMs = 10000, bool headRequest = false);
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

// One admin request on a new connection: METHOD TARGET with a Host, the Content-Type when given and the
// body with its Content-Length.
QByteArray adminRequest(const QByteArray& method, const QByteArray& target, const QByteArray& contentType = {},
                        const QByteArray& body = {});
std::optional<TestResponse> adminCall(quint16 port, const QByteArray& method, const QByteArray& target,
                                      const QByteArray& contentType = {}, const QByteArray& body = {});

} // namespace lab::test
