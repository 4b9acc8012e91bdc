#include "http/HttpParser.h"

#include <QTest>

using namespace lab::http;

namespace {
// Collects what the parser reports.
struct Recorder final : HttpParserHandler {
    QList<HttpHead> heads;
    QList<QByteArray> bodies;
    int completed = 0;
    bool onHead(HttpHead& h) override
    {
        heads << h;
        bodies << QByteArray();
        return true;
    }
    void onBody(QByteArrayView d) override { bodies.last().append(d); }
    void onMessageComplete() override { ++completed; }
};

// Feeds everything, message by message, as a connection would. Returns false on a parse error.
bool feedAll(HttpParser& p, QByteArray data)
{
    while (!data.isEmpty()) {
        const qsizetype used = p.feed(data);
        if (used < 0)
            return false;
        data.remove(0, used);
    }
    return true;
}
} // namespace

class TestHttpParser : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void simpleRequest();
    void pipelinedRequestsStopAfterEachMessage();
    void byteByByte();
    void chunkedBodyIsDecoded();
    void malformedRequests_data();
    void malformedRequests();
    void limits_data();
    void limits();
    void responseToHeadHasNoBody();
    void responseUntilClose();
    void truncatedResponseIsAnError();
    void headerHelpers();
    void jsonEscaping();
};

void TestHttpParser::simpleRequest()
{
    Recorder r;
    HttpParser p(HttpParser::Kind::Request, &r);
    QVERIFY(feedAll(p, "POST /a/b?x=1 HTTP/1.1\r\nHost: h\r\nX-Two:  spaced  \r\nContent-Length: 5\r\n\r\nhello"));
    QCOMPARE(r.completed, 1);
    const HttpHead& h = r.heads[0];
    QCOMPARE(h.method, QByteArray("POST"));
    QCOMPARE(h.target, QByteArray("/a/b?x=1"));
    QCOMPARE(h.path(), QByteArray("/a/b"));
    QCOMPARE(h.header("x-two"), QByteArray("spaced"));
    QCOMPARE(h.framing, BodyFraming::ContentLength);
    QCOMPARE(h.contentLength, quint64(5));
    QVERIFY(h.keepAlive);
    QCOMPARE(r.bodies[0], QByteArray("hello"));
}

void TestHttpParser::pipelinedRequestsStopAfterEachMessage()
{
    Recorder r;
    HttpParser p(HttpParser::Kind::Request, &r);
    const QByteArray first = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n";
    const QByteArray second = "GET /2 HTTP/1.0\r\n\r\n";
    const QByteArray both = first + second;
    QCOMPARE(p.feed(both), first.size());
    QCOMPARE(r.completed, 1);
    QCOMPARE(p.feed(QByteArrayView(both).sliced(first.size())), second.size());
    QCOMPARE(r.completed, 2);
    QCOMPARE(r.heads[1].target, QByteArray("/2"));
    QVERIFY(!r.heads[1].keepAlive); // HTTP/1.0 without keep-alive
    // a value split across two feeds is one value, not a fold
    Recorder r2;
    HttpParser p2(HttpParser::Kind::Request, &r2);
    QCOMPARE(p2.feed("GET / HTTP/1.1\r\nHost: h\r\nX: ab"), 30);
    QCOMPARE(p2.feed("cd\r\n\r\n"), 6);
    QCOMPARE(r2.heads[0].header("X"), QByteArray("abcd"));
    QVERIFY(r.heads[1].isHttp10());
}

void TestHttpParser::byteByByte()
{
    Recorder r;
    HttpParser p(HttpParser::Kind::Request, &r);
    const QByteArray msg = "PUT /x HTTP/1.1\r\nHost: h\r\nLong-Header: abcdefghijkl\r\nContent-Length: 3\r\n\r\nxyz";
    for (char c : msg)
        QCOMPARE(p.feed(QByteArrayView(&c, 1)), 1);
    QCOMPARE(r.completed, 1);
    QCOMPARE(r.heads[0].header("Long-Header"), QByteArray("abcdefghijkl"));
    QCOMPARE(r.bodies[0], QByteArray("xyz"));
}

