// The proxy's data path under slow peers and its limits as a real server: responses a slow client
// reads to the last byte, uploads slower than the response timeout, the listen backlog, connection and
// head-memory caps.
#include "ScriptedBackend.h"
#include "TestHttp.h"
#include "TestLab.h"
#include "backend/BackendPool.h"
#include "fakebackend/FakeBackend.h"
#include "health/ActiveHealthChecker.h"
#include "metrics/EventLog.h"
#include "proxy/ConnectionGate.h"
#include "proxy/Proxy.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace lab;
using namespace lab::test;

namespace {

ProxySettings testSettings()
{
    ProxySettings s;
    s.port = 0;
    s.workers = 2;
    return s;
}

BackendConfig backendAt(const QString& name, quint16 port)
{
    return BackendConfig{name, QStringLiteral("127.0.0.1"), port, 1, false, {}, {}};
}

struct RunningProxy {
    RunningProxy(const QList<BackendConfig>& backends, const ProxySettings& settings = testSettings())
        : pool(std::make_shared<BackendPool>(backends, QStringLiteral("round-robin")))
        , proxy(std::make_unique<Proxy>(settings, pool))
    {
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
    explicit SmallWindowClient(quint16 port, int receiveBufferBytes)
    {
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
    bool send(QByteArrayView bytes)
    {
        return ::send(m_fd, bytes.data(), size_t(bytes.size()), MSG_NOSIGNAL) == bytes.size();
    }
    // Reads at most stepBytes per call until the peer closes (or resets, or timeoutMs passes): a reader
    // that drains in small bounded steps, so the sender always finds the window nearly shut.
    QByteArray readUntilClose(int stepBytes, int timeoutMs)
    {
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
    explicit ParsedResponse(const QByteArray& raw)
    {
        http::HttpParser parser(http::HttpParser::Kind::Response, this);
        if (parser.feed(raw) == raw.size())
            parser.finish();
    }
    bool onHead(http::HttpHead& h) override
    {
        head = h;
        return true;
    }
    void onBody(QByteArrayView d) override { body.append(d); }
    void onMessageComplete() override { complete = true; }
    http::HttpHead head;
    QByteArray body;
    bool complete = false;
};

// The accept-queue size the kernel gave a listening TCP socket on `port` (what `ss -ltn` shows as
// Send-Q), read with NETLINK_SOCK_DIAG; -1 when no such listener was found.
int listenBacklogOf(quint16 port)
{
    const int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0)
        return -1;
    struct {
        nlmsghdr header;
        inet_diag_req_v2 request;
    } msg{};
    msg.header.nlmsg_len = sizeof msg;
    msg.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    msg.request.sdiag_family = AF_INET;
    msg.request.sdiag_protocol = IPPROTO_TCP;
    msg.request.idiag_states = 1u << 10; // TCP_LISTEN
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    int found = -1;
    if (::sendto(fd, &msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) == sizeof msg) {
        alignas(nlmsghdr) char buffer[32768];
        for (bool done = false; !done;) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 2000) <= 0)
                break;
            int length = int(::recv(fd, buffer, sizeof buffer, 0));
            if (length <= 0)
                break;
            for (auto* h = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(h, length); h = NLMSG_NEXT(h, length)) {
                if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
                    done = true;
                    break;
                }
                const auto* d = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
                if (ntohs(d->id.idiag_sport) == port)
                    found = int(d->idiag_wqueue);
            }
        }
    }
    ::close(fd);
    return found;
}

int eventsContaining(const EventLog& log, const QString& text)
{
    int n = 0;
    for (const LabEvent& e : log.since(0))
        n += e.text.contains(text) ? 1 : 0;
    return n;
}

// A connection the proxy closed without an answer (refused at a cap): EOF or reset, no bytes.
bool closedWithoutAnswer(QTcpSocket& s, int timeoutMs = 5000)
{
    QElapsedTimer t;
    t.start();
    while (s.state() == QAbstractSocket::ConnectedState && t.elapsed() < timeoutMs)
        s.waitForReadyRead(int(timeoutMs - t.elapsed()));
    return s.state() != QAbstractSocket::ConnectedState && s.readAll().isEmpty();
}

