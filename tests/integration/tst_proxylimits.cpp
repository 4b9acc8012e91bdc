// The proxy's data path under slow peers and its limits as a real server: responses a slow client
// reads to the last byte, uploads slower than the response timeout, the listen backlog, connection and
// head-memory caps.
#include "ScriptedBackend.h"
#include "TestHttp.h"
#include "backend/BackendPool.h"
#include "backends/FakeBackend.h"
#include "proxy/Proxy.h"

#include <QElapsedTimer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace lab;
using namespace lab::test;

namespace {

ProxySettings testSettings() {
    ProxySettings s;
    s.port = 0;
    s.workers = 2;
    return s;
}

BackendConfig backendAt(const QString& name, quint16 port) {
    return BackendConfig{name, QStringLiteral("127.0.0.1"), port, 1, false, {}, {}};
}

struct RunningProxy {
    RunningProxy(const QList<BackendConfig>& backends, const ProxySettings& settings = testSettings())
        : pool(std::make_shared<BackendPool>(backends, QStringLiteral("round-robin")))
        , proxy(std::make_unique<Proxy>(settings, pool)) {
        QString error;
        ok = proxy->start(&error);
        if (!ok)
            qWarning("%s", qPrintable(error));
    }
    quint16 port() const { return proxy->port(); }
    std::shared_ptr<BackendPool> pool;
    std::unique_ptr<Proxy> proxy;
    bool ok = false;
};

// A blocking client socket with a small receive buffer, set before connect so that the TCP window is
// small from the first byte: the proxy's writes to it then back up the way they do for a slow reader.
class SmallWindowClient final {
public:
    explicit SmallWindowClient(quint16 port, int receiveBufferBytes) {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &receiveBufferBytes, sizeof receiveBufferBytes);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        m_connected = ::connect(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~SmallWindowClient() { ::close(m_fd); }
    Q_DISABLE_COPY_MOVE(SmallWindowClient)

    bool connected() const { return m_connected; }
    bool send(QByteArrayView bytes) {
        return ::send(m_fd, bytes.data(), size_t(bytes.size()), MSG_NOSIGNAL) == bytes.size();
    }
    // Reads at most stepBytes per call until the peer closes (or resets, or timeoutMs passes): a reader
    // that drains in small bounded steps, so the sender always finds the window nearly shut.
    QByteArray readUntilClose(int stepBytes, int timeoutMs) {
        QByteArray all;
        QByteArray step(stepBytes, Qt::Uninitialized);
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < timeoutMs) {
            pollfd p{m_fd, POLLIN, 0};
            if (::poll(&p, 1, int(timeoutMs - t.elapsed())) <= 0)
                break;
            const ssize_t n = ::recv(m_fd, step.data(), size_t(step.size()), 0);
            if (n <= 0)
                break;
            all.append(step.constData(), n);
        }
        return all;
    }

private:
    int m_fd = -1;
    bool m_connected = false;
};

// Parses one complete response out of raw bytes; the body is empty unless the message is complete.
struct ParsedResponse final : http::HttpParserHandler {
    explicit ParsedResponse(const QByteArray& raw) {
        http::HttpParser parser(http::HttpParser::Kind::Response, this);
        if (parser.feed(raw) == raw.size())
            parser.finish();
    }
    bool onHead(http::HttpHead& h) override {
        head = h;
        return true;
    }
    void onBody(QByteArrayView d) override { body.append(d); }
    void onMessageComplete() override { complete = true; }
    http::HttpHead head;
    QByteArray body;
    bool complete = false;
};

} // namespace

class TestProxyLimits : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void slowClientGetsEveryByteOfAClosingBackend_data();
    void slowClientGetsEveryByteOfAClosingBackend();
    void slowUploadIsNotTimedOutWhileBytesFlow();
    void stalledUploadStillGives408();
};