void TestHttpParser::chunkedBodyIsDecoded()
{
    Recorder r;
    HttpParser p(HttpParser::Kind::Request, &r);
    QVERIFY(feedAll(p, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer-X: t\r\n\r\n"));
    QCOMPARE(r.completed, 1);
    QCOMPARE(r.heads[0].framing, BodyFraming::Chunked);
    QCOMPARE(r.bodies[0], QByteArray("hello world"));
    QCOMPARE(r.heads[0].headers.size(), 2); // the trailer is not added to the head
}

void TestHttpParser::malformedRequests_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<int>("status");
    QTest::newRow("CL and TE") << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") << 400;
    QTest::newRow("two Content-Length") << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd") << 400;
    QTest::newRow("bad chunk size") << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n") << 400;
    QTest::newRow("bad header name") << QByteArray("GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n") << 400;
    QTest::newRow("negative length") << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n") << 400;
    QTest::newRow("bare LF") << QByteArray("GET / HTTP/1.1\nHost: h\n\n") << 400;
    QTest::newRow("bad version") << QByteArray("GET / HTTP/9.7\r\nHost: h\r\n\r\n") << 400;
    QTest::newRow("unknown method") << QByteArray("FROB / HTTP/1.1\r\nHost: h\r\n\r\n") << 501;
    QTest::newRow("space before colon") << QByteArray("GET / HTTP/1.1\r\nHost : h\r\n\r\n") << 400;
    QTest::newRow("obs-fold") << QByteArray("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n") << 400;
    QTest::newRow("obs-fold tab") << QByteArray("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n") << 400;
    QTest::newRow("TE not chunked last") << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n") << 400;
}

void TestHttpParser::malformedRequests()
{
    QFETCH(QByteArray, raw);
    QFETCH(int, status);
    Recorder r;
    HttpParser p(HttpParser::Kind::Request, &r);
    QVERIFY(!feedAll(p, raw));
    QVERIFY(p.hasError());
    QCOMPARE(p.error().status, status);
    QCOMPARE(r.completed, 0);
    QVERIFY(!p.error().reason.isEmpty());
    // The same bytes one at a time: the verdict must not depend on how the bytes arrive.
    Recorder r1;
    HttpParser p1(HttpParser::Kind::Request, &r1);
    bool failed = false;
    for (char c : raw) {
        if (p1.feed(QByteArrayView(&c, 1)) < 0) {
            failed = true;
            break;
        }
    }
    QVERIFY(failed);
    QCOMPARE(p1.error().status, status);
}

void TestHttpParser::limits_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<int>("status");
    QTest::newRow("long target") << "GET /" + QByteArray(300, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n" << 414;
    QTest::newRow("big head") << "GET / HTTP/1.1\r\nHost: h\r\nX: " + QByteArray(1100, 'b') + "\r\n\r\n" << 431;
    QByteArray many = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 11; ++i)
        many += "H" + QByteArray::number(i) + ": v\r\n";
    QTest::newRow("too many headers") << many + "\r\n" << 431;
}

void TestHttpParser::limits()
{
    QFETCH(QByteArray, raw);
    QFETCH(int, status);
    Recorder r;
    HttpParser p(HttpParser::Kind::Request, &r, HttpLimits{256, 1024, 10});
    QVERIFY(!feedAll(p, raw));
    QCOMPARE(p.error().status, status);
    QCOMPARE(r.heads.size(), 0);
}

void TestHttpParser::responseToHeadHasNoBody()
{
    Recorder r;
    HttpParser p(HttpParser::Kind::Response, &r);
    p.setNextResponseHasNoBody(true);
    const QByteArray first = "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n";
    QCOMPARE(p.feed(QByteArray(first + "HTTP/1.1 204 No Content\r\n\r\n")), first.size());
    QCOMPARE(r.completed, 1);
    QCOMPARE(r.heads[0].framing, BodyFraming::None);
    QVERIFY(feedAll(p, "HTTP/1.1 204 No Content\r\n\r\n"));
    QCOMPARE(r.completed, 2);
    QCOMPARE(r.heads[1].statusCode, 204);
}

void TestHttpParser::responseUntilClose()
{
    Recorder r;
    HttpParser p(HttpParser::Kind::Response, &r);
    QVERIFY(feedAll(p, "HTTP/1.0 200 OK\r\n\r\nsome body"));
    QCOMPARE(r.heads[0].framing, BodyFraming::UntilClose);
    QCOMPARE(r.completed, 0);
    QVERIFY(p.finish());
    QCOMPARE(r.completed, 1);
    QCOMPARE(r.bodies[0], QByteArray("some body"));
}

void TestHttpParser::truncatedResponseIsAnError()
{
    Recorder r;
    HttpParser p(HttpParser::Kind::Response, &r);
    QVERIFY(feedAll(p, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
    QVERIFY(!p.finish());
    QCOMPARE(p.error().status, 502);
}

void TestHttpParser::headerHelpers()
{
    HttpHead h;
    h.headers = {{"Connection", "keep-alive, X-Custom"}, {"X-Custom", "1"}, {"x-custom", "2"}};
    QVERIFY(headerListContains(h.header("connection"), "x-custom"));
    QVERIFY(!headerListContains(h.header("connection"), "close"));
    QCOMPARE(h.headerCount("X-CUSTOM"), 2);
    h.removeHeader("x-custom");
    QCOMPARE(h.headers.size(), 1);
    h.setHeader("Via", "1.1 lab");
    QCOMPARE(h.header("via"), QByteArray("1.1 lab"));
}

void TestHttpParser::jsonEscaping()
{
    QByteArray out;
    appendJsonEscaped(out, QByteArrayView("a\"b\\c\n\x01\xc3\xa9\xff", 10));
    QCOMPARE(out, QByteArray("a\\\"b\\\\c\\n\\u0001\xc3\xa9\xef\xbf\xbd"));
}

QTEST_GUILESS_MAIN(TestHttpParser)
#include "tst_httpparser.moc"
