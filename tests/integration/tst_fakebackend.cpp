#include "TestHttp.h"
#include "fakebackend/FakeBackend.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>
#include <memory>

using namespace lab;
using namespace lab::test;

class TestFakeBackend : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void health();
    void getAnswersWithItsIdentity();
    void headHasNoBody();
    void postEchoesLargeBody();
    void hundredRequestsOnOneKeepAliveConnection();
    void pipelinedRequestsAnsweredInOrder();
    void latencyKnob();
    void errorRateHundredPercent();
    void healthOverrideFailsOnlyHealth();
    void onlyPaths();
    void capacity();
    void hang();
    void refuseAndRestart();
    void stopAndStart();
    void malformedRequestGets400();
    void portInUseNamesThePort();

private:
    std::unique_ptr<FakeBackend> m_backend;
    quint16 port() const { return m_backend->port(); }
};

void TestFakeBackend::init()
{
    m_backend = std::make_unique<FakeBackend>(QStringLiteral("alpha"), QHostAddress::LocalHost, 0);
    QString error;
    QVERIFY2(m_backend->start(&error), qPrintable(error));
    QVERIFY(port() != 0);
}

void TestFakeBackend::cleanup()
{
    m_backend.reset();
}

void TestFakeBackend::health()
{
    const auto r = httpGet(port(), "/health");
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    QCOMPARE(r->head.header("Content-Type"), QByteArray("application/json"));
    QCOMPARE(r->json().value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    QCOMPARE(r->json().value(QStringLiteral("server_id")).toString(), QStringLiteral("alpha"));
}

void TestFakeBackend::getAnswersWithItsIdentity()
{
    const auto r = httpGet(port(), "/x/y?q=1", "X-Custom: hello\r\n");
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    const QJsonObject j = r->json();
    QCOMPARE(j.value(QStringLiteral("message")).toString(), QStringLiteral("Hello from alpha"));
    QCOMPARE(j.value(QStringLiteral("server_id")).toString(), QStringLiteral("alpha"));
    QCOMPARE(j.value(QStringLiteral("method")).toString(), QStringLiteral("GET"));
    QCOMPARE(j.value(QStringLiteral("path")).toString(), QStringLiteral("/x/y"));
    QCOMPARE(j.value(QStringLiteral("headers")).toObject().value(QStringLiteral("x-custom")).toString(),
             QStringLiteral("hello"));
    QVERIFY(!j.contains(QStringLiteral("your_data")));
}

void TestFakeBackend::headHasNoBody()
{
    TestHttpConnection c;
    QVERIFY(c.connectTo(port()));
    const auto r = c.request("HEAD /page HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    QVERIFY(r->head.header("Content-Length").toInt() > 0);
    QVERIFY(r->body.isEmpty());
    const auto next = c.request(getRequest("/after-head")); // the connection is still in sync
    QVERIFY(next);
    QCOMPARE(next->json().value(QStringLiteral("path")).toString(), QStringLiteral("/after-head"));
}

void TestFakeBackend::postEchoesLargeBody()
{
    QByteArray body(5 * 1024 * 1024, Qt::Uninitialized);
    for (qsizetype i = 0; i < body.size(); ++i)
        body[i] = char('a' + QRandomGenerator::global()->bounded(26));
    TestHttpConnection c;
    QVERIFY(c.connectTo(port()));
    const auto r = c.request(postRequest("/upload", body), 30000);
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    const QByteArray echoed = r->json().value(QStringLiteral("your_data")).toString().toUtf8();
    QCOMPARE(echoed.size(), body.size());
    QCOMPARE(QCryptographicHash::hash(echoed, QCryptographicHash::Sha256),
             QCryptographicHash::hash(body, QCryptographicHash::Sha256));
    QCOMPARE(r->json().value(QStringLiteral("method")).toString(), QStringLiteral("POST"));
}

void TestFakeBackend::hundredRequestsOnOneKeepAliveConnection()
{
    TestHttpConnection c;
    QVERIFY(c.connectTo(port()));
    for (int i = 0; i < 100; ++i) {
        const auto r = c.request(getRequest("/n/" + QByteArray::number(i)));
        QVERIFY(r);
        QCOMPARE(r->json().value(QStringLiteral("path")).toString(), QStringLiteral("/n/%1").arg(i));
    }
    QCOMPARE(m_backend->counters().connections.load(), quint64(1));
    QCOMPARE(m_backend->counters().requests.load(), quint64(100));
}

void TestFakeBackend::pipelinedRequestsAnsweredInOrder()
{
    FaultProfile f;
    f.jitterMs = 20; // answers take different times; order must still hold
    m_backend->setFaults(f);
    TestHttpConnection c;
    QVERIFY(c.connectTo(port()));
    QByteArray all;
    for (int i = 0; i < 10; ++i)
        all += getRequest("/p/" + QByteArray::number(i));
    QVERIFY(c.send(all));
    for (int i = 0; i < 10; ++i) {
        const auto r = c.readResponse();
        QVERIFY(r);
        QCOMPARE(r->json().value(QStringLiteral("path")).toString(), QStringLiteral("/p/%1").arg(i));
    }
}

void TestFakeBackend::latencyKnob()
{
    FaultProfile f;
    f.latencyMs = 300;
    m_backend->setFaults(f);
    QElapsedTimer t;
    t.start();
    const auto r = httpGet(port(), "/slow");
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    QVERIFY2(t.elapsed() >= 300, qPrintable(QString::number(t.elapsed())));
}

void TestFakeBackend::errorRateHundredPercent()
{
    FaultProfile f;
    f.errorRatePercent = 100;
    m_backend->setFaults(f);
    for (int i = 0; i < 5; ++i) {
        const auto r = httpGet(port(), "/any");
        QVERIFY(r);
        QCOMPARE(r->status(), 500);
        QCOMPARE(r->json().value(QStringLiteral("server_id")).toString(), QStringLiteral("alpha"));
    }
    QCOMPARE(httpGet(port(), "/health")->status(), 200); // health is governed by its own knob
    QCOMPARE(m_backend->counters().errors.load(), quint64(5));
}

void TestFakeBackend::healthOverrideFailsOnlyHealth()
{
    FaultProfile f;
    f.healthFails = true;
    m_backend->setFaults(f);
    QCOMPARE(httpGet(port(), "/health")->status(), 503);
    QCOMPARE(httpGet(port(), "/data")->status(), 200);
}

void TestFakeBackend::onlyPaths()
{
    FaultProfile f;
    f.onlyPaths = {QStringLiteral("/api"), QStringLiteral("/img")};
    m_backend->setFaults(f);
    QCOMPARE(httpGet(port(), "/api")->status(), 200);
    QCOMPARE(httpGet(port(), "/api/users?id=1")->status(), 200);
    QCOMPARE(httpGet(port(), "/img/a.png")->status(), 200);
    QCOMPARE(httpGet(port(), "/apix")->status(), 404);
    QCOMPARE(httpGet(port(), "/")->status(), 404);
    QCOMPARE(httpGet(port(), "/health")->status(), 200);
}

void TestFakeBackend::capacity()
{
    FaultProfile f;
    f.capacity = 2;
    f.latencyMs = 500;
    m_backend->setFaults(f);
    TestHttpConnection a, b, c;
    QVERIFY(a.connectTo(port()) && b.connectTo(port()) && c.connectTo(port()));
    QVERIFY(a.send(getRequest("/1")));
    QVERIFY(b.send(getRequest("/2")));
    QTRY_COMPARE(m_backend->counters().activeRequests.load(), 2);
    const auto over = c.request(getRequest("/3"));
    QVERIFY(over);
    QCOMPARE(over->status(), 503);
    QCOMPARE(a.readResponse()->status(), 200);
    QCOMPARE(b.readResponse()->status(), 200);
}

void TestFakeBackend::hang()
{
    FaultProfile f;
    f.hang = true;
    m_backend->setFaults(f);
    TestHttpConnection c;
    QVERIFY(c.connectTo(port()));
    QVERIFY(c.send(getRequest("/hang")));
    QVERIFY(!c.readResponse(400)); // nothing comes back
    QCOMPARE(c.socket().state(), QAbstractSocket::ConnectedState);
    f.hang = false;
    m_backend->setFaults(f);
    QCOMPARE(httpGet(port(), "/ok")->status(), 200);
}

void TestFakeBackend::refuseAndRestart()
{
    const quint16 p = port();
    QSignalSpy spy(m_backend.get(), &FakeBackend::listeningChanged);
    FaultProfile f;
    f.refuse = true;
    m_backend->setFaults(f);
    QVERIFY(!m_backend->isListening());
    QVERIFY(m_backend->isStarted());
    QVERIFY(connectionRefused(p));
    f.refuse = false;
    m_backend->setFaults(f);
    QVERIFY(m_backend->isListening());
    QCOMPARE(port(), p);
    QCOMPARE(httpGet(p, "/back")->status(), 200);
    QCOMPARE(spy.size(), 2);
    QCOMPARE(spy[0][0].toBool(), false);
    QCOMPARE(spy[1][0].toBool(), true);
}

void TestFakeBackend::stopAndStart()
{
    const quint16 p = port();
    TestHttpConnection open;
    QVERIFY(open.connectTo(p));
    QVERIFY(open.request(getRequest("/")));
    m_backend->stop();
    QVERIFY(connectionRefused(p));
    QVERIFY(open.waitForClose()); // open connections are closed too
    QVERIFY(m_backend->start());
    QCOMPARE(port(), p);
    QCOMPARE(httpGet(p, "/")->status(), 200);
}

void TestFakeBackend::malformedRequestGets400()
{
    TestHttpConnection c;
    QVERIFY(c.connectTo(port()));
    const auto r = c.request("GET / HTTP/1.1\r\nHost: h\r\nBad Header: x\r\n\r\n");
    QVERIFY(r);
    QCOMPARE(r->status(), 400);
    QVERIFY(c.waitForClose());
}

void TestFakeBackend::portInUseNamesThePort()
{
    FakeBackend second(QStringLiteral("beta"), QHostAddress::LocalHost, port());
    QString error;
    QVERIFY(!second.start(&error));
    QVERIFY2(error.contains(QString::number(port())), qPrintable(error));
    QVERIFY(!second.isListening());
}

QTEST_GUILESS_MAIN(TestFakeBackend)
#include "tst_fakebackend.moc"