void TestProxyLimits::slowClientGetsEveryByteOfAClosingBackend_data() {
    QTest::addColumn<QByteArray>("responseHead");
    QTest::addColumn<QByteArray>("clientVersion");
    QTest::newRow("HTTP/1.1 Connection: close")
        << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 3000000\r\nConnection: close\r\n\r\n")
        << QByteArray("HTTP/1.1");
    QTest::newRow("HTTP/1.0 with length")
        << QByteArray("HTTP/1.0 200 OK\r\nContent-Length: 3000000\r\n\r\n") << QByteArray("HTTP/1.1");
    QTest::newRow("until close, re-chunked")
        << QByteArray("HTTP/1.0 200 OK\r\n\r\n") << QByteArray("HTTP/1.1");
    QTest::newRow("until close to HTTP/1.0")
        << QByteArray("HTTP/1.0 200 OK\r\n\r\n") << QByteArray("HTTP/1.0");
}

void TestProxyLimits::slowClientGetsEveryByteOfAClosingBackend() {
    // The backend sends 3 MB and closes at once; the proxy then still holds more than the client took.
    QFETCH(QByteArray, responseHead);
    QFETCH(QByteArray, clientVersion);
    QByteArray body(3'000'000, Qt::Uninitialized);
    for (qsizetype i = 0; i < body.size(); ++i)
        body[i] = char('a' + (i * 7 + i / 4096) % 26);
    ScriptedBackend backend([&](const QByteArray&) {
        return ScriptedBackend::Reply{responseHead + body, true};
    });
    RunningProxy p({backendAt(QStringLiteral("big"), backend.port())});
    QVERIFY(p.ok);

    SmallWindowClient client(p.port(), 2048);
    QVERIFY(client.connected());
    QVERIFY(
        client.send(QByteArray("GET /big " + clientVersion + "\r\nHost: x\r\nConnection: close\r\n\r\n")));
    const ParsedResponse r(client.readUntilClose(1024, 30000));
    QCOMPARE(r.head.statusCode, 200);
    QVERIFY(r.complete);
    QCOMPARE(r.body.size(), body.size());
    QVERIFY(r.body == body);
}

void TestProxyLimits::slowUploadIsNotTimedOutWhileBytesFlow() {
    // 300 ms response timeout, an upload paced over about a second: it is alive the whole time.
    ProxySettings s = testSettings();
    s.timeouts.upstreamResponseMs = 300;
    FakeBackend backend(QStringLiteral("a"), QHostAddress::LocalHost, 0);
    QVERIFY(backend.start());
    RunningProxy p({backendAt(QStringLiteral("a"), backend.port())}, s);
    QVERIFY(p.ok);

    constexpr int kSteps = 10;
    constexpr int kStepBytes = 1000;
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, p.port());
    QVERIFY(client.waitForConnected(5000));
    client.write("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                 QByteArray::number(kSteps * kStepBytes) + "\r\n\r\n");
    int sent = 0;
    QTimer pace;
    QObject::connect(&pace, &QTimer::timeout, &client, [&] {
        client.write(QByteArray(kStepBytes, 'u'));
        if (++sent == kSteps)
            pace.stop();
    });
    pace.start(100);
    QByteArray answer;
    QObject::connect(&client, &QTcpSocket::readyRead, &client, [&] { answer += client.readAll(); });
    QTRY_VERIFY_WITH_TIMEOUT(answer.contains("\r\n\r\n") || client.state() != QAbstractSocket::ConnectedState,
                             10000);
    QCOMPARE(sent, kSteps); // the answer came after the last byte, not in the middle of the upload
    QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.left(200).constData());
}

void TestProxyLimits::stalledUploadStillGives408() {
    ProxySettings s = testSettings();
    s.timeouts.upstreamResponseMs = 300;
    FakeBackend backend(QStringLiteral("a"), QHostAddress::LocalHost, 0);
    QVERIFY(backend.start());
    RunningProxy p({backendAt(QStringLiteral("a"), backend.port())}, s);
    QVERIFY(p.ok);
    TestHttpConnection c;
    QVERIFY(c.connectTo(p.port()));
    QVERIFY(c.send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b"));
    QElapsedTimer t;
    t.start();
    const auto r = c.readResponse(5000);
    QVERIFY(r);
    QCOMPARE(r->status(), 408);
    QVERIFY(t.elapsed() < 3000);
}

QTEST_GUILESS_MAIN(TestProxyLimits)
#include "tst_proxylimits.moc"
