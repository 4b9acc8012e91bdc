#include "RecordingBackend.h"
#include "ScriptedBackend.h"
#include "TestHttp.h"
#include "backend/BackendPool.h"
#include "proxy/Proxy.h"

#include <QDeadlineTimer>
#include <QLocale>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTest>
#include <memory>

using namespace lab;
using namespace lab::test;

// The proxy's answer to requests at the edge of HTTP/1.1, byte for byte over a real socket: the status,
// and what the backend behind it received. A request the proxy refuses must never reach a backend; one
// it accepts must reach it as the RFC says (Host intact, no underscore names, chunk extensions gone
// and the body whole).
namespace {
ProxySettings strictSettings()
{
    ProxySettings s;
    s.port = 0;
    s.workers = 1;
    s.retries = 0;
    return s;
}

// A proxy on a free port in front of one backend on `backendPort`.
struct ProxyInFront {
    explicit ProxyInFront(quint16 backendPort, ProxySettings settings = strictSettings())
    {
        pool = std::make_shared<BackendPool>(
            QList<BackendConfig>{{QStringLiteral("rec"), QStringLiteral("127.0.0.1"), backendPort, 1, false, {}, {}}},
            QStringLiteral("round-robin"));
        proxy = std::make_unique<Proxy>(settings, pool);
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

// The forwarded request head as the backend received it (up to the blank line).
QByteArray forwardedHead(const RecordingBackend& backend)
{
    const QByteArray all = backend.received();
    const qsizetype end = all.indexOf("\r\n\r\n");
    return end < 0 ? all : all.left(end + 4);
}

// An IMF-fixdate within a minute of now.
bool isCurrentHttpDate(const QByteArray& value)
{
    static const QRegularExpression format(QStringLiteral(
        "^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d\\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \\d{4} "
        "\\d\\d:\\d\\d:\\d\\d GMT$"));
    if (!format.match(QString::fromLatin1(value)).hasMatch())
        return false;
    QDateTime t =
        QLocale::c().toDateTime(QString::fromLatin1(value.chopped(4)), QStringLiteral("ddd, dd MMM yyyy hh:mm:ss"));
    t.setTimeSpec(Qt::UTC);
    return t.isValid() && qAbs(t.secsTo(QDateTime::currentDateTimeUtc())) < 60;
}

// Reads raw bytes until `marker` arrived or the connection closed (bounded in time).
QByteArray readUntil(QTcpSocket& s, QByteArrayView marker, int timeoutMs = 5000)
{
    QByteArray all;
    QDeadlineTimer deadline(timeoutMs);
    while (!all.contains(marker) && !deadline.hasExpired()) {
        if (s.bytesAvailable() == 0 && !s.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime()))))
            break;
        all += s.readAll();
    }
    return all + s.readAll();
}

const QByteArray kChunkedHead = "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
} // namespace

class TestStrictness : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void request_data();
    void request();
    void underscoreHeadersForwardedWhenConfigured();
    void earlyHintsForwarded();
    void noInterimResponseToHttp10Client();
    void oneHundredContinueOnlyOnce();
    void bodilessResponsesIgnoreTheirContentLength_data();
    void bodilessResponsesIgnoreTheirContentLength();
    void dateAddedOnlyWhenMissing();
};

