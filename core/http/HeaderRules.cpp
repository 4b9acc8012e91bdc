#include "HeaderRules.h"

#include <QHostAddress>
#include <QVarLengthArray>
#include <charconv>
#include <cstring>
#include <ctime>
#include <utility>

namespace lab::http {

namespace {
char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? char(c + ('a' - 'A')) : c;
}

// `name` equals `lowerCase` (all lower case) ignoring case; the caller has checked the sizes match.
bool sameLetters(QByteArrayView name, QByteArrayView lowerCase)
{
    for (qsizetype i = 0; i < lowerCase.size(); ++i) {
        if (lower(name[i]) != lowerCase[i])
            return false;
    }
    return true;
}

// Writes a head at the end of `out`: sized once for what it will probably take, filled with one memcpy
// per piece, cut to what was written by finish(). A piece that does not fit grows the buffer (the
// estimate is never trusted with memory): QByteArray::append is an insert in Qt 6.4, and a dozen of them
// per head were 3-4 % of a worker's profile.
class HeadWriter {
public:
    HeadWriter(QByteArray& out, qsizetype estimate)
        : m_out(out)
    {
        const qsizetype at = out.size();
        out.resize(at + estimate);
        m_p = out.data() + at;
        m_end = out.data() + out.size();
    }
    Q_DISABLE_COPY_MOVE(HeadWriter)

    void put(QByteArrayView s)
    {
        if (s.isEmpty())
            return;
        if (m_end - m_p < s.size())
            grow(s.size());
        std::memcpy(m_p, s.data(), size_t(s.size()));
        m_p += s.size();
    }
    void header(QByteArrayView name, QByteArrayView value)
    {
        if (m_end - m_p < name.size() + value.size() + 4)
            grow(name.size() + value.size() + 4);
        put(name);
        *m_p++ = ':';
        *m_p++ = ' ';
        put(value);
        *m_p++ = '\r';
        *m_p++ = '\n';
    }
    // Decimal digits written in place: QByteArray::number would allocate for each one.
    void number(quint64 value)
    {
        if (m_end - m_p < 24)
            grow(24);
        m_p = std::to_chars(m_p, m_end, value).ptr;
    }
    void finish() { m_out.resize(m_p - m_out.constData()); }

private:
    void grow(qsizetype need)
    {
        const qsizetype at = m_p - m_out.constData();
        m_out.resize(m_out.size() + need + 256);
        m_p = m_out.data() + at;
        m_end = m_out.data() + m_out.size();
    }

    QByteArray& m_out;
    char* m_p;
    char* m_end;
};

constexpr qsizetype kHeaderOverhead = 4; // ": " and CRLF

// Always HTTP/1.1 towards the client (RFC 9110 6.2: a proxy sends its own version).
void writeStatusLine(HeadWriter& w, const HttpHead& response)
{
    w.put("HTTP/1.1 ");
    w.number(quint64(response.statusCode));
    w.put(" ");
    if (response.reason.isEmpty())
        w.put(reasonPhrase(response.statusCode));
    else
        w.put(response.reason);
    w.put("\r\n");
}

void writeVia(HeadWriter& w, QByteArrayView via)
{
    w.put("Via: ");
    if (!via.isEmpty()) {
        w.put(via);
        w.put(", ");
    }
    w.put("1.1 balancer-lab\r\n");
}

// What a head writer needs from the fields it copies: each one's kind, the first Connection, Via and
// X-Forwarded-For values, and a size estimate. One pass over the names.
struct FieldScan {
    QVarLengthArray<KnownHeader, 32> kinds;
    QByteArrayView connection;
    QByteArrayView via;
    QByteArrayView forwardedFor;
    bool hasConnection = false;
    bool hasVia = false;
    bool hasForwardedFor = false;
    qsizetype bytes = 0;

    explicit FieldScan(const QList<HttpHeader>& headers)
        : kinds(headers.size())
    {
        for (qsizetype i = 0; i < headers.size(); ++i) {
            const HttpHeader& h = headers[i];
            const KnownHeader k = classifyHeader(h.name);
            kinds[i] = k;
            bytes += h.name.size() + h.value.size() + kHeaderOverhead;
            if (k == KnownHeader::Connection && !std::exchange(hasConnection, true))
                connection = h.value;
            else if (k == KnownHeader::Via && !std::exchange(hasVia, true))
                via = h.value;
            else if (k == KnownHeader::XForwardedFor && !std::exchange(hasForwardedFor, true))
                forwardedFor = h.value;
        }
    }
    // Named by Connection (Host never is: see isHopByHop).
    bool namedByConnection(KnownHeader k, QByteArrayView name) const
    {
        return k != KnownHeader::Host && !connection.isEmpty() && headerListContains(connection, name);
    }
};
} // namespace

