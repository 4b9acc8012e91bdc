// How a proxy listens: every worker accepts on its own socket of one SO_REUSEPORT group, so each of
// them must really accept (the kernel deals connections to all sockets: a worker that did not accept
// would leave its share hanging); a port something else listens on is still refused with a sentence;
// a stopped proxy listens again on the port it had.
#include "ScriptedBackend.h"
#include "TestHttp.h"
#include "backend/BackendPool.h"
#include "net/ReusePortListener.h"
#include "proxy/ConnectionGate.h"
#include "proxy/Proxy.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <memory>
#include <sys/socket.h>
#include <unistd.h>

using namespace lab;
using namespace lab::test;

namespace {

ScriptedBackend::Reply ok(const QByteArray&)
{
    return {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false, 0};
}

std::unique_ptr<Proxy> makeProxy(const std::shared_ptr<BackendPool>& pool, int workers, quint16 port = 0)
{
    ProxySettings s;
    s.port = port;
    s.workers = workers;
    return std::make_unique<Proxy>(s, pool);
}

std::shared_ptr<BackendPool> poolFor(const ScriptedBackend& backend)
{
    return std::make_shared<BackendPool>(
        QList<BackendConfig>{
            BackendConfig{QStringLiteral("b"), QStringLiteral("127.0.0.1"), backend.port(), 1, false, {}, {}}},
        QStringLiteral("round-robin"));
}

// Each request on a new connection, so the kernel deals every one of them afresh.
int answeredOnNewConnections(quint16 port, int connections)
{
    int answered = 0;
    for (int i = 0; i < connections; ++i) {
        const std::optional<TestResponse> r = httpGet(port, "/");
        if (r && r->status() == 200)
            ++answered;
    }
    return answered;
}

} // namespace

class TestProxyListen : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyWorkerAccepts_data()
    {
        QTest::addColumn<int>("workers");
        QTest::newRow("1 worker") << 1;
        QTest::newRow("2 workers") << 2;
        QTest::newRow("4 workers") << 4;
    }
    void everyWorkerAccepts()
    {
        QFETCH(int, workers);
        ScriptedBackend backend(ok);
        auto proxy = makeProxy(poolFor(backend), workers);
        QString error;
        QVERIFY2(proxy->start(&error), qPrintable(error));
        QVERIFY(proxy->port() != 0);
        // 64 connections from changing source ports: with one socket per worker the chance that one
        // socket gets none of them is below 4 * (3/4)^64, so a worker that never accepts shows up here as
        // requests that time out.
        QCOMPARE(answeredOnNewConnections(proxy->port(), 64), 64);
        QCOMPARE(backend.requests(), 64);
        QTRY_COMPARE(proxy->gate().openConnections(), 0);
    }

    void portInUseIsRefused_data()
    {
        QTest::addColumn<bool>("otherIsAProxy");
        QTest::newRow("a plain listener") << false;
        QTest::newRow("another proxy (it listens with SO_REUSEPORT too)") << true;
    }
    void portInUseIsRefused()
    {
        QFETCH(bool, otherIsAProxy);
        ScriptedBackend backend(ok);
        const auto pool = poolFor(backend);
        QTcpServer plain;
        std::unique_ptr<Proxy> first;
        quint16 port = 0;
        if (otherIsAProxy) {
            first = makeProxy(pool, 2);
            QVERIFY(first->start());
            port = first->port();
        } else {
            QVERIFY(plain.listen(QHostAddress::LocalHost, 0));
            port = plain.serverPort();
        }
        auto second = makeProxy(pool, 2, port);
        QString error;
        QVERIFY(!second->start(&error));
        QVERIFY(!second->isListening());
        QVERIFY2(error.contains(QStringLiteral("port %1").arg(port)), qPrintable(error));
        QVERIFY2(error.contains(QLatin1String("already in use")), qPrintable(error));
        if (first) // the first one still gets every connection
            QCOMPARE(answeredOnNewConnections(port, 16), 16);
    }

    // FirstAwake: every descriptor is the same socket, so a connection queued once can be accepted from
    // any of them, and only once (the second descriptor then finds the queue empty).
    void firstAwakeSharesOneQueue()
    {
        QString error;
        const ReusePortGroup group =
            openReusePortGroup(QHostAddress::LocalHost, 0, 2, 16, &error, AcceptDealing::FirstAwake);
        QCOMPARE(group.fds.size(), size_t(2));
        QVERIFY2(group.port != 0, qPrintable(error));
        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, group.port);
        QVERIFY(client.waitForConnected(2000));
        int accepted = -1;
        for (int i = 0; i < 200 && accepted < 0; ++i) { // the handshake completes in the kernel
            accepted = ::accept4(group.fds[1], nullptr, nullptr, SOCK_CLOEXEC);
            if (accepted < 0)
                QTest::qWait(5);
        }
        QVERIFY(accepted >= 0);
        QCOMPARE(::accept4(group.fds[0], nullptr, nullptr, SOCK_CLOEXEC), -1);
        ::close(accepted);
        for (int fd : group.fds)
            ::close(fd);
    }

    void listensAgainOnItsPortAfterStop()
    {
        ScriptedBackend backend(ok);
        auto proxy = makeProxy(poolFor(backend), 2);
        QVERIFY(proxy->start());
        const quint16 port = proxy->port();
        QCOMPARE(answeredOnNewConnections(port, 8), 8);
        QCOMPARE(proxy->stop(1000), 0);
        QVERIFY(!proxy->isListening());
        QVERIFY(connectionRefused(port)); // every socket of the group is closed
        QString error;
        QVERIFY2(proxy->start(&error), qPrintable(error));
        QCOMPARE(proxy->port(), port);
        QCOMPARE(answeredOnNewConnections(port, 16), 16);
    }
};

QTEST_GUILESS_MAIN(TestProxyListen)
#include "tst_proxylisten.moc"
