#include "HttpMessage.h"

namespace lab::http {

namespace {
// The sizes first: most names differ in length, and a lookup runs over every field of a head.
bool equalsIgnoreCase(QByteArrayView a, QByteArrayView b)
{
    return a.size() == b.size() && a.compare(b, Qt::CaseInsensitive) == 0;
}
} // namespace

QByteArray HttpHead::header(QByteArrayView name) const
{
    for (const HttpHeader& h : headers) {
        if (equalsIgnoreCase(h.name, name))
            return h.value;
    }
    return {};
}

bool HttpHead::hasHeader(QByteArrayView name) const
{
    return headerCount(name) > 0;
}

int HttpHead::headerCount(QByteArrayView name) const
{
    int n = 0;
    for (const HttpHeader& h : headers)
        n += equalsIgnoreCase(h.name, name) ? 1 : 0;
    return n;
}

void HttpHead::removeHeader(QByteArrayView name)
{
    headers.removeIf([name](const HttpHeader& h) { return equalsIgnoreCase(h.name, name); });
}

void HttpHead::setHeader(QByteArrayView name, QByteArrayView value)
{
    removeHeader(name);
    headers.append({name.toByteArray(), value.toByteArray()});
}

QByteArray HttpHead::path() const
{
    const qsizetype q = target.indexOf('?');
    return q < 0 ? target : target.left(q);
}

bool headerListContains(QByteArrayView list, QByteArrayView token)
{
    qsizetype start = 0;
    while (start <= list.size()) {
        qsizetype end = list.indexOf(',', start);
        if (end < 0)
            end = list.size();
        if (equalsIgnoreCase(list.sliced(start, end - start).trimmed(), token))
            return true;
        start = end + 1;
    }
    return false;
}

QByteArray reasonPhrase(int statusCode)
{
    switch (statusCode) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

void appendJsonEscaped(QByteArray& out, QByteArrayView text)
{
    static constexpr char hex[] = "0123456789abcdef";
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    out.reserve(out.size() + text.size() + 16);
    while (p < end) {
        const unsigned char c = *p;
        if (c < 0x80) {
            switch (c) {
            case '"': out.append("\\\""); break;
            case '\\': out.append("\\\\"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            case '\t': out.append("\\t"); break;
            default:
                if (c < 0x20) {
                    const char esc[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
                    out.append(esc, 6);
                } else {
                    out.append(char(c));
                }
            }
            ++p;
            continue;
        }
        // Validate one UTF-8 sequence; copy it if well-formed, else emit U+FFFD for the lead byte.
        int len = 0;
        unsigned int cp = 0;
        if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4;
            cp = c & 0x07;
        }
        bool ok = len > 0 && end - p >= len;
        for (int i = 1; ok && i < len; ++i) {
            ok = (p[i] & 0xc0) == 0x80;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (ok) {
            const unsigned int minimum[] = {0, 0, 0x80, 0x800, 0x10000};
            ok = cp >= minimum[len] && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
        }
        if (ok) {
            out.append(reinterpret_cast<const char*>(p), len);
            p += len;
        } else {
            out.append("\xef\xbf\xbd");
            ++p;
        }
    }
}

QByteArray HttpHead::cookie(QByteArrayView name, bool* found) const
{
    if (found)
        *found = false;
    for (const HttpHeader& h : headers) {
        if (h.name.compare("Cookie", Qt::CaseInsensitive) != 0)
            continue;
        for (const QByteArray& raw : h.value.split(';')) {
            const QByteArray part = raw.trimmed();
            if (part.size() > name.size() && part.startsWith(name) && part[name.size()] == '=') {
                if (found)
                    *found = true;
                return part.mid(name.size() + 1);
            }
        }
    }
    return {};
}

} // namespace lab::http
