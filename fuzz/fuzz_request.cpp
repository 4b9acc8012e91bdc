// libFuzzer target: the request path of the proxy, from client bytes to the head sent to a backend.
//
// Input: the first byte picks how the rest is cut into reads (1..255 bytes, or all at once for 0), the
// rest is what a client sent. For every request the parser accepts, the target checks what a proxy must
// guarantee before it forwards anything:
//   - the parser either accepts or answers with a client error status (never "stopped" without one);
//   - a Content-Length body arrives whole and no longer than announced;
//   - the proxy's own checks (checkAndNormalizeRequest, as HttpSession runs them) either refuse the
//     request with a client error, or leave a head with exactly one valid Host (or none, for HTTP/1.0),
//     an origin-form target and no header name with an underscore;
//   - that head re-serialised for the backend parses back, alone, to the same method, target, framing
//     and the same end-to-end headers in the same order: nothing added by a value, nothing lost, nothing
//     a backend could read differently from the proxy.

#include "FuzzSupport.h"
#include "http/HeaderRules.h"
#include "http/RequestRules.h"

#include <cstdint>

using namespace lab;
using namespace lab::http;

namespace {

bool isRewrittenOnTheWay(QByteArrayView name, QByteArrayView connection)
{
    // What serializeUpstreamRequest drops or replaces: hop-by-hop fields, framing it recomputes, Expect
    // (answered by the proxy) and the forwarding headers it appends to.
    for (QByteArrayView n : {"Content-Length", "Expect", "X-Forwarded-For", "X-Forwarded-Proto", "Via"}) {
        if (name.compare(n, Qt::CaseInsensitive) == 0)
            return true;
    }
    return isHopByHop(name, connection);
}

bool isAddedOnTheWay(QByteArrayView name)
{
    for (QByteArrayView n : {"Content-Length", "Transfer-Encoding", "X-Forwarded-For", "X-Forwarded-Proto", "Via"}) {
        if (name.compare(n, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

NextHopFraming nextHop(BodyFraming f)
{
    switch (f) {
    case BodyFraming::ContentLength: return NextHopFraming::ContentLength;
    case BodyFraming::Chunked: return NextHopFraming::Chunked;
    default: return NextHopFraming::None;
    }
}

void checkRoundTrip(const HttpHead& head)
{
    const NextHopFraming framing = nextHop(head.framing);
    UpstreamRequestInfo info{"127.0.0.1", QByteArray(), head.target, false}; // as HttpSession sends it
    const QByteArray wire = serializeUpstreamRequest(head, info, framing);

    fuzz::Collector back;
    HttpParser parser(HttpParser::Kind::Request, &back, fuzz::nextHopLimits());
    const qsizetype used = parser.feed(wire);
    const QByteArray detail = "original:\n" + fuzz::describe(head) + "sent upstream:\n" + wire;
    LAB_FUZZ_CHECK(used == wire.size(), detail + "\nparse error: " + parser.error().reason);
    LAB_FUZZ_CHECK(back.heads.size() == 1, detail);
    const HttpHead& h = back.heads[0];
    LAB_FUZZ_CHECK(h.method == head.method, detail);
    LAB_FUZZ_CHECK(h.target == head.target, detail);
    LAB_FUZZ_CHECK(h.framing == head.framing, detail);
    LAB_FUZZ_CHECK(h.contentLength == head.contentLength, detail);

    const QByteArray connection = head.header("Connection");
    const QList<HttpHeader> expected =
        fuzz::fieldsWhere(head.headers, [&](QByteArrayView n) { return !isRewrittenOnTheWay(n, connection); });
    QList<HttpHeader> got = fuzz::fieldsWhere(h.headers, [](QByteArrayView n) { return !isAddedOnTheWay(n); });
    if (!head.hasHeader("Host")) // HTTP/1.0 without Host: forwarded with an empty one (RFC 9112 3.2)
        got.removeIf([](const HttpHeader& x) { return x.name == "Host" && x.value.isEmpty(); });
    fuzz::checkSameFields(got, expected, detail);
    LAB_FUZZ_CHECK(h.headerCount("Host") == 1, detail);
    LAB_FUZZ_CHECK(head.hasHeader("Host") ? isValidAuthority(h.header("Host")) : h.header("Host").isEmpty(), detail);
    LAB_FUZZ_CHECK(h.headerCount("Content-Length") <= 1 && h.headerCount("Transfer-Encoding") <= 1, detail);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 1)
        return 0;
    const qsizetype piece = data[0] == 0 ? qsizetype(size) : qsizetype(data[0]);
    const QByteArrayView input(reinterpret_cast<const char*>(data + 1), qsizetype(size - 1));

    fuzz::Collector c;
    HttpParser parser(HttpParser::Kind::Request, &c);
    const bool ok = fuzz::feedInPieces(parser, input, piece);
    if (!ok) {
        const int status = parser.error().status;
        LAB_FUZZ_CHECK(status == 400 || status == 413 || status == 414 || status == 431 || status == 501 ||
                           status == 505,
                       "status " + QByteArray::number(status) + ": " + parser.error().reason);
    }
    for (qsizetype i = 0; i < c.heads.size(); ++i) {
        const HttpHead& h = c.heads[i];
        HttpHead forwarded = h;
        const RequestVerdict verdict = checkAndNormalizeRequest(forwarded, RequestRules{});
        if (!verdict) { // HttpSession answers and closes: nothing after this head is read
            LAB_FUZZ_CHECK(verdict.status >= 400 && verdict.status < 506, verdict.reason);
            break;
        }
        const bool complete = i < c.completed;
        if (h.framing == BodyFraming::ContentLength) {
            LAB_FUZZ_CHECK(quint64(c.bodies[i].size()) <= h.contentLength, fuzz::describe(h));
            LAB_FUZZ_CHECK(!complete || quint64(c.bodies[i].size()) == h.contentLength, fuzz::describe(h));
        }
        LAB_FUZZ_CHECK(h.framing != BodyFraming::UntilClose, fuzz::describe(h)); // a request never runs to close
        LAB_FUZZ_CHECK(forwarded.target.startsWith('/') || forwarded.target == "*", fuzz::describe(forwarded));
        LAB_FUZZ_CHECK(forwarded.headerCount("Host") == (forwarded.isHttp10() ? forwarded.headerCount("Host") : 1),
                       fuzz::describe(forwarded));
        for (const HttpHeader& x : forwarded.headers)
            LAB_FUZZ_CHECK(!x.name.contains('_'), fuzz::describe(forwarded));
        checkRoundTrip(forwarded);
    }
    return 0;
}
