// The layer-4 relay: bytes intact both ways, half-close, backpressure, connect failover, all-down,
// and many relays at once. Clients and servers here are plain blocking sockets on their own threads.
#include "backend/BackendPool.h"
#include "metrics/EventLog.h"
#include "proxy/Proxy.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QThread>

#include <arpa/inet.h>
#include <atomic>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace lab;

namespace {

int listenOnFreePort(quint16* port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd, 1024);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    *port = ntohs(a.sin_port);
    return fd;
}

int connectTo(quint16 port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool sendAll(int fd, const char* p, qsizetype n)
{
    while (n > 0) {
        const ssize_t w = ::send(fd, p, size_t(n), MSG_NOSIGNAL);
        if (w <= 0)
            return false;
        p += w;
        n -= w;
    }
    return true;
}

// A raw server on its own thread: one handler thread per connection, with what each connection does.
class RawServer {
public:
    explicit RawServer(std::function<void(int)> handler)
        : m_handler(std::move(handler))
    {
        m_fd = listenOnFreePort(&m_port);
        m_thread = std::thread([this] {
            for (;;) {
                const int c = ::accept(m_fd, nullptr, nullptr);
                if (c < 0)
                    return;
                std::thread([this, c] {
                    m_handler(c);
                    ::close(c);
                }).detach();
            }
        });
    }
    ~RawServer()
    {
        ::shutdown(m_fd, SHUT_RDWR);
        ::close(m_fd);
        m_thread.join();
    }
    quint16 port() const { return m_port; }

private:
    std::function<void(int)> m_handler;
    int m_fd = -1;
    quint16 m_port = 0;
    std::thread m_thread;
};

void echo(int c)
{
    char buf[65536];
    for (;;) {
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0 || !sendAll(c, buf, n))
            break;
    }
    ::shutdown(c, SHUT_WR);
}

