// The traffic generator and the request console against a real lab (proxy + embedded backends), and the
// lab's live operations the window relies on.
#include "ScriptedBackend.h"
#include "TestHttp.h"
#include "TestLab.h"
#include "backend/BackendPool.h"
#include "fakebackend/FakeBackend.h"
#include "lab/Lab.h"
#include "loadgen/ConsoleClient.h"
#include "loadgen/LoadGenerator.h"
#include "metrics/RequestTrace.h"
#include "proxy/Proxy.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace lab;
using namespace lab::test;

namespace {
LoadSpec specFor(const RunningLab& r)
{
    LoadSpec s;
    s.port = r.port();
    return s;
}

// A bare HTTP server that notes, per X-Lab-User, the peer address each request came from, and answers
// every request "200 ok". Runs on the test's thread (the generator has its own).
class PeerRecorder final : public QTcpServer {
public:
    QMap<QByteArray, QSet<QString>> addressesOf; // user → peer addresses seen

    // The sockets go first: their disconnected handlers use m_buffers, which a member destroys before
    // QObject's destructor deletes the children (a socket still open then crashed the test).
    ~PeerRecorder() override
    {
        for (QTcpSocket* s : findChildren<QTcpSocket*>()) {
            s->disconnect();
            delete s;
        }
    }

protected:
    void incomingConnection(qintptr fd) override
    {
        auto* s = new QTcpSocket(this);
        s->setSocketDescriptor(fd);
        connect(s, &QTcpSocket::readyRead, s, [this, s] {
            QByteArray& buffer = m_buffers[s];
            buffer += s->readAll();
            qsizetype end;
            while ((end = buffer.indexOf("\r\n\r\n")) >= 0) {
                const QByteArray head = buffer.left(end);
                buffer.remove(0, end + 4);
                const qsizetype at = head.indexOf("X-Lab-User: ");
                const QByteArray user = at < 0 ? QByteArray() : head.mid(at + 12, head.indexOf('\r', at) - at - 12);
                addressesOf[user].insert(s->peerAddress().toString());
                s->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
        connect(s, &QTcpSocket::disconnected, s, [this, s] {
            m_buffers.remove(s);
            s->deleteLater();
        });
    }

private:
    QHash<QTcpSocket*, QByteArray> m_buffers;
};
} // namespace

class TestLoadGen : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void invalidSpecsAreRefused_data();
    void invalidSpecsAreRefused();
    void boundedBurstCountsEveryRequest();
    void durationEndsTheRunByItself();
    void rateModeHoldsTheRate_data();
    void rateModeHoldsTheRate();
    void stopEndsAtOnce();
    void finishLetsInFlightRequestsBeAnswered();
    void extendKeepsARunSending();
    void proxyDownSendsNothingAndEndsOnTime();
    void proxyStoppedMidRunIsCountedAsRefused();
    void aSecondLabOnTheSamePortsNamesEveryPort();
    void connectionCloseResponsesReconnect();
    void consoleRequestIsTracedWithAttempts();
    void consoleReportsUnreachableProxy();
    void consoleHeaderParsing();
    void labAddsAndRemovesBackendsLive();
    void addingPastTheIdBudgetSaysWhy();
    void labSwitchesProxyOptionsLive();
    void labMovesTheListener();
    void pathTemplates_data();
    void pathTemplates();
    void sameSeedSameUserPathSequence();
    void poissonGapsHaveTheMeanOfTheRate();
    void usersComeFromTheirOwnAddresses();
    void plainClientSendsFromItsSourceAddress();
    void usersKeepTheirCookies_data();
    void usersKeepTheirCookies();
    void poissonRunHoldsTheRate();
};

void TestLoadGen::invalidSpecsAreRefused_data()
{
    QTest::addColumn<int>("field");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("concurrency 0") << 0 << QStringLiteral("concurrency");
    QTest::newRow("concurrency too high") << 1 << QStringLiteral("concurrency");
    QTest::newRow("duration 0") << 2 << QStringLiteral("duration");
    QTest::newRow("duration too long") << 3 << QStringLiteral("duration");
    QTest::newRow("path without slash") << 4 << QStringLiteral("path");
    QTest::newRow("method with space") << 5 << QStringLiteral("method");
    QTest::newRow("negative rate") << 6 << QStringLiteral("rate");
    QTest::newRow("port 0") << 7 << QStringLiteral("port");
}

void TestLoadGen::invalidSpecsAreRefused()
{
    QFETCH(int, field);
    QFETCH(QString, mentions);
    LoadSpec s;
    switch (field) {
    case 0: s.concurrency = 0; break;
    case 1: s.concurrency = LoadSpec::kMaxConcurrency + 1; break;
    case 2: s.durationMs = 0; break;
    case 3: s.durationMs = LoadSpec::kMaxDurationMs + 1; break;
    case 4: s.path = "x"; break;
    case 5: s.method = "GE T"; break;
    case 6: s.ratePerSecond = -1; break;
    case 7: s.port = 0; break;
    }
    LoadGenerator g;
    QString error;
    QVERIFY(!g.start(s, &error));
    QVERIFY2(error.contains(mentions), qPrintable(error));
    QVERIFY(!g.isRunning());
}

void TestLoadGen::boundedBurstCountsEveryRequest()
{
    RunningLab r;
    LoadGenerator g;
    QSignalSpy finished(&g, &LoadGenerator::finished);
    LoadSpec s = specFor(r);
    s.concurrency = 8;
    s.maxRequests = 1000;
    s.durationMs = 30'000;
    QVERIFY(g.start(s));
    QVERIFY(waitFinished(g, 30'000));
    QCOMPARE(finished.size(), 1);
    const LoadTotals t = g.totals();
    QCOMPARE(t.sent, 1000ULL);
    QCOMPARE(t.completed, 1000ULL);
    QCOMPARE(t.byClass[2], 1000ULL);
    QCOMPARE(t.socketErrors, 0ULL);
    QCOMPARE(t.latency.total, 1000ULL);
    quint64 sum = 0;
    for (quint64 n : t.byBackend)
        sum += n;
    QCOMPARE(sum, 1000ULL);
    QCOMPARE(t.byBackend.size(), 3);
    // The proxy saw exactly the same.
    const MetricsSnapshot snap = r.lab.snapshot();
    QCOMPARE(snap.listener.requests, 1000ULL);
    for (const BackendStats& b : snap.backends)
        QCOMPARE(b.traffic.requests, t.byBackend.value(b.name));
}

void TestLoadGen::durationEndsTheRunByItself()
{
    RunningLab r;
    LoadGenerator g;
    LoadSpec s = specFor(r);
    s.concurrency = 2;
    s.ratePerSecond = 100;
    s.durationMs = 600;
    QElapsedTimer t;
    t.start();
    QVERIFY(g.start(s));
    QVERIFY(waitFinished(g, 5000));
    QVERIFY(t.elapsed() >= 550);
    const LoadTotals totals = g.totals();
    QVERIFY2(totals.completed > 20 && totals.completed <= 65, qPrintable(QString::number(totals.completed)));
    QCOMPARE(totals.progress(), 1.0);
}

void TestLoadGen::rateModeHoldsTheRate_data()
{
    QTest::addColumn<int>("connections");
    QTest::addColumn<int>("rate");
    QTest::newRow("400/s on 4") << 4 << 400;
    QTest::newRow("20/s on 2") << 2 << 20; // (20/s for 10 s sent 199 until the end sent what fell due on it)
}

void TestLoadGen::rateModeHoldsTheRate()
{
    QFETCH(int, connections);
    QFETCH(int, rate);
    RunningLab r;
    LoadGenerator g;
    LoadSpec s = specFor(r);
    s.concurrency = connections;
    s.ratePerSecond = rate;
    s.durationMs = 1000;
    QVERIFY(g.start(s));
    QVERIFY(waitFinished(g, 5000));
    const LoadTotals t = g.totals();
    // rate x 1 s are due, the last one on the end itself: each is sent, or counted as not sent when no
    // connection was free (a loaded CI machine may lose a few to scheduling that way, never gain).
    QCOMPARE(t.sent + t.notSent, quint64(rate));
    QVERIFY2(t.sent >= quint64(rate) * 8 / 10, qPrintable(QString::number(t.sent)));
    QCOMPARE(t.completed, t.sent);
}

void TestLoadGen::stopEndsAtOnce()
{
    RunningLab r;
    r.lab.setFaults(r.id(0), [] {
        FaultProfile f;
        f.hang = true;
        return f;
    }()); // some requests never end
    LoadGenerator g;
    LoadSpec s = specFor(r);
    s.concurrency = 6;
    s.durationMs = 60'000;
    QVERIFY(g.start(s));
    QTest::qWait(300);
    QVERIFY(g.isRunning());
    QElapsedTimer t;
    t.start();
    g.stop();
    QVERIFY(t.elapsed() < 1000);
    QVERIFY(!g.isRunning());
    const LoadTotals totals = g.totals();
    // The hung ones were cut by the stop: cancelled, which is not a failure of the lab.
    QVERIFY(totals.cancelled >= 1);
    QCOMPARE(totals.socketErrors, 0ULL);
    QCOMPARE(totals.sent, totals.completed + totals.cancelled);
}

void TestLoadGen::finishLetsInFlightRequestsBeAnswered()
{
    RunningLab r;
    for (int i = 0; i < 3; ++i)
        r.lab.setFaults(r.id(i), [] {
            FaultProfile f;
            f.latencyMs = 300; // each request is in flight a while: the finish catches some
            return f;
        }());
    LoadGenerator g;
    QSignalSpy finished(&g, &LoadGenerator::finished);
    LoadSpec s = specFor(r);
    s.concurrency = 4;
    s.durationMs = 60'000;
    QVERIFY(g.start(s));
    QTRY_VERIFY_WITH_TIMEOUT(g.totals().completed >= 4, 10'000);
    QTRY_VERIFY_WITH_TIMEOUT(g.totals().sent > g.totals().completed, 5000);
    g.finish();
    QVERIFY(g.isRunning()); // it returns at once; the requests in flight go on
    QVERIFY(finished.wait(LoadSpec::kStopGraceMs + 5000));
    const LoadTotals t = g.totals();
    QCOMPARE(t.completed, t.sent); // every request was answered, none cut
    QCOMPARE(t.socketErrors, 0ULL);
    QCOMPARE(t.cancelled, 0ULL);
    QCOMPARE(r.lab.snapshot().listener.responsesByClass[0], 0ULL); // the proxy saw no client leave early
}

void TestLoadGen::extendKeepsARunSending()
{
    RunningLab r;
    LoadGenerator g;
    QSignalSpy finished(&g, &LoadGenerator::finished);
    LoadSpec s = specFor(r);
    s.concurrency = 2;
    s.ratePerSecond = 100;
    s.durationMs = 400;
    QVERIFY(g.start(s));
    g.extend(1500); // from now: the run now ends ~1.5 s after its start, not 0.4 s
    // Well past the spec's 400 ms and its 2 s grace is not needed: it is still sending.
    QVERIFY(!finished.wait(1000));
    QVERIFY(g.isRunning());
    const quint64 atOneSecond = g.totals().sent;
    QVERIFY2(atOneSecond > 60, qPrintable(QString::number(atOneSecond))); // 100/s for ~1 s, loaded machine
    QVERIFY(finished.wait(10'000)); // it still ends by itself
    const LoadTotals t = g.totals();
    QVERIFY2(t.sent > atOneSecond, qPrintable(QString::number(t.sent)));
    QVERIFY2(t.sent <= 151, qPrintable(QString::number(t.sent))); // the rate held over the longer run
    QCOMPARE(t.socketErrors, 0ULL);
    QVERIFY(t.durationMs >= 1500 && t.durationMs < 3000); // progress reads the new length
}

void TestLoadGen::proxyDownSendsNothingAndEndsOnTime()
{
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    LoadSpec s;
    s.port = probe.serverPort();
    probe.close(); // nothing listens there now
    s.concurrency = 2;
    s.durationMs = 300;
    LoadGenerator g;
    QVERIFY(g.start(s));
    QVERIFY(waitFinished(g, 5000));
    const LoadTotals t = g.totals();
    QCOMPARE(t.completed, 0ULL);
    QCOMPARE(t.sent, 0ULL); // no connection, nothing sent: the generator waits and retries calmly
    // ...and says why: every attempt was refused, none mistaken for a slow proxy.
    QVERIFY2(t.refused >= 2, qPrintable(QString::number(t.refused)));
    QCOMPARE(t.failedConnects(), t.refused);
    QVERIFY2(t.lastError.contains(QStringLiteral("refused"), Qt::CaseInsensitive), qPrintable(t.lastError));
}

void TestLoadGen::proxyStoppedMidRunIsCountedAsRefused()
{
    RunningLab r;
    LoadSpec s = specFor(r);
    s.concurrency = 4;
    s.ratePerSecond = 200;
    s.durationMs = 1500;
    LoadGenerator g;
    QVERIFY(g.start(s));
    QTRY_VERIFY(g.totals().completed >= 20);
    r.lab.stopProxies(0);
    QVERIFY(waitFinished(g, 8000));
    const LoadTotals t = g.totals();
    QVERIFY2(t.refused > 0, qPrintable(QString::number(t.refused)));
    QCOMPARE(t.connectErrors, 0ULL);
    QCOMPARE(t.sent, t.completed + t.socketErrors); // every request sent is answered or counted as lost
    QCOMPARE(t.socketErrors, t.resets + t.cut);
    QVERIFY(t.notSent > 0); // the rate went on while nothing accepted: reported beside the refusals
}

void TestLoadGen::aSecondLabOnTheSamePortsNamesEveryPort()
{
    RunningLab first;
    LabConfig same = first.lab.config(); // the backends' ports as they were given
    for (size_t i = 0; i < first.lab.proxies().size(); ++i)
        same.listeners[qsizetype(i)].port = first.lab.proxies()[i]->port();
    Lab second(same);
    QString error;
    QVERIFY(!second.start(&error));
    QVERIFY2(error.startsWith(QStringLiteral("4 ports could not be opened")), qPrintable(error));
    QStringList ports;
    for (const BackendConfig& b : same.backends)
        ports << QString::number(b.port);
    for (const ListenerConfig& l : same.listeners)
        ports << QString::number(l.port);
    QCOMPARE(ports.size(), 4);
    for (const QString& port : ports)
        QVERIFY2(error.contains(QStringLiteral("port ") + port), qPrintable(error));
    for (const BackendId id : second.backendIds())
        QVERIFY(!second.embeddedBackend(id)->isStarted()); // nothing half-started stays up
    QVERIFY(!second.proxiesRunning());
    QCOMPARE(httpGet(first.port(), "/")->status(), 200); // the first lab is untouched
}

void TestLoadGen::connectionCloseResponsesReconnect()
{
    // A server that closes after every answer: each connection reconnects and goes on.
    ScriptedBackend server([](const QByteArray&) {
        return ScriptedBackend::Reply{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", true};
    });
    LoadGenerator g;
    LoadSpec s;
    s.port = server.port();
    s.concurrency = 3;
    s.maxRequests = 60;
    QVERIFY(g.start(s));
    QVERIFY(waitFinished(g, 10'000));
    QCOMPARE(g.totals().completed, 60ULL);
    QCOMPARE(g.totals().byClass[2], 60ULL);
    QCOMPARE(g.totals().socketErrors, 0ULL);
    QVERIFY(server.connections() >= 60);
}

void TestLoadGen::consoleRequestIsTracedWithAttempts()
{
    RunningLab r;
    r.lab.stopBackend(r.id(0));
    ConsoleClient c;
    QSignalSpy spy(&c, &ConsoleClient::finished);
    ConsoleRequest req;
    req.port = r.port();
    req.method = "POST";
    req.path = "/console";
    req.body = "mydata=123";
    req.headers = {{"X-Demo", "yes"}};
    c.send(req);
    QVERIFY(spy.wait(10'000));
    const auto resp = spy.first().first().value<ConsoleResponse>();
    QVERIFY2(resp.error.isEmpty(), qPrintable(resp.error));
    QCOMPARE(resp.status, 200);
    QVERIFY(resp.body.contains("mydata=123"));
    QVERIFY2(resp.body.toLower().contains("x-demo"), resp.body.constData());
    QVERIFY(!resp.servedBy.isEmpty());
    QVERIFY(resp.servedBy != QStringLiteral("backend-8001"));
    std::optional<TraceEntry> e;
    QTRY_VERIFY((e = r.lab.httpProxy()->trace().findToken(resp.token)).has_value());
    QCOMPARE(e->attempts, QStringLiteral("backend-8001: connection refused → %1: 200").arg(resp.servedBy));
}

void TestLoadGen::consoleReportsUnreachableProxy()
{
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    ConsoleRequest req;
    req.port = probe.serverPort();
    probe.close();
    ConsoleClient c;
    QSignalSpy spy(&c, &ConsoleClient::finished);
    c.send(req);
    QVERIFY(spy.wait(10'000));
    const auto resp = spy.first().first().value<ConsoleResponse>();
    QVERIFY2(resp.error.contains(QStringLiteral("cannot reach the proxy")), qPrintable(resp.error));
}

void TestLoadGen::consoleHeaderParsing()
{
    QList<http::HttpHeader> h;
    QString error;
    QVERIFY(ConsoleRequest::parseHeaders(QStringLiteral("Accept: text/plain\n\nX-A:  b c \n"), &h, &error));
    QCOMPARE(h.size(), 2);
    QCOMPARE(h[1].name, QByteArray("X-A"));
    QCOMPARE(h[1].value, QByteArray("b c"));
    QVERIFY(!ConsoleRequest::parseHeaders(QStringLiteral("Accept text"), &h, &error));
    QVERIFY(error.contains(QStringLiteral("line 1")));
    QVERIFY(!ConsoleRequest::parseHeaders(QStringLiteral("Bad Name: x"), &h, &error));
}

void TestLoadGen::addingPastTheIdBudgetSaysWhy()
{
    // Ids are spent over the lab's life: add and remove until one is left while the pool stays at three.
    RunningLab r;
    QString error;
    for (int i = 0; i < BackendPool::kMaxBackends && r.lab.pool()->idsLeft() > 1; ++i) {
        const BackendId id = r.lab.addExternalBackend(QStringLiteral("127.0.0.1"), 9, &error);
        QVERIFY2(id.isValid(), qPrintable(error));
        r.lab.removeBackend(id);
    }
    QCOMPARE(r.lab.pool()->idsLeft(), 1);
    QCOMPARE(r.lab.backendCount(), 3);
    // The Add check and the pool agree: the last id can be used, then neither accepts another.
    const BackendId last = r.lab.addEmbeddedBackend(&error);
    QVERIFY2(r.lab.backendIds().indexOf(last) == 3, qPrintable(error));
    r.lab.removeBackend(last);
    QCOMPARE(r.lab.pool()->idsLeft(), 0);
    QVERIFY(!r.lab.addEmbeddedBackend(&error).isValid()); // though the pool holds only three
    QCOMPARE(error, QStringLiteral("cannot add a backend: ") + BackendPool::idBudgetError());
    QVERIFY2(error.contains(QStringLiteral("used all 256 backend ids")) &&
                 error.contains(QStringLiteral("removed ones included")),
             qPrintable(error));
    QCOMPARE(r.lab.backendCount(), 3);
    QVERIFY(!r.lab.addExternalBackend(QStringLiteral("127.0.0.1"), 9, &error).isValid());
    QVERIFY2(error.endsWith(BackendPool::idBudgetError()), qPrintable(error));
    BackendConfig c;
    c.name = QStringLiteral("one-more");
    QVERIFY(!r.lab.pool()->add(c, &error));
    QCOMPARE(error, QStringLiteral("cannot add one-more: ") + BackendPool::idBudgetError());
}

void TestLoadGen::labAddsAndRemovesBackendsLive()
{
    RunningLab r;
    QSignalSpy inserted(&r.lab, &Lab::backendInserted);
    QString error;
    const BackendId added = r.lab.addEmbeddedBackend(&error);
    QVERIFY2(r.lab.backendIds().indexOf(added) == 3, qPrintable(error));
    QCOMPARE(r.id(3), added);
    QCOMPARE(inserted.size(), 1);
    const QString name = r.lab.backendConfig(r.id(3)).name;
    QCOMPARE(name, QStringLiteral("backend-%1").arg(r.lab.embeddedBackend(r.id(3))->port()));
    QSet<QByteArray> seen;
    for (int i = 0; i < 8; ++i)
        seen.insert(httpGet(r.port(), "/")->head.header("X-Served-By"));
    QVERIFY(seen.contains(name.toUtf8()));
    QCOMPARE(seen.size(), 4);

    r.lab.removeBackend(r.id(0));
    QCOMPARE(r.lab.backendCount(), 3);
    seen.clear();
    for (int i = 0; i < 6; ++i)
        seen.insert(httpGet(r.port(), "/")->head.header("X-Served-By"));
    QVERIFY(!seen.contains("backend-8001"));
    QCOMPARE(seen.size(), 3);
    // Removed names can be reused; duplicate names cannot.
    BackendConfig dup;
    dup.name = QStringLiteral("backend-8002");
    QVERIFY(!r.lab.pool()->add(dup, &error));
    QVERIFY(error.contains(QStringLiteral("already")));
}

void TestLoadGen::labSwitchesProxyOptionsLive()
{
    RunningLab r;
    r.lab.setFaults(r.id(0), [] {
        FaultProfile f;
        f.latencyMs = 400;
        return f;
    }());
    TimeoutsConfig t = r.lab.config().timeouts;
    t.upstreamResponseMs = 100;
    RetryConfig retry = r.lab.config().retry;
    retry.retryOn = QStringList{};
    QString error;
    QVERIFY2(r.lab.setProxyOptions(retry, t, r.lab.config().listeners[0], &error), qPrintable(error));
    // The same keep-alive connection sees the new timeout on its next request: 504 from the slow one.
    TestHttpConnection c;
    QVERIFY(c.connectTo(r.port()));
    int timeouts = 0;
    for (int i = 0; i < 3; ++i)
        timeouts += c.request(getRequest("/"))->status() == 504;
    QCOMPARE(timeouts, 1);
    QString unknown;
    QVERIFY(!r.lab.setAlgorithm(QStringLiteral("fastest"), &unknown));
    QVERIFY(unknown.contains(QStringLiteral("round-robin")));
}

void TestLoadGen::labMovesTheListener()
{
    RunningLab r;
    const quint16 old = r.port();
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 fresh = probe.serverPort();
    probe.close();
    ListenerConfig l = r.lab.config().listeners[0];
    l.port = fresh;
    QString error;
    QVERIFY2(r.lab.setProxyOptions(r.lab.config().retry, r.lab.config().timeouts, l, &error), qPrintable(error));
    QCOMPARE(r.lab.httpProxy()->port(), fresh);
    QCOMPARE(httpGet(fresh, "/")->status(), 200);
    QVERIFY(connectionRefused(old));
    // A port in use is refused with a sentence that names it.
    QTcpServer holder;
    QVERIFY(holder.listen(QHostAddress::LocalHost, 0));
    l.port = holder.serverPort();
    QVERIFY(!r.lab.setProxyOptions(r.lab.config().retry, r.lab.config().timeouts, l, &error));
    QVERIFY2(error.contains(QString::number(holder.serverPort())), qPrintable(error));
}

void TestLoadGen::pathTemplates_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<int>("low");
    QTest::addColumn<int>("high");
    QTest::newRow("range") << QByteArray("/item/{1..100}") << true << 1 << 100;
    QTest::newRow("range with suffix") << QByteArray("/u/{0..9}/cart") << true << 0 << 9;
    QTest::newRow("one value") << QByteArray("/a/{7..7}") << true << 7 << 7;
    QTest::newRow("plain path") << QByteArray("/static") << true << 0 << -1;
    QTest::newRow("no slash") << QByteArray("item/{1..3}") << false << 0 << 0;
    QTest::newRow("reversed") << QByteArray("/item/{9..1}") << false << 0 << 0;
    QTest::newRow("one dot") << QByteArray("/item/{1.9}") << false << 0 << 0;
    QTest::newRow("two ranges") << QByteArray("/{1..2}/{1..2}") << false << 0 << 0;
    QTest::newRow("unclosed") << QByteArray("/item/{1..9") << false << 0 << 0;
    QTest::newRow("space") << QByteArray("/a b") << false << 0 << 0;
}

void TestLoadGen::pathTemplates()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, valid);
    QFETCH(int, low);
    QFETCH(int, high);
    PathTemplate t;
    QString error;
    QCOMPARE(PathTemplate::parse(text, &t, &error), valid);
    if (!valid) {
        QVERIFY2(error.contains(QLatin1String("path template")), qPrintable(error));
        UserSpec u;
        u.pathTemplate = text;
        QVERIFY(!u.validate().isEmpty());
        return;
    }
    std::mt19937 random(3);
    QSet<QByteArray> seen;
    for (int i = 0; i < 2000; ++i)
        seen.insert(t.draw(random));
    if (high < low) {
        QCOMPARE(seen, QSet<QByteArray>{text});
        return;
    }
    // Every value of the range drawn, and nothing outside it.
    QCOMPARE(seen.size(), high - low + 1);
    const QByteArray prefix = text.left(text.indexOf('{'));
    const QByteArray suffix = text.mid(text.indexOf('}') + 1);
    for (const QByteArray& p : std::as_const(seen)) {
        QVERIFY(p.startsWith(prefix) && p.endsWith(suffix));
        const int n = p.mid(prefix.size(), p.size() - prefix.size() - suffix.size()).toInt();
        QVERIFY2(n >= low && n <= high, p.constData());
    }
}

void TestLoadGen::sameSeedSameUserPathSequence()
{
    UserSpec u;
    u.count = 20;
    u.arrival = ArrivalProcess::Poisson;
    PathTemplate paths;
    QVERIFY(PathTemplate::parse("/item/{1..100}", &paths));
    auto draws = [&](quint32 seed) {
        u.seed = seed;
        UserSchedule schedule(u, paths, 100);
        QList<std::tuple<double, int, QByteArray>> out;
        for (int i = 0; i < 500; ++i) {
            const UserSchedule::Arrival a = schedule.next();
            out.append({a.atMs, a.user, a.path});
        }
        return out;
    };
    const auto first = draws(42);
    QCOMPARE(draws(42), first);
    QVERIFY(draws(43) != first);
    QSet<int> users;
    for (const auto& [at, user, path] : first) {
        QVERIFY(user >= 0 && user < u.count);
        users.insert(user);
    }
    QCOMPARE(users.size(), u.count); // 500 draws over 20 users reach every one
}

void TestLoadGen::poissonGapsHaveTheMeanOfTheRate()
{
    UserSpec u;
    u.count = 5;
    PathTemplate paths;
    for (ArrivalProcess a : {ArrivalProcess::Constant, ArrivalProcess::Poisson, ArrivalProcess::Bursts}) {
        u.arrival = a;
        UserSchedule schedule(u, paths, 250); // a mean gap of 4 ms
        const int n = 100'000;
        double last = 0;
        double maxGap = 0;
        for (int i = 0; i < n; ++i) {
            const double at = schedule.next().atMs;
            maxGap = qMax(maxGap, at - last);
            last = at;
        }
        const double meanGap = last / n;
        QVERIFY2(qAbs(meanGap - 4.0) < 0.04,
                 qPrintable(QStringLiteral("%1: mean gap %2 ms").arg(arrivalName(a)).arg(meanGap)));
        // Constant never waits longer than a gap, bursts wait a whole burst's share, Poisson sometimes far more.
        if (a == ArrivalProcess::Constant)
            QCOMPARE(maxGap, 4.0);
        else if (a == ArrivalProcess::Bursts)
            QCOMPARE(maxGap, 4.0 * u.burstSize);
        else
            QVERIFY2(maxGap > 30.0, qPrintable(QString::number(maxGap)));
    }
}

void TestLoadGen::usersComeFromTheirOwnAddresses()
{
    PeerRecorder server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    LoadGenerator g;
    LoadSpec s;
    s.port = server.serverPort();
    s.users.count = 5;
    s.maxRequests = 60;
    s.durationMs = 10'000;
    QVERIFY(g.start(s));
    QVERIFY(waitFinished(g, 15'000));
    QCOMPARE(g.totals().completed, 60ULL);
    QCOMPARE(server.addressesOf.size(), 5);
    for (int k = 0; k < 5; ++k)
        QCOMPARE(server.addressesOf.value(userName(k)), QSet<QString>{QStringLiteral("127.0.0.%1").arg(2 + k)});
}

void TestLoadGen::plainClientSendsFromItsSourceAddress()
{
    PeerRecorder server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    LoadGenerator g;
    LoadSpec s;
    s.port = server.serverPort();
    s.concurrency = 3;
    s.sourceAddress = QHostAddress(QStringLiteral("127.0.0.20"));
    s.maxRequests = 30;
    QVERIFY(g.start(s));
    QVERIFY(waitFinished(g, 15'000));
    const LoadTotals t = g.totals();
    QCOMPARE(t.completed, 30ULL);
    QCOMPARE(t.byStatus, (QMap<int, quint64>{{200, 30}}));
    QCOMPARE(server.addressesOf.value(QByteArray()), QSet<QString>{QStringLiteral("127.0.0.20")});
}

void TestLoadGen::usersKeepTheirCookies_data()
{
    QTest::addColumn<bool>("sticky");
    QTest::newRow("sticky on: one backend per user") << true;
    QTest::newRow("sticky off: round robin spreads each user") << false;
}

void TestLoadGen::usersKeepTheirCookies()
{
    QFETCH(bool, sticky);
    RunningLab r;
    QString error;
    QVERIFY2(r.lab.setSticky(StickyConfig{sticky, QStringLiteral("LABSRV")}, &error), qPrintable(error));
    LoadGenerator g;
    LoadSpec s = specFor(r);
    s.users.count = 6;
    s.maxRequests = 120;
    s.durationMs = 15'000;
    QVERIFY(g.start(s));
    QVERIFY(waitFinished(g, 20'000));
    const LoadTotals t = g.totals();
    QCOMPARE(t.completed, 120ULL);
    QCOMPARE(t.byUser.size(), 6);
    QSet<QString> backendsOverall;
    int spreadUsers = 0;
    for (auto it = t.byUser.cbegin(); it != t.byUser.cend(); ++it) {
        if (it.value().size() > 1)
            ++spreadUsers;
        for (auto b = it.value().cbegin(); b != it.value().cend(); ++b)
            backendsOverall.insert(b.key());
        QVERIFY(it.value().contains(t.lastBackendOfUser.value(it.key())));
    }
    QCOMPARE(backendsOverall.size(), 3); // the users' first picks were spread over the three
    if (sticky)
        QCOMPARE(spreadUsers, 0);
    else
        QVERIFY(spreadUsers > 0);
}

void TestLoadGen::poissonRunHoldsTheRate()
{
    RunningLab r;
    LoadGenerator g;
    LoadSpec s = specFor(r);
    s.users.count = 20;
    s.users.arrival = ArrivalProcess::Poisson;
    s.users.pathTemplate = "/item/{1..100}";
    s.ratePerSecond = 200;
    s.durationMs = 2000;
    QVERIFY(g.start(s));
    QVERIFY(waitFinished(g, 10'000));
    const LoadTotals t = g.totals();
    const double expected = 200.0 * 2.0;
    QVERIFY2(qAbs(double(t.sent) - expected) < 0.1 * expected,
             qPrintable(QStringLiteral("sent %1, not sent %2").arg(t.sent).arg(t.notSent)));
    QCOMPARE(t.completed, t.sent);
}

QTEST_GUILESS_MAIN(TestLoadGen)
#include "tst_loadgen.moc"
