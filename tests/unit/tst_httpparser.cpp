#include "http/HeadPool.h"
#include "http/HeaderRules.h"
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

// Takes each head out of the parser as HttpSession does (a swap: no copy), into `kept`.
struct Swapper final : HttpParserHandler {
    HttpHead kept;
    bool onHead(HttpHead& h) override
    {
        std::swap(kept, h);
        return true;
    }
    void onBody(QByteArrayView) override { }
    void onMessageComplete() override { }
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
    void headsBetweenMessagesGoToThePool();
    void headPoolIsBounded();
    void pipelinedRequestsStopAfterEachMessage();
    void byteByByte();
    void chunkedBodyIsDecoded();
    void malformedRequests_data();
    void malformedRequests();
    void acceptedRequests_data();
    void acceptedRequests();
    void responseChunkExtensions();
    void limits_data();
    void limits();
    void responseToHeadHasNoBody();
    void responseUntilClose();
    void truncatedResponseIsAnError();
    void responseStatusOutsideTheRfcRange_data();
    void responseStatusOutsideTheRfcRange();
    void headerHelpers();
    void jsonEscaping();
    void authorities_data();
    void authorities();
    void hostIsNeverHopByHop();
    void forwardedProtoSaysHowTheClientCame_data();
    void forwardedProtoSaysHowTheClientCame();
    void httpDate();
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

void TestHttpParser::headsBetweenMessagesGoToThePool()
{
    // What an idle keep-alive connection holds between requests: no head. Its last request's head and
    // the parser's spare fields go to the thread's pool, and the next request is parsed into the same
    // buffers (no allocation per request).
    HeadPool& pool = HeadPool::local();
    while (pool.size() > 0)
        (void)pool.take();
    const QByteArray value(200, 'v');
    const QByteArray request = "GET /a HTTP/1.1\r\nHost: x\r\nX-Long: " + value + "\r\n\r\n";
    Swapper s;
    HttpParser p(HttpParser::Kind::Request, &s);
    QVERIFY(feedAll(p, request));
    QCOMPARE(s.kept.header("X-Long"), value);
    const char* buffer = s.kept.headers.at(1).value.constData();

    pool.give(s.kept);
    p.releaseHead();
    QCOMPARE(s.kept.headers.capacity(), 0); // the connection holds nothing now
    QVERIFY(s.kept.target.isNull());
    QCOMPARE(pool.size(), 1);

    QVERIFY(feedAll(p, "GET /b HTTP/1.1\r\nHost: y\r\nX-Long: " + value + "\r\n\r\n"));
    QCOMPARE(pool.size(), 0); // taken back by the parser when the message began
    QCOMPARE(s.kept.target, QByteArray("/b"));
    QCOMPARE(s.kept.header("Host"), QByteArray("y"));
    QCOMPARE(s.kept.headers.at(1).value.constData(), buffer); // the same buffer, overwritten in place

    // Inside a message the parser keeps what it is filling.
    QVERIFY(p.feed("GET /c HTTP/1.1\r\nHost: z\r\n") > 0);
    QVERIFY(p.inMessage());
    p.releaseHead();
    QCOMPARE(pool.size(), 0);
    QVERIFY(feedAll(p, "\r\n"));
    QCOMPARE(s.kept.target, QByteArray("/c"));
}

void TestHttpParser::headPoolIsBounded()
{
    HeadPool& pool = HeadPool::local();
    while (pool.size() > 0)
        (void)pool.take();
    HttpHead empty;
    pool.give(empty);
    QCOMPARE(pool.size(), 0); // nothing worth keeping

    HttpHead wide;
    wide.target = "/";
    for (qsizetype i = 0; i <= HeadPool::kMaxFields; ++i)
        wide.headers.append(HttpHeader{"X-" + QByteArray::number(i), "v"});
    pool.give(wide);
    QCOMPARE(pool.size(), 0); // too many fields: freed, not kept
    QVERIFY(wide.headers.isEmpty());

    for (int i = 0; i < HeadPool::kKeep + 10; ++i) {
        HttpHead h;
        h.target = "/x";
        h.headers.append(HttpHeader{"Host", "x"});
        pool.give(h);
    }
    QCOMPARE(pool.size(), HeadPool::kKeep);
    while (pool.size() > 0)
        QCOMPARE(pool.take().headers.size(), 1);
    QVERIFY(pool.take().headers.isEmpty()); // an empty pool hands out a new, empty head
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
    QVERIFY(feedAll(p,
                    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
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
    QTest::newRow("CL and TE") << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: "
                                             "3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                               << 400;
    QTest::newRow("two Content-Length")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd") << 400;
    QTest::newRow("bad chunk size")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n") << 400;
    QTest::newRow("bad header name") << QByteArray("GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n") << 400;
    QTest::newRow("negative length") << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n") << 400;
    QTest::newRow("bare LF") << QByteArray("GET / HTTP/1.1\nHost: h\n\n") << 400;
    QTest::newRow("HTTP/9.7") << QByteArray("GET / HTTP/9.7\r\nHost: h\r\n\r\n") << 505;
    QTest::newRow("HTTP/2.0") << QByteArray("GET / HTTP/2.0\r\nHost: h\r\n\r\n") << 505;
    QTest::newRow("HTTP/0.5") << QByteArray("GET / HTTP/0.5\r\nHost: h\r\n\r\n") << 505;
    QTest::newRow("two-digit minor") << QByteArray("GET / HTTP/1.10\r\nHost: h\r\n\r\n") << 400;
    QTest::newRow("unknown method") << QByteArray("FROB / HTTP/1.1\r\nHost: h\r\n\r\n") << 501;
    QTest::newRow("space before colon") << QByteArray("GET / HTTP/1.1\r\nHost : h\r\n\r\n") << 400;
    QTest::newRow("obs-fold") << QByteArray("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n") << 400;
    QTest::newRow("obs-fold tab") << QByteArray("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n") << 400;
    QTest::newRow("TE not chunked last")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n") << 400;
    QTest::newRow("empty field name") << QByteArray("GET / HTTP/1.1\r\nHost: h\r\n: x\r\n\r\n") << 400;
    QTest::newRow("fold after empty value")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n 3\r\n\r\nabc") << 400;
    QTest::newRow("fold after empty value, tab") << QByteArray("GET / HTTP/1.1\r\nHost: h\r\nX:\r\n\tb\r\n\r\n") << 400;
    QTest::newRow("fold in a trailer")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: a\r\n b\r\n\r\n") << 400;
    QTest::newRow("TE gzip, chunked")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n") << 501;
    QTest::newRow("TE gzip then chunked headers")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: "
                      "chunked\r\n\r\n0\r\n\r\n")
        << 501;
    QTest::newRow("TE chunked in two headers")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
                      "chunked\r\n\r\n0\r\n\r\n")
        << 400;
    QTest::newRow("TE identity") << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n")
                                 << 400;
    QTest::newRow("TE empty with CL")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\nContent-Length: 3\r\n\r\nabc") << 400;
    QTest::newRow("TE empty") << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\n\r\n") << 400;
    QTest::newRow("TE in HTTP/1.0") << QByteArray("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                                    << 400;
    QTest::newRow("tab after method") << QByteArray("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n") << 400;
    QTest::newRow("tab after unknown method") << QByteArray("FROB\t/ HTTP/1.1\r\nHost: h\r\n\r\n") << 400;
    QTest::newRow("binary request line") << QByteArray("\x01\x02\xff / HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("100 KB method") << QByteArray(100 * 1024, 'A') + " / HTTP/1.1\r\nHost: h\r\n\r\n" << 400;
    QTest::newRow("unknown method, known prefix") << QByteArray("GETX / HTTP/1.1\r\nHost: h\r\n\r\n") << 501;
    const QByteArray chunkedHead = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    QTest::newRow("chunk ext without name") << chunkedHead + "5;\r\nhello\r\n0\r\n\r\n" << 400;
    QTest::newRow("chunk ext without value") << chunkedHead + "5;a=\r\nhello\r\n0\r\n\r\n" << 400;
    QTest::newRow("blank after chunk size") << chunkedHead + "5 \r\nhello\r\n0\r\n\r\n" << 400;
    QTest::newRow("blank after chunk ext") << chunkedHead + "5;a=1 \r\nhello\r\n0\r\n\r\n" << 400;
    QTest::newRow("chunk ext two words") << chunkedHead + "5;a b\r\nhello\r\n0\r\n\r\n" << 400;
    QTest::newRow("chunk ext open quote") << chunkedHead + "5;a=\"x\r\nhello\r\n0\r\n\r\n" << 400;
    QTest::newRow("chunk ext bare LF") << chunkedHead + "5;a\nhello\r\n0\r\n\r\n" << 400;
    QTest::newRow("chunk ext bare CR") << chunkedHead + "5;a\rb\r\nhello\r\n0\r\n\r\n" << 400;
    QTest::newRow("chunk ext too long") << chunkedHead + "5;a=" + QByteArray(5000, 'x') + "\r\nhello\r\n0\r\n\r\n"
                                        << 400;
    QTest::newRow("chunk size overflow") << chunkedHead + "fffffffffffffffff;a\r\nhello\r\n0\r\n\r\n" << 400;
    QTest::newRow("chunk size missing") << chunkedHead + ";a=1\r\nhello\r\n0\r\n\r\n" << 400;
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

void TestHttpParser::acceptedRequests_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<int>("minor");
    QTest::addColumn<QByteArray>("body");
    const QByteArray chunkedHead = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    QTest::newRow("chunk extensions") << chunkedHead +
            "5;a=1;b=2\r\nhello\r\n6 ;x = \"y \\\" z\"\t; n\r\n world\r\n0;end\r\n\r\n"
                                      << 1 << QByteArray("hello world");
    QTest::newRow("chunk extension, trailer") << chunkedHead + "3;a\r\nabc\r\n0\r\nT: 1\r\n\r\n"
                                              << 1 << QByteArray("abc");
    QTest::newRow("HTTP/1.2 is 1.1") << QByteArray("GET / HTTP/1.2\r\nHost: h\r\n\r\n") << 1 << QByteArray();
    QTest::newRow("HTTP/1.9 is 1.1") << QByteArray("POST / HTTP/1.9\r\nHost: h\r\nContent-Length: 2\r\n\r\nok") << 1
                                     << QByteArray("ok");
    QTest::newRow("empty value") << QByteArray("GET / HTTP/1.1\r\nX:\r\nHost: h\r\n\r\n") << 1 << QByteArray();
    QTest::newRow("TE list, empty element")
        << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: , Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n") << 1
        << QByteArray("ok");
}

// The same verdict whether the bytes arrive at once or one by one.
void TestHttpParser::acceptedRequests()
{
    QFETCH(QByteArray, raw);
    QFETCH(int, minor);
    QFETCH(QByteArray, body);
    for (const bool byteByByte : {false, true}) {
        Recorder r;
        HttpParser p(HttpParser::Kind::Request, &r);
        if (byteByByte) {
            for (char c : raw)
                QCOMPARE(p.feed(QByteArrayView(&c, 1)), 1);
        } else {
            QVERIFY2(feedAll(p, raw), p.error().reason.constData());
        }
        QCOMPARE(r.completed, 1);
        QCOMPARE(r.heads[0].versionMajor, 1);
        QCOMPARE(r.heads[0].versionMinor, minor);
        QVERIFY(r.heads[0].keepAlive);
        QCOMPARE(r.bodies[0], body);
    }
}

void TestHttpParser::responseChunkExtensions()
{
    Recorder r;
    HttpParser p(HttpParser::Kind::Response, &r);
    QVERIFY(feedAll(p,
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 ; a=1;b\r\nok\r\n0\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"));
    QCOMPARE(r.completed, 2);
    QCOMPARE(r.bodies[0], QByteArray("ok"));
    QCOMPARE(r.bodies[1], QByteArray("x"));
    Recorder bad;
    HttpParser q(HttpParser::Kind::Response, &bad);
    QVERIFY(!feedAll(q, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;\r\nok\r\n0\r\n\r\n"));
    QCOMPARE(q.error().status, 502);
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

// Found by fuzz_response: "HTTP/1.1 000" passed for an interim response and was forwarded to the client.
void TestHttpParser::responseStatusOutsideTheRfcRange_data()
{
    QTest::addColumn<QByteArray>("statusLine");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("000") << QByteArray("HTTP/1.1 000 Zero") << false;
    QTest::newRow("099") << QByteArray("HTTP/1.1 099 Low") << false;
    QTest::newRow("100") << QByteArray("HTTP/1.1 100 Continue") << true;
    QTest::newRow("599") << QByteArray("HTTP/1.1 599 Custom") << true;
    QTest::newRow("600") << QByteArray("HTTP/1.1 600 High") << false;
    QTest::newRow("999") << QByteArray("HTTP/1.1 999 Nine") << false;
}

void TestHttpParser::responseStatusOutsideTheRfcRange()
{
    QFETCH(QByteArray, statusLine);
    QFETCH(bool, accepted);
    Recorder r;
    HttpParser p(HttpParser::Kind::Response, &r);
    QCOMPARE(feedAll(p, statusLine + "\r\nContent-Length: 0\r\n\r\n"), accepted);
    QCOMPARE(r.heads.size(), accepted ? 1 : 0);
    if (!accepted)
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

void TestHttpParser::authorities_data()
{
    QTest::addColumn<QByteArray>("authority");
    QTest::addColumn<bool>("valid");
    const QList<QPair<const char*, bool>> rows = {
        {"example.test", true},  {"example.test:8080", true},
        {"EXAMPLE.test:", true}, {"127.0.0.1:80", true},
        {"[::1]", true},         {"[::1]:443", true},
        {"a-b_c~d.e", true},     {"x%41y", true},
        {"a!$&'()*+;=b", true},  {"", false},
        {"a b", false},          {"a/b", false},
        {"a\tb", false},         {"a,b", false},
        {"user@host", false},    {"host:http", false},
        {"host:65536", false},   {"host:000080", false},
        {":80", false},          {"[::1", false},
        {"[::1]x", false},       {"[fe80::1%25eth0]", false},
        {"[v1.x]", false},       {"[1.2.3.4]", false},
        {"x%4", false},          {"x%zz", false},
        {"h\xc3\xa9", false},    {"a:1:2", false},
    };
    for (const auto& [authority, valid] : rows)
        QTest::newRow(authority) << QByteArray(authority) << valid;
}

void TestHttpParser::authorities()
{
    QFETCH(QByteArray, authority);
    QFETCH(bool, valid);
    QCOMPARE(isValidAuthority(authority), valid);
}

void TestHttpParser::hostIsNeverHopByHop()
{
    QVERIFY(!isHopByHop("Host", "Host, close"));
    QVERIFY(isHopByHop("X-Secret", "Host, X-Secret"));
    HttpHead h;
    h.method = "GET";
    h.headers = {{"Host", "example.test"}, {"Connection", "Host"}};
    const QByteArray out = serializeUpstreamRequest(h, {"10.0.0.1", {}, "/", false}, NextHopFraming::None);
    QVERIFY2(out.contains("\r\nHost: example.test\r\n"), out.constData());
    QCOMPARE(out.count("Host:"), 1);
}

void TestHttpParser::forwardedProtoSaysHowTheClientCame_data()
{
    QTest::addColumn<bool>("https");
    QTest::addColumn<QByteArray>("clientSent"); // the client's own X-Forwarded-Proto, never believed
    QTest::addColumn<QByteArray>("proto");
    QTest::newRow("plain") << false << QByteArray() << QByteArray("http");
    QTest::newRow("tls") << true << QByteArray() << QByteArray("https");
    QTest::newRow("plain, client claims https") << false << QByteArray("https") << QByteArray("http");
    QTest::newRow("tls, client claims http") << true << QByteArray("http") << QByteArray("https");
}

void TestHttpParser::forwardedProtoSaysHowTheClientCame()
{
    QFETCH(bool, https);
    QFETCH(QByteArray, clientSent);
    QFETCH(QByteArray, proto);
    HttpHead h;
    h.method = "GET";
    h.headers = {{"Host", "example.test"}};
    if (!clientSent.isEmpty())
        h.headers.append({"X-Forwarded-Proto", clientSent});
    const QByteArray out = serializeUpstreamRequest(h, {"10.0.0.1", {}, "/", https}, NextHopFraming::None);
    QVERIFY2(out.contains(QByteArray("\r\nX-Forwarded-Proto: " + proto + "\r\n")), out.constData());
    QCOMPARE(out.count("X-Forwarded-Proto:"), 1);
    QVERIFY(out.contains("\r\nX-Forwarded-For: 10.0.0.1\r\n"));
}

void TestHttpParser::httpDate()
{
    QCOMPARE(formatHttpDate(784111777), QByteArray("Sun, 06 Nov 1994 08:49:37 GMT")); // RFC 9110's example
    QCOMPARE(formatHttpDate(0), QByteArray("Thu, 01 Jan 1970 00:00:00 GMT"));
    QCOMPARE(formatHttpDate(951782400), QByteArray("Tue, 29 Feb 2000 00:00:00 GMT"));
    const QByteArrayView now = currentHttpDate();
    QCOMPARE(now.size(), 29);
    QVERIFY(now.endsWith(" GMT"));
    QCOMPARE(currentHttpDate().data(), now.data()); // formatted once, kept per thread
}

QTEST_GUILESS_MAIN(TestHttpParser)
#include "tst_httpparser.moc"