KnownHeader classifyHeader(QByteArrayView name)
{
    if (name.isEmpty())
        return KnownHeader::Other;
    const char first = lower(name[0]);
    const auto match = [&](QByteArrayView lowerCase, KnownHeader k) {
        return first == lowerCase[0] && sameLetters(name, lowerCase) ? k : KnownHeader::Other;
    };
    KnownHeader k = KnownHeader::Other;
    switch (name.size()) {
    case 2: k = match("te", KnownHeader::TE); break;
    case 3: k = match("via", KnownHeader::Via); break;
    case 4: k = first == 'h' ? match("host", KnownHeader::Host) : match("date", KnownHeader::Date); break;
    case 6: k = match("expect", KnownHeader::Expect); break;
    case 7: k = first == 't' ? match("trailer", KnownHeader::Trailer) : match("upgrade", KnownHeader::Upgrade); break;
    case 10:
        k = first == 'c' ? match("connection", KnownHeader::Connection) : match("keep-alive", KnownHeader::KeepAlive);
        break;
    case 11: k = match("x-served-by", KnownHeader::XServedBy); break;
    case 14: k = match("content-length", KnownHeader::ContentLength); break;
    case 15: k = match("x-forwarded-for", KnownHeader::XForwardedFor); break;
    case 17:
        k = first == 't' ? match("transfer-encoding", KnownHeader::TransferEncoding)
                         : match("x-forwarded-proto", KnownHeader::XForwardedProto);
        break;
    default: break;
    }
    if (k == KnownHeader::Other && name.size() >= 6 && first == 'p' && sameLetters(name.first(6), "proxy-"))
        return KnownHeader::ProxyPrefixed;
    return k;
}

bool isAlwaysHopByHop(KnownHeader kind)
{
    switch (kind) {
    case KnownHeader::Connection:
    case KnownHeader::KeepAlive:
    case KnownHeader::TE:
    case KnownHeader::Trailer:
    case KnownHeader::TransferEncoding:
    case KnownHeader::Upgrade:
    case KnownHeader::ProxyPrefixed: return true;
    default: return false;
    }
}

bool isHopByHop(QByteArrayView name, QByteArrayView connectionValue)
{
    const KnownHeader k = classifyHeader(name);
    if (k == KnownHeader::Host)
        return false;
    if (isAlwaysHopByHop(k))
        return true;
    return !connectionValue.isEmpty() && headerListContains(connectionValue, name);
}

namespace {
bool isRegNameByte(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return QByteArrayView("-._~!$&'()*+;=").contains(c); // unreserved and sub-delims, except ','
}

bool isHex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool isValidRegName(QByteArrayView host)
{
    for (qsizetype i = 0; i < host.size(); ++i) {
        if (host[i] == '%') { // pct-encoded
            if (i + 2 >= host.size() || !isHex(host[i + 1]) || !isHex(host[i + 2]))
                return false;
            i += 2;
        } else if (!isRegNameByte(host[i])) {
            return false;
        }
    }
    return !host.isEmpty();
}

bool isValidIpv6Literal(QByteArrayView literal)
{
    for (char c : literal) {
        if (!isHex(c) && c != ':' && c != '.')
            return false; // also refuses zone ids ("%25eth0") and IPvFuture ("v1.x")
    }
    return QHostAddress(QString::fromLatin1(literal)).protocol() == QAbstractSocket::IPv6Protocol;
}

bool isValidPort(QByteArrayView port)
{
    if (port.size() > 5)
        return false;
    int value = 0;
    for (char c : port) {
        if (c < '0' || c > '9')
            return false;
        value = value * 10 + (c - '0');
    }
    return value <= 65535; // empty is allowed: port = *DIGIT
}
} // namespace

