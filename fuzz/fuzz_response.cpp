// libFuzzer target: the response path, from backend bytes to the head the proxy sends its client.
//
// Input: the first byte picks how the rest is cut into reads (1..255 bytes, or all at once for 0); bit 0
// of the second byte says the request was a HEAD, bit 1 that the client spoke HTTP/1.0; the rest is what
// a backend sent. For every response the parser accepts, the head re-serialised for the client must parse
// back to the same status, an equivalent framing and the same end-to-end headers, with at most one
// framing header; and every parse error carries a status.

#include "FuzzSupport.h"
#include "http/HeaderRules.h"

#include <cstdint>

using namespace lab;
using namespace lab::http;

namespace {

// Dropped or replaced by serializeClientResponse (Content-Length is recomputed or passed on as it was;
// both are checked through the framing, so it is left out of the header comparison; so is Date, which
// the proxy adds when the backend sent none).
bool isRewrittenOnTheWay(QByteArrayView name, QByteArrayView connection)
{
    for (QByteArrayView n : {"Via", "X-Served-By", "Content-Length", "Date"}) {
        if (name.compare(n, Qt::CaseInsensitive) == 0)
            return true;
    }
    return isHopByHop(name, connection);
}

bool isAddedOnTheWay(QByteArrayView name)
{
    for (QByteArrayView n : {"Content-Length", "Transfer-Encoding", "Connection", "Via", "X-Served-By", "Date"}) {
        if (name.compare(n, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

// The framing HttpSession chooses for the client (see onResponseHead).
NextHopFraming downstreamFraming(const HttpHead& r, bool headRequest, bool client10)
{
    if (headRequest || r.statusCode == 204 || r.statusCode == 304 || r.statusCode < 200)
        return NextHopFraming::None;
    if (r.framing == BodyFraming::ContentLength || r.framing == BodyFraming::None)
        return NextHopFraming::ContentLength;
    return client10 ? NextHopFraming::UntilClose : NextHopFraming::Chunked;
}

void checkRoundTrip(const HttpHead& head, bool headRequest, bool client10)
{
    const NextHopFraming framing = downstreamFraming(head, headRequest, client10);
    ClientResponseInfo info;
    info.servedBy = "backend-8001";
    info.clientIsHttp10 = client10;
    info.closeConnection = client10;
    const QByteArray wire = serializeClientResponse(head, info, framing);

    fuzz::Collector back;
    HttpParser parser(HttpParser::Kind::Response, &back, fuzz::nextHopLimits());
    parser.setNextResponseHasNoBody(headRequest);
    const qsizetype used = parser.feed(wire);
    const QByteArray detail = "original:\n" + fuzz::describe(head) + "sent to the client:\n" + wire;
    LAB_FUZZ_CHECK(used == wire.size() || (used > 0 && parser.inMessage() && !parser.hasError()),
                   detail + "\nparse error: " + parser.error().reason);
    LAB_FUZZ_CHECK(back.heads.size() == 1, detail);
    const HttpHead& h = back.heads[0];
    LAB_FUZZ_CHECK(h.statusCode == head.statusCode, detail);
    LAB_FUZZ_CHECK(h.headerCount("Transfer-Encoding") +
                           (framing == NextHopFraming::None ? 0 : h.headerCount("Content-Length")) <=
                       1,
                   detail);
    switch (framing) {
    case NextHopFraming::ContentLength:
        LAB_FUZZ_CHECK(h.framing == BodyFraming::ContentLength ||
                           (h.framing == BodyFraming::None && head.contentLength == 0),
                       detail);
        LAB_FUZZ_CHECK(h.contentLength == head.contentLength, detail);
        break;
    case NextHopFraming::Chunked: LAB_FUZZ_CHECK(h.framing == BodyFraming::Chunked, detail); break;
    case NextHopFraming::UntilClose: LAB_FUZZ_CHECK(h.framing == BodyFraming::UntilClose, detail); break;
    case NextHopFraming::None: LAB_FUZZ_CHECK(h.framing == BodyFraming::None, detail); break;
    }

    const QByteArray connection = head.header("Connection");
    const QList<HttpHeader> expected =
        fuzz::fieldsWhere(head.headers, [&](QByteArrayView n) { return !isRewrittenOnTheWay(n, connection); });
    const QList<HttpHeader> got = fuzz::fieldsWhere(h.headers, [](QByteArrayView n) { return !isAddedOnTheWay(n); });
    fuzz::checkSameFields(got, expected, detail);
}

// A 1xx the proxy passes on (103 Early Hints): one head, same status, same end-to-end headers, no body.
void checkInterimRoundTrip(const HttpHead& head)
{
    const QByteArray wire = serializeInterimResponse(head);
    fuzz::Collector back;
    HttpParser parser(HttpParser::Kind::Response, &back, fuzz::nextHopLimits());
    const qsizetype used = parser.feed(wire);
    const QByteArray detail = "original:\n" + fuzz::describe(head) + "sent to the client:\n" + wire;
    LAB_FUZZ_CHECK(used == wire.size() && back.completed == 1, detail + "\nparse error: " + parser.error().reason);
    LAB_FUZZ_CHECK(back.heads[0].statusCode == head.statusCode, detail);
    const QByteArray connection = head.header("Connection");
    const auto notDate = [](QByteArrayView n) {
        return n.compare("Date", Qt::CaseInsensitive) != 0;
    };
    const QList<HttpHeader> expected =
        fuzz::fieldsWhere(head.headers, [&](QByteArrayView n) { return !isHopByHop(n, connection) && notDate(n); });
    fuzz::checkSameFields(fuzz::fieldsWhere(back.heads[0].headers, notDate), expected, detail);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 2)
        return 0;
    const qsizetype piece = data[0] == 0 ? qsizetype(size) : qsizetype(data[0]);
    const bool headRequest = data[1] & 1;
    const bool client10 = data[1] & 2;
    const QByteArrayView input(reinterpret_cast<const char*>(data + 2), qsizetype(size - 2));

    fuzz::Collector c;
    HttpParser parser(HttpParser::Kind::Response, &c);
    parser.setNextResponseHasNoBody(headRequest);
    if (fuzz::feedInPieces(parser, input, piece))
        parser.finish();
    // The collector never stops the parser, so every error must carry a status (HttpSession answers 502).
    LAB_FUZZ_CHECK(!parser.hasError() || parser.error().status != 0, parser.error().reason);
    for (qsizetype i = 0; i < c.heads.size(); ++i) {
        const HttpHead& h = c.heads[i];
        if (h.framing == BodyFraming::ContentLength) {
            LAB_FUZZ_CHECK(quint64(c.bodies[i].size()) <= h.contentLength, fuzz::describe(h));
            LAB_FUZZ_CHECK(i >= c.completed || quint64(c.bodies[i].size()) == h.contentLength, fuzz::describe(h));
        }
        // Only the first response answers the HEAD: the wrapper applies the flag to one message.
        if (h.statusCode >= 200)
            checkRoundTrip(h, headRequest && i == 0, client10);
        else if (h.statusCode != 101 && !client10)
            checkInterimRoundTrip(h);
    }
    return 0;
}