void TestStrictness::request_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArrayList>("forwarded"); // accepted: lines the forwarded head contains
    QTest::addColumn<QByteArrayList>("notForwarded"); // accepted: text the forwarded request lacks
    QTest::addColumn<QByteArray>("body"); // accepted: the body as the backend decoded it
    const QByteArrayList none;

    // 4: Host is never hop-by-hop
    QTest::newRow("Connection: Host") << QByteArray("GET /h HTTP/1.1\r\nHost: example.test\r\nConnection: Host\r\n\r\n")
                                      << 200 << QByteArrayList{"GET /h HTTP/1.1\r\n", "\r\nHost: example.test\r\n"}
                                      << QByteArrayList{"Host: \r\n"} << QByteArray();
    // 5: Host and the authority of an absolute-form target
    for (const char* host :
         {"a b", "a/b", "a\tb", "a,b", "user@host", "host:http", "host:99999", "[::1", "[fe80::1%25eth0]", "h\xc3\xa9"})
        QTest::addRow("Host %s", host) << "GET / HTTP/1.1\r\nHost: " + QByteArray(host) + "\r\n\r\n"
                                       << 400 << none << none << QByteArray();
    QTest::newRow("empty Host") << QByteArray("GET / HTTP/1.1\r\nHost:\r\n\r\n") << 400 << none << none << QByteArray();
    QTest::newRow("absolute-form userinfo")
        << QByteArray("GET http://user@example.test/ HTTP/1.1\r\nHost: example.test\r\n\r\n") << 400 << none << none
        << QByteArray();
    QTest::newRow("absolute-form bad port")
        << QByteArray("GET http://example.test:x/ HTTP/1.1\r\nHost: example.test\r\n\r\n") << 400 << none << none
        << QByteArray();
    QTest::newRow("Host with port") << QByteArray("GET / HTTP/1.1\r\nHost: example.test:8080\r\n\r\n") << 200
                                    << QByteArrayList{"\r\nHost: example.test:8080\r\n"} << none << QByteArray();
    QTest::newRow("Host IPv6") << QByteArray("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n") << 200
                               << QByteArrayList{"\r\nHost: [::1]:80\r\n"} << none << QByteArray();
    QTest::newRow("absolute-form") << QByteArray("GET http://example.test:81/p?q=1 HTTP/1.1\r\nHost: other\r\n\r\n")
                                   << 200 << QByteArrayList{"GET /p?q=1 HTTP/1.1\r\n", "\r\nHost: example.test:81\r\n"}
                                   << QByteArrayList{"other"} << QByteArray();
    QTest::newRow("absolute-form, query only")
        << QByteArray("GET http://example.test?q HTTP/1.1\r\nHost: example.test\r\n\r\n") << 200
        << QByteArrayList{"GET /?q HTTP/1.1\r\n", "\r\nHost: example.test\r\n"} << none << QByteArray();
    // 6, 7: empty names, folding
    QTest::newRow("empty field name") << QByteArray("GET / HTTP/1.1\r\nHost: h\r\n: x\r\n\r\n") << 400 << none << none
                                      << QByteArray();
    QTest::newRow("fold after empty value")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n 3\r\n\r\nabc") << 400 << none << none
        << QByteArray();
    QTest::newRow("fold after a value") << QByteArray("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n") << 400 << none
                                        << none << QByteArray();
    // 8: transfer codings
    QTest::newRow("TE gzip, chunked") << kChunkedHead.chopped(11) + "gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                                      << 501 << none << none << QByteArray();
    QTest::newRow("TE empty with CL")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\nContent-Length: 3\r\n\r\nabc") << 400 << none
        << none << QByteArray();
    QTest::newRow("TE chunked, gzip") << kChunkedHead.chopped(11) + "chunked, gzip\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                                      << 400 << none << none << QByteArray();
    QTest::newRow("TE identity") << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\nabc")
                                 << 400 << none << none << QByteArray();
    // 9: underscores
    QTest::newRow("Transfer_Encoding dropped")
        << QByteArray("POST /u HTTP/1.1\r\nHost: h\r\nTransfer_Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello")
        << 200 << QByteArrayList{"\r\nContent-Length: 5\r\n"} << QByteArrayList{"Transfer_Encoding", "chunked"}
        << QByteArray("hello");
    QTest::newRow("Content_Length dropped")
        << QByteArray("GET /u HTTP/1.1\r\nHost: h\r\nContent_Length: 5\r\nX-Keep: 1\r\n\r\n") << 200
        << QByteArrayList{"\r\nX-Keep: 1\r\n"} << QByteArrayList{"Content_Length"} << QByteArray();
    // 10: chunk extensions
    QTest::newRow("chunk extensions") << kChunkedHead + "5;a=1;b=2\r\nhello\r\n6 ;c=\"x y\"\r\n world\r\n0;d\r\n\r\n"
                                      << 200 << QByteArrayList{"\r\nTransfer-Encoding: chunked\r\n"}
                                      << QByteArrayList{"a=1", "c=", ";d"} << QByteArray("hello world");
    QTest::newRow("chunk ext without name") << kChunkedHead + "5;\r\nhello\r\n0\r\n\r\n"
                                            << 400 << none << none << QByteArray();
    QTest::newRow("blank after chunk size") << kChunkedHead + "5 \r\nhello\r\n0\r\n\r\n"
                                            << 400 << none << none << QByteArray();
    // 11: request lines and versions
    QTest::newRow("tab in request line") << QByteArray("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n") << 400 << none << none
                                         << QByteArray();
    QTest::newRow("binary request line") << QByteArray("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n") << 400
                                         << none << none << QByteArray();
    QTest::newRow("100 KB method") << QByteArray(100 * 1024, 'A') + " / HTTP/1.1\r\nHost: h\r\n\r\n"
                                   << 400 << none << none << QByteArray();
    QTest::newRow("unknown method") << QByteArray("BREW / HTTP/1.1\r\nHost: h\r\n\r\n") << 501 << none << none
                                    << QByteArray();
    QTest::newRow("HTTP/1.2") << QByteArray("GET /v HTTP/1.2\r\nHost: h\r\n\r\n") << 200
                              << QByteArrayList{"GET /v HTTP/1.1\r\n"} << none << QByteArray();
    QTest::newRow("HTTP/2.0") << QByteArray("GET / HTTP/2.0\r\nHost: h\r\n\r\n") << 505 << none << none << QByteArray();
    QTest::newRow("HTTP/3.0") << QByteArray("GET / HTTP/3.0\r\nHost: h\r\n\r\n") << 505 << none << none << QByteArray();
}