bool isValidAuthority(QByteArrayView authority)
{
    if (authority.startsWith('[')) {
        const qsizetype close = authority.indexOf(']');
        if (close < 0 || !isValidIpv6Literal(authority.sliced(1, close - 1)))
            return false;
        const QByteArrayView rest = authority.sliced(close + 1);
        return rest.isEmpty() || (rest.front() == ':' && isValidPort(rest.sliced(1)));
    }
    const qsizetype colon = authority.indexOf(':');
    if (colon < 0)
        return isValidRegName(authority);
    return isValidRegName(authority.first(colon)) && isValidPort(authority.sliced(colon + 1));
}

int removeHeadersWithUnderscore(HttpHead& head)
{
    return int(head.headers.removeIf([](const HttpHeader& h) { return h.name.contains('_'); }));
}

QByteArray serializeUpstreamRequest(const HttpHead& request, const UpstreamRequestInfo& info, NextHopFraming framing)
{
    QByteArray out;
    out.reserve(512);
    appendUpstreamRequest(out, request, info, framing);
    return out;
}

// One pass over the names (FieldScan), one over the fields to copy them: hop-by-hop ones and those the
// proxy sets itself are left out, then the proxy's own are added.
void appendUpstreamRequest(QByteArray& out, const HttpHead& request, const UpstreamRequestInfo& info,
                           NextHopFraming framing)
{
    const FieldScan scan(request.headers);
    HeadWriter w(out,
                 request.method.size() + info.target.size() + scan.bytes + info.hostFallback.size() +
                     scan.forwardedFor.size() + info.clientAddress.size() + scan.via.size() + 256);
    w.put(request.method);
    w.put(" ");
    w.put(info.target);
    w.put(" HTTP/1.1\r\n");
    bool hasHost = false;
    for (qsizetype i = 0; i < request.headers.size(); ++i) {
        const KnownHeader k = scan.kinds[i];
        const HttpHeader& h = request.headers[i];
        switch (k) {
        case KnownHeader::ContentLength:
        case KnownHeader::Expect:
        case KnownHeader::XForwardedFor:
        case KnownHeader::XForwardedProto:
        case KnownHeader::Via: continue;
        default: break;
        }
        if (isAlwaysHopByHop(k) || scan.namedByConnection(k, h.name))
            continue;
        hasHost = hasHost || k == KnownHeader::Host;
        w.header(h.name, h.value);
    }
    if (!hasHost)
        w.header("Host", info.hostFallback);
    w.put("X-Forwarded-For: ");
    if (!scan.forwardedFor.isEmpty()) {
        w.put(scan.forwardedFor);
        w.put(", ");
    }
    w.put(info.clientAddress);
    w.put(info.https ? "\r\nX-Forwarded-Proto: https\r\n" : "\r\nX-Forwarded-Proto: http\r\n");
    writeVia(w, scan.via);
    if (framing == NextHopFraming::ContentLength) {
        w.put("Content-Length: ");
        w.number(request.contentLength);
        w.put("\r\n");
    } else if (framing == NextHopFraming::Chunked) {
        w.header("Transfer-Encoding", "chunked");
    }
    w.put("\r\n");
    w.finish();
}

QByteArray serializeClientResponse(const HttpHead& response, const ClientResponseInfo& info, NextHopFraming framing)
{
    QByteArray out;
    out.reserve(512);
    appendClientResponse(out, response, info, framing);
    return out;
}

void appendClientResponse(QByteArray& out, const HttpHead& response, const ClientResponseInfo& info,
                          NextHopFraming framing)
{
    const FieldScan scan(response.headers);
    HeadWriter w(out,
                 response.reason.size() + scan.bytes + scan.via.size() + info.servedBy.size() + info.setCookie.size() +
                     200);
    writeStatusLine(w, response);
    const bool passLength = framing == NextHopFraming::None;
    bool hasDate = false;
    for (qsizetype i = 0; i < response.headers.size(); ++i) {
        const KnownHeader k = scan.kinds[i];
        const HttpHeader& h = response.headers[i];
        if (k == KnownHeader::Via || k == KnownHeader::XServedBy || (k == KnownHeader::ContentLength && !passLength))
            continue;
        if (isAlwaysHopByHop(k) || scan.namedByConnection(k, h.name))
            continue;
        hasDate = hasDate || k == KnownHeader::Date;
        w.header(h.name, h.value);
    }
    writeVia(w, scan.via);
    if (!hasDate)
        w.header("Date", currentHttpDate());
    if (!info.servedBy.isEmpty())
        w.header("X-Served-By", info.servedBy);
    if (!info.setCookie.isEmpty())
        w.header("Set-Cookie", info.setCookie);
    if (framing == NextHopFraming::ContentLength) {
        w.put("Content-Length: ");
        w.number(response.contentLength);
        w.put("\r\n");
    } else if (framing == NextHopFraming::Chunked) {
        w.header("Transfer-Encoding", "chunked");
    }
    if (info.closeConnection)
        w.header("Connection", "close");
    else if (info.clientIsHttp10 && info.clientWantsKeepAlive)
        w.header("Connection", "keep-alive");
    w.put("\r\n");
    w.finish();
}