qint64 residentBytes()
{
    QFile f(QStringLiteral("/proc/self/statm"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> fields = f.readAll().split(' ');
    return fields.size() > 1 ? fields[1].toLongLong() * ::sysconf(_SC_PAGESIZE) : 0;
}

// Lowers the soft descriptor limit for one scope and puts it back.
struct DescriptorLimit {
    explicit DescriptorLimit(rlim_t soft)
    {
        ::getrlimit(RLIMIT_NOFILE, &saved);
        rlimit r = saved;
        r.rlim_cur = soft;
        ok = ::setrlimit(RLIMIT_NOFILE, &r) == 0;
    }
    ~DescriptorLimit() { ::setrlimit(RLIMIT_NOFILE, &saved); }
    rlimit saved{};
    bool ok = false;
};

} // namespace

class TestProxyLimits : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void slowClientGetsEveryByteOfAClosingBackend_data();
    void slowClientGetsEveryByteOfAClosingBackend();
    void slowUploadIsNotTimedOutWhileBytesFlow();
    void stalledUploadStillGives408();
    void listenBacklogIsTheSystemMaximum_data();
    void listenBacklogIsTheSystemMaximum();
    void connectionCapClosesTheNextConnectionAtOnce_data();
    void connectionCapClosesTheNextConnectionAtOnce();
    void perClientCapLeavesOtherClientsAlone();
    void headBytesCapAnswersTheNewest503();
    void probesKeepWorkingAtTheConnectionCap();
    void defaultCapsKeepADescriptorReserve();
    void listenerSurvivesRunningOutOfDescriptors();
    void outOfDescriptorsIsNotTheBackendsFault();
    void memoryGoesBackAfterABurst();
};

void TestProxyLimits::slowClientGetsEveryByteOfAClosingBackend_data()
{
    QTest::addColumn<QByteArray>("responseHead");
    QTest::addColumn<QByteArray>("clientVersion");
    QTest::newRow("HTTP/1.1 Connection: close")
        << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 3000000\r\nConnection: close\r\n\r\n")
        << QByteArray("HTTP/1.1");
    QTest::newRow("HTTP/1.0 with length")
        << QByteArray("HTTP/1.0 200 OK\r\nContent-Length: 3000000\r\n\r\n") << QByteArray("HTTP/1.1");
    QTest::newRow("until close, re-chunked") << QByteArray("HTTP/1.0 200 OK\r\n\r\n") << QByteArray("HTTP/1.1");
    QTest::newRow("until close to HTTP/1.0") << QByteArray("HTTP/1.0 200 OK\r\n\r\n") << QByteArray("HTTP/1.0");
}

void TestProxyLimits::slowClientGetsEveryByteOfAClosingBackend()
{
    // The backend sends 3 MB and closes at once; the proxy then still holds more than the client took.
    QFETCH(QByteArray, responseHead);
    QFETCH(QByteArray, clientVersion);
    QByteArray body(3'000'000, Qt::Uninitialized);
    for (qsizetype i = 0; i < body.size(); ++i)
        body[i] = char('a' + (i * 7 + i / 4096) % 26);
    ScriptedBackend backend([&](const QByteArray&) { return ScriptedBackend::Reply{responseHead + body, true}; });
    RunningProxy p({backendAt(QStringLiteral("big"), backend.port())});
    QVERIFY(p.ok);

    SmallWindowClient client(p.port(), 2048);
    QVERIFY(client.connected());
    QVERIFY(client.send(QByteArray("GET /big " + clientVersion + "\r\nHost: x\r\nConnection: close\r\n\r\n")));
    const ParsedResponse r(client.readUntilClose(1024, 30000));
    QCOMPARE(r.head.statusCode, 200);
    QVERIFY(r.complete);
    QCOMPARE(r.body.size(), body.size());
    QVERIFY(r.body == body);
}

void TestProxyLimits::slowUploadIsNotTimedOutWhileBytesFlow()
{
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
    client.write("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: " + QByteArray::number(kSteps * kStepBytes) +
                 "\r\n\r\n");
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
    QTRY_VERIFY_WITH_TIMEOUT(answer.contains("\r\n\r\n") || client.state() != QAbstractSocket::ConnectedState, 10000);
    QCOMPARE(sent, kSteps); // the answer came after the last byte, not in the middle of the upload
    QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.left(200).constData());
}