// Every answer carries a Date (13); a refused request closes the connection and never reached the backend.
void TestStrictness::request()
{
    QFETCH(QByteArray, raw);
    QFETCH(int, status);
    QFETCH(QByteArrayList, forwarded);
    QFETCH(QByteArrayList, notForwarded);
    QFETCH(QByteArray, body);
    RecordingBackend backend;
    ProxyInFront f(backend.port());
    QVERIFY(f.ok);
    TestHttpConnection c;
    QVERIFY(c.connectTo(f.port()));
    const auto r = c.request(raw);
    QVERIFY(r);
    QCOMPARE(r->status(), status);
    if (status != 200) {
        QCOMPARE(r->head.header("Connection"), QByteArray("close"));
        QVERIFY(c.waitForClose());
        QCOMPARE(backend.connections(), 0);
        QVERIFY(backend.received().isEmpty());
        QVERIFY2(isCurrentHttpDate(r->head.header("Date")), r->head.header("Date").constData());
        return;
    }
    QCOMPARE(r->body, QByteArray("ok"));
    const QList<RecordingBackend::Request> seen = backend.requests();
    QCOMPARE(seen.size(), 1);
    QCOMPARE(seen[0].body, body);
    const QByteArray head = forwardedHead(backend);
    for (const QByteArray& line : forwarded)
        QVERIFY2(head.contains(line), head.constData());
    for (const QByteArray& text : notForwarded)
        QVERIFY2(!backend.received().contains(text), backend.received().constData());
    QVERIFY2(isCurrentHttpDate(r->head.header("Date")), r->head.header("Date").constData());
}

void TestStrictness::underscoreHeadersForwardedWhenConfigured()
{
    RecordingBackend backend;
    ProxySettings s = strictSettings();
    s.underscoresInHeaders = true;
    ProxyInFront f(backend.port(), s);
    const auto r = httpGet(f.port(), "/u", "X_Custom: 1\r\n");
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    QCOMPARE(backend.requests().value(0).head.header("X_Custom"), QByteArray("1"));
}

void TestStrictness::earlyHintsForwarded()
{
    ScriptedBackend hints([](const QByteArray&) {
        return ScriptedBackend::Reply{"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; "
                                      "rel=preload\r\nConnection: X-Hop\r\nX-Hop: 1\r\n\r\n"
                                      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"};
    });
    ProxyInFront f(hints.port());
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, f.port());
    QVERIFY(s.waitForConnected(5000));
    s.write(getRequest("/page"));
    const QByteArray all = readUntil(s, "\r\n\r\nok");
    QVERIFY2(all.startsWith("HTTP/1.1 103 Early Hints\r\n"), all.constData());
    const QByteArray interim = all.left(all.indexOf("\r\n\r\n") + 4);
    QVERIFY2(interim.contains("\r\nLink: </style.css>; rel=preload\r\n"), interim.constData());
    QVERIFY2(!interim.contains("X-Hop"), interim.constData()); // hop-by-hop, like in a final response
    QVERIFY2(all.sliced(interim.size()).startsWith("HTTP/1.1 200 OK\r\n"), all.constData());
    QVERIFY(all.endsWith("\r\n\r\nok"));
    // The connection goes on: the next exchange is whole.
    s.write(getRequest("/next"));
    QVERIFY(readUntil(s, "\r\n\r\nok").contains("HTTP/1.1 200 OK\r\n"));
}