QByteArray serializeInterimResponse(const HttpHead& response)
{
    QByteArray out;
    const FieldScan scan(response.headers);
    HeadWriter w(out, response.reason.size() + scan.bytes + 80);
    writeStatusLine(w, response);
    bool hasDate = false;
    for (qsizetype i = 0; i < response.headers.size(); ++i) {
        const KnownHeader k = scan.kinds[i];
        const HttpHeader& h = response.headers[i];
        if (isAlwaysHopByHop(k) || scan.namedByConnection(k, h.name))
            continue;
        hasDate = hasDate || k == KnownHeader::Date;
        w.header(h.name, h.value);
    }
    if (!hasDate)
        w.header("Date", currentHttpDate());
    w.put("\r\n");
    w.finish();
    return out;
}

QByteArray makeJsonResponse(int status, const QByteArray& jsonBody, bool closeConnection,
                            const QByteArray& extraHeaders)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    out += "Date: ";
    out += currentHttpDate();
    out += "\r\n";
    out += "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(jsonBody.size()) + "\r\n";
    out += "Cache-Control: no-store\r\n";
    out += extraHeaders;
    if (closeConnection)
        out += "Connection: close\r\n";
    out += "\r\n";
    out += jsonBody;
    return out;
}

void appendChunk(QByteArray& out, QByteArrayView data)
{
    if (data.isEmpty())
        return;
    out.append(QByteArray::number(data.size(), 16));
    out.append("\r\n");
    out.append(data);
    out.append("\r\n");
}

bool isIdempotentMethod(QByteArrayView m)
{
    return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS" || m == "TRACE";
}

namespace {
constexpr int kHttpDateBytes = 29;

void formatHttpDate(qint64 secondsSinceEpoch, char (&out)[kHttpDateBytes + 1])
{
    static constexpr char days[] = "SunMonTueWedThuFriSat";
    static constexpr char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const std::time_t t = std::time_t(secondsSinceEpoch);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char* p = out;
    const auto text = [&p](const char* s, int n) {
        std::memcpy(p, s, size_t(n));
        p += n;
    };
    const auto twoDigits = [&p](int v) {
        *p++ = char('0' + v / 10 % 10);
        *p++ = char('0' + v % 10);
    };
    const int year = qBound(0, tm.tm_year + 1900, 9999);
    text(days + 3 * tm.tm_wday, 3);
    text(", ", 2);
    twoDigits(tm.tm_mday);
    text(" ", 1);
    text(months + 3 * tm.tm_mon, 3);
    text(" ", 1);
    twoDigits(year / 100);
    twoDigits(year % 100);
    text(" ", 1);
    twoDigits(tm.tm_hour);
    text(":", 1);
    twoDigits(tm.tm_min);
    text(":", 1);
    twoDigits(tm.tm_sec);
    text(" GMT", 4);
    *p = '\0';
}
} // namespace

QByteArray formatHttpDate(qint64 secondsSinceEpoch)
{
    char text[kHttpDateBytes + 1];
    formatHttpDate(secondsSinceEpoch, text);
    return QByteArray(text, kHttpDateBytes);
}

QByteArrayView currentHttpDate()
{
    struct Cache {
        qint64 second = -1;
        char text[kHttpDateBytes + 1] = {};
    };
    thread_local Cache cache;
    const qint64 now = qint64(std::time(nullptr));
    if (now != cache.second) {
        formatHttpDate(now, cache.text);
        cache.second = now;
    }
    return QByteArrayView(cache.text, kHttpDateBytes);
}

} // namespace lab::http
