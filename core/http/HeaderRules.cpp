#include "HeaderRules.h"

namespace lab::http {

namespace {
bool is(QByteArrayView a, QByteArrayView b)
{
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

void appendHeader(QByteArray& out, QByteArrayView name, QByteArrayView value)
{
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
}

void appendVia(QByteArray& out, const HttpHead& head)
{
    const QByteArray via = head.header("Via");
    appendHeader(out, "Via", via.isEmpty() ? QByteArray("1.1 balancer-lab") : via + ", 1.1 balancer-lab");
}
} // namespace

bool isHopByHop(QByteArrayView name, QByteArrayView connectionValue)
{
    if (is(name, "Connection") || is(name, "Keep-Alive") || is(name, "TE") || is(name, "Trailer") ||
        is(name, "Transfer-Encoding") || is(name, "Upgrade") ||
        (name.size() >= 6 && is(name.first(6), "Proxy-")))
        return true;
    return !connectionValue.isEmpty() && headerListContains(connectionValue, name);
}

QByteArray serializeUpstreamRequest(const HttpHead& request, const UpstreamRequestInfo& info, NextHopFraming framing)
{
    QByteArray out;
    out.reserve(512);
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
    appendHeader(out, "X-Forwarded-For", xff.isEmpty() ? info.clientAddress : xff + ", " + info.clientAddress);
    appendHeader(out, "X-Forwarded-Proto", "http");
    appendVia(out, request);
    if (framing == NextHopFraming::ContentLength)
        appendHeader(out, "Content-Length", QByteArray::number(request.contentLength));
    else if (framing == NextHopFraming::Chunked)
        appendHeader(out, "Transfer-Encoding", "chunked");
    out.append("\r\n");
    return out;
}

QByteArray serializeClientResponse(const HttpHead& response, const ClientResponseInfo& info, NextHopFraming framing)
{
    QByteArray out;
    out.reserve(512);
    out.append("HTTP/1.1 ");
    out.append(QByteArray::number(response.statusCode));
    out.append(' ');
    out.append(response.reason.isEmpty() ? reasonPhrase(response.statusCode) : response.reason);
    out.append("\r\n");
    const QByteArray connection = response.header("Connection");
    const bool passLength = framing == NextHopFraming::None;
    for (const HttpHeader& h : response.headers) {
        if (isHopByHop(h.name, connection) || is(h.name, "Via") || is(h.name, "X-Served-By") ||
            (is(h.name, "Content-Length") && !passLength))
            continue;
        appendHeader(out, h.name, h.value);
    }
    appendVia(out, response);
    if (!info.servedBy.isEmpty())
        appendHeader(out, "X-Served-By", info.servedBy);
    if (!info.setCookie.isEmpty())
        appendHeader(out, "Set-Cookie", info.setCookie);
    if (framing == NextHopFraming::ContentLength)
        appendHeader(out, "Content-Length", QByteArray::number(response.contentLength));
    else if (framing == NextHopFraming::Chunked)
        appendHeader(out, "Transfer-Encoding", "chunked");
    if (info.closeConnection)
        appendHeader(out, "Connection", "close");
    else if (info.clientIsHttp10 && info.clientWantsKeepAlive)
        appendHeader(out, "Connection", "keep-alive");
    out.append("\r\n");
    return out;
}

QByteArray makeJsonResponse(int status, const QByteArray& jsonBody, bool closeConnection, const QByteArray& extraHeaders)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
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

} // namespace lab::http