void TestStrictness::noInterimResponseToHttp10Client()
{
    ScriptedBackend hints([](const QByteArray&) {
        return ScriptedBackend::Reply{
            "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"};
    });
    ProxyInFront f(hints.port());
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, f.port());
    QVERIFY(s.waitForConnected(5000));
    s.write("GET / HTTP/1.0\r\n\r\n");
    const QByteArray all = readUntil(s, "\r\n\r\nok");
    QVERIFY2(all.startsWith("HTTP/1.1 200 OK\r\n"), all.constData());
    QVERIFY(!all.contains("103"));
}

// A 304 may carry the Content-Length of the representation it stands for, and 1xx and 204 never have a
// body whatever they say (RFC 9112 6.3). Found by fuzz_response: the parser waited for those bytes, so
// the client got nothing until the upstream timeout, and a 103's "body" would eat the final response.
void TestStrictness::bodilessResponsesIgnoreTheirContentLength_data()
{
    QTest::addColumn<QByteArray>("reply");
    QTest::addColumn<QByteArray>("expectedStart");
    QTest::addColumn<QByteArray>("endMarker");
    QTest::newRow("304 with Content-Length")
        << QByteArray("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 5\r\n\r\n")
        << QByteArray("HTTP/1.1 304 Not Modified\r\n") << QByteArray("\r\n\r\n");
    QTest::newRow("204 with Content-Length") << QByteArray("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n")
                                             << QByteArray("HTTP/1.1 204 No Content\r\n") << QByteArray("\r\n\r\n");
    QTest::newRow("103 with Content-Length")
        << QByteArray("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\nContent-Length: 2\r\n\r\n"
                      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        << QByteArray("HTTP/1.1 103 Early Hints\r\n") << QByteArray("\r\n\r\nok");
}

void TestStrictness::bodilessResponsesIgnoreTheirContentLength()
{
    QFETCH(QByteArray, reply);
    QFETCH(QByteArray, expectedStart);
    QFETCH(QByteArray, endMarker);
    ScriptedBackend backend([reply](const QByteArray&) { return ScriptedBackend::Reply{reply}; });
    ProxyInFront f(backend.port());
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, f.port());
    QVERIFY(s.waitForConnected(5000));
    for (int i = 0; i < 2; ++i) { // the connection goes on: nothing is left half-read on either side
        s.write(getRequest("/cached"));
        const QByteArray all = readUntil(s, endMarker, 3000);
        QVERIFY2(all.startsWith(expectedStart), all.constData());
        QVERIFY2(all.endsWith(endMarker), all.constData());
        if (expectedStart.contains(" 103 "))
            QVERIFY2(all.contains("\r\n\r\nHTTP/1.1 200 OK\r\n"), all.constData());
    }
}

// The proxy answers Expect: 100-continue itself; a backend's own 100 is not passed on as a second one.
void TestStrictness::oneHundredContinueOnlyOnce()
{
    ScriptedBackend continuer([](const QByteArray&) {
        return ScriptedBackend::Reply{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"};
    });
    ProxyInFront f(continuer.port());
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, f.port());
    QVERIFY(s.waitForConnected(5000));
    s.write("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi");
    const QByteArray all = readUntil(s, "\r\n\r\nok");
    QCOMPARE(all.count("100 Continue"), 1);
    QVERIFY2(all.contains("HTTP/1.1 200 OK\r\n"), all.constData());
    QVERIFY(!continuer.lastHead().contains("Expect"));
}

void TestStrictness::dateAddedOnlyWhenMissing()
{
    ScriptedBackend dated([](const QByteArray&) {
        return ScriptedBackend::Reply{
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 2\r\n\r\nok"};
    });
    ProxyInFront f(dated.port());
    const auto r = httpGet(f.port(), "/");
    QVERIFY(r);
    QCOMPARE(r->head.headerCount("Date"), 1);
    QCOMPARE(r->head.header("Date"), QByteArray("Sun, 06 Nov 1994 08:49:37 GMT"));
    // and one on an error of the proxy's own: a backend that refuses connections
    quint16 closedPort = 0;
    {
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
        closedPort = closed.serverPort();
    }
    ProxyInFront nowhere(closedPort);
    const auto e = httpGet(nowhere.port(), "/");
    QVERIFY(e);
    QVERIFY(e->status() >= 502);
    QVERIFY2(isCurrentHttpDate(e->head.header("Date")), e->head.header("Date").constData());
}

QTEST_GUILESS_MAIN(TestStrictness)
#include "tst_strictness.moc"
