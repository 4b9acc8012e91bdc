#include "HeaderRules.h"

#include <QHostAddress>
#include <charconv>
#include <cstring>
#include <ctime>

namespace lab::http {

namespace {
bool is(QByteArrayView a, QByteArrayView b)
{
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

// One resize and two copies per field: QByteArray::append is an insert at the end (Qt 6.4), and four of
// them per header were 4 % of a worker's profile under wrk. `out` is a reused buffer with room, so the
// resize does not allocate.
void appendHeader(QByteArray& out, QByteArrayView name, QByteArrayView value)
{
    const qsizetype at = out.size();
    out.resize(at + name.size() + value.size() + 4);
    char* p = out.data() + at;
    if (!name.isEmpty())
        std::memcpy(p, name.data(), size_t(name.size()));
    p += name.size();
    *p++ = ':';
    *p++ = ' ';
    if (!value.isEmpty())
        std::memcpy(p, value.data(), size_t(value.size()));
    p += value.size();
    *p++ = '\r';
    *p = '\n';
}

// Decimal digits on the stack: QByteArray::number would allocate for each one.
void appendNumber(QByteArray& out, quint64 value)
{
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    out.append(digits, qsizetype(end - digits));
}

// Always HTTP/1.1 towards the client (RFC 9110 6.2: a proxy sends its own version).
void appendStatusLine(QByteArray& out, const HttpHead& response)
{
    out.append("HTTP/1.1 ");
    appendNumber(out, quint64(response.statusCode));
    out.append(' ');
    if (response.reason.isEmpty())
        out.append(reasonPhrase(response.statusCode));
    else
        out.append(response.reason);
    out.append("\r\n");
}

void appendVia(QByteArray& out, const HttpHead& head)
{
    const QByteArray via = head.header("Via");
    out.append("Via: ");
    if (!via.isEmpty()) {
        out.append(via);
        out.append(", ");
    }
    out.append("1.1 balancer-lab\r\n");
}
} // namespace

bool isHopByHop(QByteArrayView name, QByteArrayView connectionValue)
{
    if (is(name, "Host"))
        return false;
    if (is(name, "Connection") || is(name, "Keep-Alive") || is(name, "TE") || is(name, "Trailer") ||
        is(name, "Transfer-Encoding") || is(name, "Upgrade") || (name.size() >= 6 && is(name.first(6), "Proxy-")))
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

// One pass over the headers: hop-by-hop ones and those the proxy sets itself are left out as the rest
// is copied, then the proxy's own are added.
void appendUpstreamRequest(QByteArray& out, const HttpHead& request, const UpstreamRequestInfo& info,
                           NextHopFraming framing)
{
    out.append(request.method);
    out.append(' ');
    out.append(info.target);
    out.append(" HTTP/1.1\r\n");
    const QByteArray connection = request.header("Connection");
    bool hasHost = false;
    for (const HttpHeader& h : request.headers) {
        if (isHopByHop(h.name, connection) || is(h.name, "Content-Length") || is(h.name, "Expect") ||
            is(h.name, "X-Forwarded-For") || is(h.name, "X-Forwarded-Proto") || is(h.name, "Via"))
            continue;
        hasHost = hasHost || is(h.name, "Host");
        appendHeader(out, h.name, h.value);
    }
    if (!hasHost)
        appendHeader(out, "Host", info.hostFallback);
    const QByteArray xff = request.header("X-Forwarded-For");
    out.append("X-Forwarded-For: ");
    if (!xff.isEmpty()) {
        out.append(xff);
        out.append(", ");
    }
    out.append(info.clientAddress);
    out.append(info.https ? "\r\nX-Forwarded-Proto: https\r\n" : "\r\nX-Forwarded-Proto: http\r\n");
    appendVia(out, request);
    if (framing == NextHopFraming::ContentLength) {
        out.append("Content-Length: ");
        appendNumber(out, request.contentLength);
        out.append("\r\n");
    } else if (framing == NextHopFraming::Chunked) {
        appendHeader(out, "Transfer-Encoding", "chunked");
    }
    out.append("\r\n");
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
    appendStatusLine(out, response);
    const QByteArray connection = response.header("Connection");
    const bool passLength = framing == NextHopFraming::None;
    bool hasDate = false;
    for (const HttpHeader& h : response.headers) {
        if (isHopByHop(h.name, connection) || is(h.name, "Via") || is(h.name, "X-Served-By") ||
            (is(h.name, "Content-Length") && !passLength))
            continue;
        hasDate = hasDate || is(h.name, "Date");
        appendHeader(out, h.name, h.value);
    }
    appendVia(out, response);
    if (!hasDate)
        appendHeader(out, "Date", currentHttpDate());
    if (!info.servedBy.isEmpty())
        appendHeader(out, "X-Served-By", info.servedBy);
    if (!info.setCookie.isEmpty())
        appendHeader(out, "Set-Cookie", info.setCookie);
    if (framing == NextHopFraming::ContentLength) {
        out.append("Content-Length: ");
        appendNumber(out, response.contentLength);
        out.append("\r\n");
    } else if (framing == NextHopFraming::Chunked) {
        appendHeader(out, "Transfer-Encoding", "chunked");
    }
    if (info.closeConnection)
        appendHeader(out, "Connection", "close");
    else if (info.clientIsHttp10 && info.clientWantsKeepAlive)
        appendHeader(out, "Connection", "keep-alive");
    out.append("\r\n");
}

QByteArray serializeInterimResponse(const HttpHead& response)
{
    QByteArray out;
    out.reserve(256);
    appendStatusLine(out, response);
    const QByteArray connection = response.header("Connection");
    bool hasDate = false;
    for (const HttpHeader& h : response.headers) {
        if (isHopByHop(h.name, connection))
            continue;
        hasDate = hasDate || is(h.name, "Date");
        appendHeader(out, h.name, h.value);
    }
    if (!hasDate)
        appendHeader(out, "Date", currentHttpDate());
    out.append("\r\n");
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
