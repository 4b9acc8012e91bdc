// The rate limiter through the proxy: a greedy client gets 429 with Retry-After while another client
// address is served, refused requests never reach a backend, the header key, metrics, the lifecycle
// stream, and a live change of the limit.
#include "RecordingBackend.h"
#include "TestHttp.h"
#include "backend/BackendPool.h"
#include "metrics/EventLog.h"
#include "metrics/Lifecycle.h"
#include "proxy/Proxy.h"

#include <QJsonObject>
#include <QTcpSocket>
#include <QTest>

using namespace lab;
using namespace lab::test;

namespace {

// A proxy with 2 workers on port 0 in front of one recording backend.
struct Rig {
    explicit Rig(const RateLimitConfig& rateLimit)
    {
        ProxySettings s;
        s.port = 0;
        s.workers = 2;
        s.rateLimit = rateLimit;
        pool = std::make_shared<BackendPool>(
            QList<BackendConfig>{
                {QStringLiteral("rec"), QStringLiteral("127.0.0.1"), backend.port(), 1, false, {}, {}}},
            QStringLiteral("round-robin"));
        proxy = std::make_unique<Proxy>(s, pool);
        ok = proxy->start();
    }
    RecordingBackend backend;
    std::shared_ptr<BackendPool> pool;
    std::unique_ptr<Proxy> proxy;
    bool ok = false;
};

RateLimitConfig limit(double rps, int burst, const QString& key = QStringLiteral("client"))
{
    RateLimitConfig c;
    c.requestsPerSecond = rps;
    c.burst = burst;
    c.key = key;
    return c;
}

// One GET from a socket bound to `source` (all of 127/8 is loopback): the status line's code, 0 when none.
int statusFrom(const QString& source, quint16 port, const QByteArray& path)
{
    QTcpSocket s;
    if (!s.bind(QHostAddress(source), 0))
        return -1;
    s.connectToHost(QHostAddress::LocalHost, port);
    if (!s.waitForConnected(5000))
        return -2;
    s.write(getRequest(path));
    QByteArray in;
    while (!in.contains("\r\n\r\n") && s.waitForReadyRead(5000))
        in += s.readAll();
    return in.startsWith("HTTP/1.1 ") ? in.mid(9, 3).toInt() : 0;
}

} // namespace

