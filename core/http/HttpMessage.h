#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

namespace lab::http {

struct HttpHeader {
    QByteArray name;
    QByteArray value;
};

// How the body of a message is delimited on the wire, as decided by the parser after the head.
enum class BodyFraming {
    None, // no body (GET without Content-Length, 204/304, response to HEAD, ...)
    ContentLength, // exactly contentLength bytes follow
    Chunked, // Transfer-Encoding: chunked; the parser hands decoded data
    UntilClose, // response body runs until the server closes (HTTP/1.0 style)
};

// The start line and headers of a request or a response, as parsed. Names keep their original case;
// lookups are case-insensitive. Values have optional surrounding whitespace removed.
struct HttpHead {
    // request
    QByteArray method;
    QByteArray target;
    // response
    int statusCode = 0;
    QByteArray reason;

    int versionMajor = 1;
    int versionMinor = 1;
    QList<HttpHeader> headers;

    BodyFraming framing = BodyFraming::None;
    quint64 contentLength = 0;
    bool keepAlive = true; // llhttp's verdict from version and Connection
    bool upgrade = false;

    QByteArray header(QByteArrayView name) const; // first value, empty if absent
    bool hasHeader(QByteArrayView name) const;
    int headerCount(QByteArrayView name) const;
    void removeHeader(QByteArrayView name); // all occurrences
    void setHeader(QByteArrayView name, QByteArrayView value); // replaces all occurrences
    QByteArray path() const; // target without query string
    // The value of a cookie in the Cookie header(s), empty if absent. `found` tells empty from absent.
    QByteArray cookie(QByteArrayView name, bool* found = nullptr) const;
    bool isHttp10() const { return versionMajor == 1 && versionMinor == 0; }
};

// True when `list` (a comma-separated header value such as Connection's) contains `token`,
// compared case-insensitively.
bool headerListContains(QByteArrayView list, QByteArrayView token);

QByteArray reasonPhrase(int statusCode);

// Appends `text` to `out` as the contents of a JSON string (without the quotes), escaping as RFC 8259
// requires. Invalid UTF-8 bytes are replaced by U+FFFD so the result is always valid JSON.
void appendJsonEscaped(QByteArray& out, QByteArrayView text);

} // namespace lab::http