void TestProxyLimits::stalledUploadStillGives408()
{
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

void TestProxyLimits::listenBacklogIsTheSystemMaximum_data()
{
    QTest::addColumn<int>("configured");
    QTest::addColumn<int>("expected");
    QTest::newRow("default: net.core.somaxconn") << 0 << systemListenBacklogMax();
    QTest::newRow("configured") << 77 << 77;
}

void TestProxyLimits::listenBacklogIsTheSystemMaximum()
{
    // Qt's default of 50 left a fifth of a 3000-connect burst waiting a second for a SYN retransmit.
    QFETCH(int, configured);
    QFETCH(int, expected);
    QVERIFY(expected > 50);
    ProxySettings s = testSettings();
    s.listenBacklog = configured;
    RunningProxy p({backendAt(QStringLiteral("a"), 1)}, s);
    QVERIFY(p.ok);
    QCOMPARE(listenBacklogOf(p.port()), expected);
}

void TestProxyLimits::connectionCapClosesTheNextConnectionAtOnce_data()
{
    QTest::addColumn<ListenerKind>("kind");
    QTest::newRow("http") << ListenerKind::Http;
    QTest::newRow("tcp relay") << ListenerKind::Tcp;
}

void TestProxyLimits::connectionCapClosesTheNextConnectionAtOnce()
{
    QFETCH(ListenerKind, kind);
    FakeBackend backend(QStringLiteral("a"), QHostAddress::LocalHost, 0);
    QVERIFY(backend.start());
    ProxySettings s = testSettings();
    s.kind = kind;
    s.maxConnections = 3;
    RunningProxy p({backendAt(QStringLiteral("a"), backend.port())}, s);
    QVERIFY(p.ok);

    std::vector<std::unique_ptr<TestHttpConnection>> open;
    for (int i = 0; i < 3; ++i) {
        open.push_back(std::make_unique<TestHttpConnection>());
        QVERIFY(open.back()->connectTo(p.port()));
        const auto r = open.back()->request(getRequest("/"));
        QVERIFY(r);
        QCOMPARE(r->status(), 200);
    }
    for (int i = 0; i < 5; ++i) { // a burst past the cap: each closed at once, one log line for all
        QTcpSocket extra;
        extra.connectToHost(QHostAddress::LocalHost, p.port());
        QVERIFY(extra.waitForConnected(5000)); // the kernel completes the handshake; the proxy then closes
        QVERIFY(closedWithoutAnswer(extra));
    }
    QCOMPARE(p.proxy->snapshot().listener.refusedConnections, quint64(5));
    QCOMPARE(eventsContaining(p.proxy->events(), QStringLiteral("maxConnections 3")), 1);

    open.front()->socket().disconnectFromHost(); // a place comes free
    QTRY_COMPARE(p.proxy->gate().openConnections(), 2);
    const auto r = httpGet(p.port(), "/again");
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
}

void TestProxyLimits::perClientCapLeavesOtherClientsAlone()
{
    FakeBackend backend(QStringLiteral("a"), QHostAddress::LocalHost, 0);
    QVERIFY(backend.start());
    ProxySettings s = testSettings();
    s.maxConnectionsPerClient = 2;
    RunningProxy p({backendAt(QStringLiteral("a"), backend.port())}, s);
    QVERIFY(p.ok);
    TestHttpConnection first, second;
    QVERIFY(first.connectTo(p.port()) && second.connectTo(p.port()));
    QVERIFY(first.request(getRequest("/1")));
    QVERIFY(second.request(getRequest("/2")));
    QTcpSocket third;
    third.connectToHost(QHostAddress::LocalHost, p.port());
    QVERIFY(third.waitForConnected(5000));
    QVERIFY(closedWithoutAnswer(third));
    QCOMPARE(eventsContaining(p.proxy->events(), QStringLiteral("maxConnectionsPerClient 2")), 1);

    // Another client address (all of 127/8 is loopback) still gets in.
    QTcpSocket other;
    QVERIFY(other.bind(QHostAddress(QStringLiteral("127.0.0.2")), 0));
    other.connectToHost(QHostAddress::LocalHost, p.port());
    QVERIFY(other.waitForConnected(5000));
    other.write(getRequest("/other"));
    QTRY_VERIFY_WITH_TIMEOUT(other.bytesAvailable() > 0 || other.state() != QAbstractSocket::ConnectedState, 5000);
    QVERIFY(other.readAll().startsWith("HTTP/1.1 200"));
}

void TestProxyLimits::headBytesCapAnswersTheNewest503()
{
    FakeBackend backend(QStringLiteral("a"), QHostAddress::LocalHost, 0);
    QVERIFY(backend.start());
    ProxySettings s = testSettings();
    s.maxHeadBufferBytes = 1000;
    RunningProxy p({backendAt(QStringLiteral("a"), backend.port())}, s);
    QVERIFY(p.ok);
    const QByteArray unfinished = "GET /slow-head HTTP/1.1\r\nHost: x\r\nX-Pad: " + QByteArray(600, 'p');

    TestHttpConnection older;
    QVERIFY(older.connectTo(p.port()));
    QVERIFY(older.send(unfinished));
    QTRY_VERIFY(p.proxy->gate().headBytes() >= 600);

    TestHttpConnection newer;
    QVERIFY(newer.connectTo(p.port()));
    QVERIFY(newer.send(unfinished));
    const auto refused = newer.readResponse(5000);
    QVERIFY(refused);
    QCOMPARE(refused->status(), 503);
    QCOMPARE(refused->head.header("Retry-After"), QByteArray("1"));
    QVERIFY(newer.waitForClose());
    QCOMPARE(eventsContaining(p.proxy->events(), QStringLiteral("maxHeadBufferBytes 1000")), 1);

    QVERIFY(older.send("\r\n\r\n")); // the older head completes and is served
    const auto served = older.readResponse(5000);
    QVERIFY(served);
    QCOMPARE(served->status(), 200);
    QCOMPARE(p.proxy->gate().headBytes(), 0);
}

void TestProxyLimits::probesKeepWorkingAtTheConnectionCap()
{
    LabConfig config = freePortLab();
    config.proxy.maxConnections = 4;
    config.health.intervalMs = 50;
    RunningLab lab(config);
    Proxy* proxy = lab.lab.httpProxy();
    std::vector<std::unique_ptr<TestHttpConnection>> open;
    for (int i = 0; i < 4; ++i) {
        open.push_back(std::make_unique<TestHttpConnection>());
        QVERIFY(open.back()->connectTo(lab.port()));
        QVERIFY(open.back()->request(getRequest("/")));
    }
    QTcpSocket refused;
    refused.connectToHost(QHostAddress::LocalHost, lab.port());
    QVERIFY(refused.waitForConnected(5000));
    QVERIFY(closedWithoutAnswer(refused));

    // At the cap, the probes go on passing and the connections inside it are served.
    const QString name = lab.lab.backendConfig(backendAt(lab.lab, 0)).name;
    const quint64 probesBefore = lab.lab.healthChecker()->status(name)->probes;
    QTRY_VERIFY(lab.lab.healthChecker()->status(name)->probes >= probesBefore + 3);
    for (const auto& status : lab.lab.healthChecker()->status())
        QVERIFY2(status.up && status.lastPassed, qPrintable(status.name + QStringLiteral(": ") + status.lastDetail));
    const auto r = open.back()->request(getRequest("/still-served"));
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    QCOMPARE(proxy->snapshot().listener.refusedConnections, quint64(1));
}

void TestProxyLimits::defaultCapsKeepADescriptorReserve()
{
    // Two descriptors per connection (client, backend) and a reserve for probes, the keep-alive pool
    // and the embedded backends: the cap comes before the descriptor limit.
    QCOMPARE(descriptorReserve(1024), 128);
    QCOMPARE(defaultMaxConnections(1024, 1), (1024 - 128) / 2);
    QCOMPARE(defaultMaxConnections(1024, 2), (1024 - 128) / 4);
    QCOMPARE(descriptorReserve(1'048'576), 104'857);
    for (int limit : {256, 1024, 20000, 1'048'576})
        QVERIFY(2 * defaultMaxConnections(limit, 1) + descriptorReserve(limit) <= limit);
    const Proxy proxy(testSettings(),
                      std::make_shared<BackendPool>(QList<BackendConfig>{}, QStringLiteral("round-robin")));
    QCOMPARE(proxy.gate().limits().maxConnections, defaultMaxConnections(descriptorLimit(), 1));
}

void TestProxyLimits::listenerSurvivesRunningOutOfDescriptors()
{
    // QTcpServer stops accepting for good after an accept error that is not temporary (EMFILE): a
    // proxy that once ran out of descriptors would never take a connection again.
    FakeBackend backend(QStringLiteral("a"), QHostAddress::LocalHost, 0);
    QVERIFY(backend.start());
    RunningProxy p({backendAt(QStringLiteral("a"), backend.port())});
    QVERIFY(p.ok);
    QTcpSocket client;
    {
        const int nextFree = ::dup(0);
        ::close(nextFree);
        const DescriptorLimit limit(rlim_t(nextFree) + 1); // room for the client's socket, none for the accept
        QVERIFY(limit.ok);
        client.connectToHost(QHostAddress::LocalHost, p.port());
        QVERIFY(client.waitForConnected(5000));
        QTRY_VERIFY(eventsContaining(p.proxy->events(), QStringLiteral("cannot accept connections")) > 0);
    }
    client.write(getRequest("/after-the-shortage"));
    QTRY_VERIFY_WITH_TIMEOUT(client.bytesAvailable() > 0 || client.state() != QAbstractSocket::ConnectedState, 5000);
    QVERIFY(client.readAll().startsWith("HTTP/1.1 200"));
}

void TestProxyLimits::outOfDescriptorsIsNotTheBackendsFault()
{
    // The proxy has a client but no descriptor left for the backend connection: the client hears that
    // the proxy is out of sockets, and the backend keeps a clean record (no connect failure, no
    // passive hold that would keep the next requests away from a healthy server).
    ScriptedBackend backend([](const QByteArray&) {
        return ScriptedBackend::Reply{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", true};
    });
    RunningProxy p({backendAt(QStringLiteral("a"), backend.port())});
    QVERIFY(p.ok);
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, p.port());
    QVERIFY(client.waitForConnected(5000));
    client.write(getRequest("/first")); // accepted and answered: the session exists, no pooled upstream
    QTRY_VERIFY_WITH_TIMEOUT(client.bytesAvailable() > 0, 5000);
    QVERIFY(client.readAll().startsWith("HTTP/1.1 200"));
    QByteArray answer;
    {
        const int nextFree = ::dup(0);
        ::close(nextFree);
        const DescriptorLimit limit{rlim_t(nextFree)}; // no new descriptor anywhere in the process
        QVERIFY(limit.ok);
        client.write(getRequest("/second"));
        QTRY_VERIFY_WITH_TIMEOUT(client.bytesAvailable() > 0 || client.state() != QAbstractSocket::ConnectedState,
                                 5000);
        answer = client.readAll();
    }
    QVERIFY2(answer.startsWith("HTTP/1.1 503"), answer.constData());
    QVERIFY2(answer.contains("out of sockets"), answer.constData());
    QVERIFY2(answer.contains("Retry-After: 1\r\n"), answer.constData());
    const BackendPtr a = p.pool->byName(QStringLiteral("a"));
    QCOMPARE(a->passiveDownUntilMs.load(), qint64(0));
    QCOMPARE(p.proxy->snapshot().backends.at(0).traffic.connectFailures, quint64(0));
    // With descriptors back, the same connection goes on to the backend.
    client.write(getRequest("/third"));
    QTRY_VERIFY_WITH_TIMEOUT(client.bytesAvailable() > 0, 5000);
    QVERIFY(client.readAll().startsWith("HTTP/1.1 200"));
}

void TestProxyLimits::memoryGoesBackAfterABurst()
{
    // A burst of connections, each holding an unfinished 48 KiB head: the memory the sessions freed
    // goes back to the system once the burst is over, instead of staying at the peak.
    constexpr int kConnections = 400;
    rlimit r{};
    ::getrlimit(RLIMIT_NOFILE, &r);
    if (r.rlim_cur < 2 * kConnections + 200) {
        r.rlim_cur = std::min<rlim_t>(r.rlim_max, 4 * kConnections);
        ::setrlimit(RLIMIT_NOFILE, &r);
    }
    ProxySettings s = testSettings();
    s.workers = 1;
    RunningProxy p({backendAt(QStringLiteral("a"), 1)}, s);
    QVERIFY(p.ok);
    const qint64 before = residentBytes();
    const QByteArray unfinished = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + QByteArray(48 * 1024, 'p');
    std::vector<std::unique_ptr<QTcpSocket>> burst;
    for (int i = 0; i < kConnections; ++i) {
        burst.push_back(std::make_unique<QTcpSocket>());
        burst.back()->connectToHost(QHostAddress::LocalHost, p.port());
        QVERIFY(burst.back()->waitForConnected(5000));
        burst.back()->write(unfinished);
        burst.back()->waitForBytesWritten(5000);
    }
    QTRY_VERIFY_WITH_TIMEOUT(p.proxy->gate().headBytes() >= qint64(kConnections) * 48 * 1024, 20000);
    const qint64 peak = residentBytes();
    burst.clear();
    QTRY_COMPARE_WITH_TIMEOUT(p.proxy->gate().openConnections(), 0, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(p.proxy->memoryTrims() >= 1, 5000);
    const qint64 after = residentBytes();
    qInfo("RSS before %lld MB, at the peak %lld MB, after %lld MB", before >> 20, peak >> 20, after >> 20);
#ifndef __SANITIZE_ADDRESS__ // ASan's allocator (quarantine, its own heap) is not what malloc_trim trims
    QVERIFY(peak - before > 10 << 20);
    QVERIFY2(after - before < (peak - before) / 2, "the burst's memory stayed with the process");
#endif
}

QTEST_GUILESS_MAIN(TestProxyLimits)
#include "tst_proxylimits.moc"