// A Qt echo server on its own thread, for many connections at once.
class QtEcho {
public:
    QtEcho()
    {
        m_server = new QTcpServer;
        QObject::connect(m_server, &QTcpServer::newConnection, m_server, [this] {
            while (QTcpSocket* s = m_server->nextPendingConnection()) {
                QObject::connect(s, &QTcpSocket::readyRead, s, [s] { s->write(s->readAll()); });
                QObject::connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
        m_server->setListenBacklogSize(4096); // 1000 relays connect at once
        m_server->listen(QHostAddress::LocalHost, 0);
        m_port = m_server->serverPort();
        m_server->moveToThread(&m_thread);
        m_thread.start();
    }
    ~QtEcho()
    {
        QMetaObject::invokeMethod(
            m_server, [this] { delete m_server; }, Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }
    quint16 port() const { return m_port; }

private:
    QThread m_thread;
    QTcpServer* m_server;
    quint16 m_port = 0;
};

quint16 deadPort()
{
    quint16 port = 0;
    ::close(listenOnFreePort(&port)); // nothing listens there any more
    return port;
}

struct Relay {
    std::shared_ptr<BackendPool> pool;
    std::unique_ptr<Proxy> proxy;
    explicit Relay(const QList<quint16>& ports, int retries = 2)
    {
        QList<BackendConfig> configs;
        for (int i = 0; i < ports.size(); ++i) {
            BackendConfig c;
            c.name = QStringLiteral("b%1").arg(i);
            c.port = ports[i];
            configs << c;
        }
        pool = std::make_shared<BackendPool>(configs, QStringLiteral("round-robin"));
        ProxySettings s;
        s.kind = ListenerKind::Tcp;
        s.port = 0;
        s.workers = 2;
        s.retries = retries;
        s.timeouts.connectMs = 1000;
        proxy = std::make_unique<Proxy>(s, pool);
        QString error;
        if (!proxy->start(&error))
            qFatal("%s", qPrintable(error));
    }
    quint16 port() const { return proxy->port(); }
};

QByteArray randomBytes(qsizetype n, quint32 seed)
{
    QByteArray data(n, Qt::Uninitialized);
    QRandomGenerator rng(seed);
    rng.fillRange(reinterpret_cast<quint32*>(data.data()), n / 4);
    return data;
}

} // namespace

class TestTcpRelay : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void fiftyMegabytesEachWayIntact();
    void halfCloseStillGetsTheReply();
    void backpressureKeepsMemoryBounded();
    void connectFailureGoesToTheNextBackend();
    void allDownClosesTheClientAtOnce();
    void thousandConcurrentRelays();
};

void TestTcpRelay::initTestCase()
{
    // 1000 relays use ~4000 descriptors in this one process.
    rlimit r{};
    ::getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_cur = std::min<rlim_t>(r.rlim_max, 16384);
    ::setrlimit(RLIMIT_NOFILE, &r);
    QVERIFY(r.rlim_cur >= 4500);
}

void TestTcpRelay::fiftyMegabytesEachWayIntact()
{
    RawServer server(echo);
    Relay relay({server.port()});
    const QByteArray data = randomBytes(50 * 1024 * 1024, 7);
    const int fd = connectTo(relay.port());
    QVERIFY(fd >= 0);
    std::thread sender([&] {
        sendAll(fd, data.constData(), data.size());
        ::shutdown(fd, SHUT_WR); // half-close: the echo still comes back
    });
    QCryptographicHash got(QCryptographicHash::Sha256);
    qint64 total = 0;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        got.addData(QByteArrayView(buf, n));
        total += n;
    }
    sender.join();
    ::close(fd);
    QCOMPARE(total, qint64(data.size()));
    QCOMPARE(got.result(), QCryptographicHash::hash(data, QCryptographicHash::Sha256));
    QTRY_COMPARE(relay.proxy->snapshot().listener.bytesIn, quint64(data.size()));
    QCOMPARE(relay.proxy->snapshot().listener.bytesOut, quint64(data.size()));
    QTRY_COMPARE(relay.proxy->snapshot().listener.activeConnections, 0);
}

void TestTcpRelay::halfCloseStillGetsTheReply()
{
    // The server answers only after the client has finished sending (it reads to EOF first).
    RawServer server([](int c) {
        qint64 n = 0;
        char buf[4096];
        for (ssize_t r; (r = ::recv(c, buf, sizeof buf, 0)) > 0;)
            n += r;
        const QByteArray reply = "got " + QByteArray::number(n) + " bytes\n";
        QThread::msleep(50);
        sendAll(c, reply.constData(), reply.size());
    });
    Relay relay({server.port()});
    const int fd = connectTo(relay.port());
    QVERIFY(fd >= 0);
    const QByteArray request(1000, 'x');
    QVERIFY(sendAll(fd, request.constData(), request.size()));
    ::shutdown(fd, SHUT_WR);
    QByteArray reply;
    char buf[256];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
        reply.append(buf, n);
    ::close(fd);
    QCOMPARE(reply, QByteArray("got 1000 bytes\n"));
}

void TestTcpRelay::backpressureKeepsMemoryBounded()
{
    std::atomic<qint64> sent{0};
    std::atomic<bool> stop{false};
    RawServer server([&](int c) {
        const QByteArray chunk(64 * 1024, 'z');
        while (!stop && sent < 200LL * 1024 * 1024) {
            if (!sendAll(c, chunk.constData(), chunk.size()))
                break;
            sent += chunk.size();
        }
    });
    Relay relay({server.port()});
    const int fd = connectTo(relay.port());
    QVERIFY(fd >= 0);
    // The client reads nothing. The backend keeps trying to send; the proxy must not buffer it all.
    QTest::qWait(1500);
    const qint64 buffered = relay.proxy->relayBufferedBytes();
    const qint64 atPause = sent.load();
    QVERIFY2(buffered <= 2 * 256 * 1024 + 64 * 1024, qPrintable(QString::number(buffered)));
    QVERIFY2(atPause < 64LL * 1024 * 1024, qPrintable(QString::number(atPause))); // blocked by TCP flow control
    QTest::qWait(500);
    QVERIFY(sent.load() - atPause < 1024 * 1024); // and it stays blocked
    // Reading resumes the flow.
    char buf[65536];
    qint64 read = 0;
    while (read < 8 * 1024 * 1024) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        read += n;
    }
    QVERIFY(read >= 8LL * 1024 * 1024);
    stop = true;
    ::close(fd);
}