class TestRateLimit : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void greedyClientGets429WhileAnotherAddressIsServed()
    {
        // 0.1/s: no token comes back while the test runs (10 s each), so the counts are exact.
        Rig rig(limit(0.1, 3));
        QVERIFY(rig.ok);
        // Two connections, which the acceptor deals to different workers: the limit is the client's.
        TestHttpConnection one, two;
        QVERIFY(one.connectTo(rig.proxy->port()) && two.connectTo(rig.proxy->port()));
        QString statuses;
        for (int i = 0; i < 8; ++i) {
            const auto r = (i % 2 ? two : one).request(getRequest("/greedy/" + QByteArray::number(i)));
            QVERIFY(r);
            statuses += r->status() == 200 ? u'o' : r->status() == 429 ? u'x' : u'?';
            if (r->status() == 429) {
                const int retryAfter = r->head.header("Retry-After").toInt();
                QVERIFY2(retryAfter >= 1 && retryAfter <= 10, r->head.header("Retry-After").constData());
                const QJsonObject body = r->json();
                QCOMPARE(body.value(QStringLiteral("error")).toString(), QStringLiteral("rate limited"));
                QCOMPARE(body.value(QStringLiteral("key")).toString(), QStringLiteral("127.0.0.1"));
                QCOMPARE(body.value(QStringLiteral("retryAfterSeconds")).toInt(), retryAfter);
            }
        }
        QCOMPARE(statuses, QStringLiteral("oooxxxxx"));
        // The keep-alive connection stays usable after a 429.
        QVERIFY(one.socket().state() == QAbstractSocket::ConnectedState);
        QCOMPARE(statusFrom(QStringLiteral("127.0.0.2"), rig.proxy->port(), "/polite"), 200);
        QCOMPARE(statusFrom(QStringLiteral("127.0.0.1"), rig.proxy->port(), "/greedy/again"), 429);

        // The backend saw the three admitted greedy requests and the polite one, nothing else.
        QTRY_COMPARE(rig.backend.requests().size(), 4);
        QByteArrayList seen;
        for (const RecordingBackend::Request& r : rig.backend.requests())
            seen << r.head.target;
        QCOMPARE(seen, (QByteArrayList{"/greedy/0", "/greedy/1", "/greedy/2", "/polite"}));
        const MetricsSnapshot m = rig.proxy->snapshot();
        QCOMPARE(m.listener.rateLimited, quint64(6));
        QCOMPARE(m.listener.responsesByClass[4], quint64(6));
        QCOMPARE(m.backends.first().traffic.requests, quint64(4));
        // The proxy wrote those six itself: the status bar's "answered by the proxy", none of them a 5xx.
        QCOMPARE(m.listener.answeredByProxy, quint64(6));
        QCOMPARE(m.listener.answeredByProxy5xx, quint64(0));
    }

    void refusalsAreSummarisedInOneEventLine()
    {
        // 0.1/s, burst 1: everything after the first request of each address is refused.
        Rig rig(limit(0.1, 1));
        QVERIFY(rig.ok);
        const quint64 before =
            rig.proxy->events().since(0).isEmpty() ? 0 : rig.proxy->events().since(0).last().sequence;
        QString statuses;
        for (int i = 0; i < 6; ++i)
            statuses += statusFrom(QStringLiteral("127.0.0.20"), rig.proxy->port(), "/greedy") == 429 ? u'x' : u'o';
        for (int i = 0; i < 2; ++i)
            statuses += statusFrom(QStringLiteral("127.0.0.21"), rig.proxy->port(), "/other") == 429 ? u'x' : u'o';
        QCOMPARE(statuses, QStringLiteral("oxxxxxox"));
        // One line a second, not one per 429: within a few summary periods (1 s each; generous for a loaded
        // machine) the lines count all six, and there are at most as many lines as seconds the refusals spanned.
        QStringList lines;
        quint64 refused = 0;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                lines.clear();
                refused = 0;
                for (const LabEvent& e : rig.proxy->events().since(before))
                    if (e.text.startsWith(QStringLiteral("rate limit: "))) {
                        lines << e.text;
                        refused += e.text.section(QLatin1Char(' '), 2, 2).toULongLong();
                    }
                return refused == 6;
            }(),
            10000);
        QVERIFY2(lines.size() <= 3, qPrintable(lines.join(QLatin1Char('\n'))));
        QVERIFY2(lines.first().contains(QStringLiteral("answered 429 in the last second")), qPrintable(lines.first()));
        if (lines.size() == 1)
            QCOMPARE(lines.first(),
                     QStringLiteral("rate limit: 6 requests answered 429 in the last second, top "
                                    "client 127.0.0.20 (5)"));
        QVERIFY(lines.join(QLatin1Char(' ')).contains(QStringLiteral("127.0.0.20")));
    }

    void refusedRequestIsArrivedThenFinished429WithoutBackend()
    {
        Rig rig(limit(0.1, 1));
        QVERIFY(rig.ok);
        QCOMPARE(httpGet(rig.proxy->port(), "/first", "X-Lab-Trace: t1\r\n")->status(), 200);
        QCOMPARE(httpGet(rig.proxy->port(), "/second", "X-Lab-Trace: t2\r\n")->status(), 429);
        QList<LifecycleEvent> second;
        QTRY_VERIFY([&] {
            second.clear();
            const auto batch = rig.proxy->lifecycle().since(0);
            quint64 id = 0;
            for (const LifecycleEvent& e : batch.events) {
                if (e.kind == LifecycleKind::Arrived && e.detail.startsWith(QStringLiteral("GET /second")))
                    id = e.requestId;
                if (id && e.requestId == id)
                    second << e;
            }
            return !second.isEmpty() && second.last().kind == LifecycleKind::Finished;
        }());
        QCOMPARE(second.size(), 2); // Arrived, Finished: no pick, no attempt
        QCOMPARE(second.last().status, 429);
        QCOMPARE(second.last().backendId, -1);
    }

    void headerKeySeparatesTenantsOnOneAddress()
    {
        Rig rig(limit(0.1, 2, QStringLiteral("header:X-Api-Key")));
        QVERIFY(rig.ok);
        const quint16 port = rig.proxy->port();
        QCOMPARE(httpGet(port, "/", "X-Api-Key: tenant-a\r\n")->status(), 200);
        QCOMPARE(httpGet(port, "/", "X-Api-Key: tenant-a\r\n")->status(), 200);
        const auto refused = httpGet(port, "/", "X-Api-Key: tenant-a\r\n");
        QCOMPARE(refused->status(), 429);
        QCOMPARE(refused->json().value(QStringLiteral("key")).toString(), QStringLiteral("tenant-a"));
        QCOMPARE(httpGet(port, "/", "X-Api-Key: tenant-b\r\n")->status(), 200);
        // Without the header the client's address is the key, a bucket of its own.
        QCOMPARE(httpGet(port, "/")->status(), 200);
        QCOMPARE(httpGet(port, "/")->status(), 200);
        QCOMPARE(httpGet(port, "/")->status(), 429);
        QTRY_COMPARE(rig.backend.requests().size(), 5);
    }

    void liveChangeAppliesToTheNextRequest()
    {
        Rig rig(limit(0.1, 1));
        QVERIFY(rig.ok);
        const quint16 port = rig.proxy->port();
        QCOMPARE(httpGet(port, "/")->status(), 200);
        QCOMPARE(httpGet(port, "/")->status(), 429);
        ProxySettings s = rig.proxy->settings();
        s.rateLimit = limit(0, 0); // off
        QVERIFY(rig.proxy->updateSettings(s));
        for (int i = 0; i < 5; ++i)
            QCOMPARE(httpGet(port, "/")->status(), 200);
        s.rateLimit = limit(0.1, 2);
        QVERIFY(rig.proxy->updateSettings(s));
        QCOMPARE(httpGet(port, "/")->status(), 200);
        QCOMPARE(httpGet(port, "/")->status(), 200);
        QCOMPARE(httpGet(port, "/")->status(), 429);
    }
};

QTEST_GUILESS_MAIN(TestRateLimit)
#include "tst_ratelimit.moc"