void TestTcpRelay::connectFailureGoesToTheNextBackend()
{
    RawServer server(echo);
    Relay relay({deadPort(), server.port()});
    const int fd = connectTo(relay.port());
    QVERIFY(fd >= 0);
    QVERIFY(sendAll(fd, "hello", 5));
    ::shutdown(fd, SHUT_WR);
    QByteArray reply;
    char buf[64];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
        reply.append(buf, n);
    ::close(fd);
    QCOMPARE(reply, QByteArray("hello"));
    const MetricsSnapshot s = relay.proxy->snapshot();
    QCOMPARE(s.backends[0].traffic.connectFailures, 1ULL);
    QCOMPARE(s.backends[1].traffic.connections, 1ULL);
    QCOMPARE(s.listener.connectFailures, 1ULL);
}

void TestTcpRelay::allDownClosesTheClientAtOnce()
{
    Relay relay({deadPort(), deadPort()});
    QElapsedTimer t;
    t.start();
    const int fd = connectTo(relay.port());
    QVERIFY(fd >= 0);
    char buf[16];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ::close(fd);
    QVERIFY(n <= 0); // closed, nothing relayed
    QVERIFY2(t.elapsed() < 500, qPrintable(QString::number(t.elapsed())));
    const MetricsSnapshot s = relay.proxy->snapshot();
    QCOMPARE(s.listener.connectFailures, 2ULL);
    QTRY_COMPARE(relay.proxy->snapshot().listener.responsesByClass[0], 1ULL); // one client closed without a backend
    const QList<LabEvent> events = relay.proxy->events().since(0);
    QVERIFY(std::any_of(events.begin(), events.end(), [](const LabEvent& e) {
        return e.text.contains(
            QStringLiteral("closed without a backend: b0: connection refused → b1: connection refused"));
    }));
}

void TestTcpRelay::thousandConcurrentRelays()
{
    QtEcho server;
    Relay relay({server.port()});
    std::vector<int> fds;
    for (int i = 0; i < 1000; ++i) {
        const int fd = connectTo(relay.port());
        QVERIFY(fd >= 0);
        fds.push_back(fd);
    }
    for (int i = 0; i < 1000; ++i) {
        const QByteArray msg = "relay " + QByteArray::number(i) + '\n';
        QVERIFY(sendAll(fds[size_t(i)], msg.constData(), msg.size()));
    }
    QTRY_COMPARE_WITH_TIMEOUT(relay.proxy->snapshot().listener.activeConnections, 1000, 10000);
    int ok = 0;
    for (int i = 0; i < 1000; ++i) {
        const QByteArray want = "relay " + QByteArray::number(i) + '\n';
        QByteArray got;
        char buf[64];
        while (got.size() < want.size()) {
            const ssize_t n = ::recv(fds[size_t(i)], buf, sizeof buf, 0);
            if (n <= 0)
                break;
            got.append(buf, n);
        }
        ok += got == want;
        ::close(fds[size_t(i)]);
    }
    QCOMPARE(ok, 1000);
    QTRY_COMPARE_WITH_TIMEOUT(relay.proxy->snapshot().listener.activeConnections, 0, 10000);
    QCOMPARE(relay.proxy->snapshot().listener.connections, 1000ULL);
}

QTEST_GUILESS_MAIN(TestTcpRelay)
#include "tst_tcprelay.moc"
