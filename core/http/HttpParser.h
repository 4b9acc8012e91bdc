#pragma once

#include "HttpMessage.h"

#include <QByteArray>
#include <QByteArrayView>
#include <memory>

namespace lab::http {

// Receives what HttpParser finds, in wire order. Callbacks must not destroy the parser.
class HttpParserHandler {
public:
    virtual ~HttpParserHandler() = default;
    // The head is complete. Return false to stop parsing: the parser then reports an error with
    // status 0, and the handler is expected to have decided what to answer.
    virtual bool onHead(HttpHead& head) = 0;
    // Decoded body bytes (chunk framing removed). May be called many times per message.
    virtual void onBody(QByteArrayView data) = 0;
    virtual void onMessageComplete() = 0;
};

struct HttpParseError {
    int status = 0;     // what to answer a client with: 400, 414, 431, 501; 0 = stopped by the handler
    QByteArray reason;  // one line, for logs and error bodies
};

struct HttpLimits {
    qsizetype maxRequestLineBytes = 8 * 1024;
    qsizetype maxHeadBytes = 64 * 1024;
    int maxHeaderCount = 100;
};

// The one wrapper around llhttp (compiled in strict mode, no lenient flags). Streams: bodies are handed
// to the handler as they arrive, never accumulated. Parsing stops after each complete message and feed()
// returns how far it got, so a caller can answer pipelined requests one at a time and keep the rest.
//
// Enforces head limits that llhttp leaves to its user: request-target length (414), total head bytes
// and header count (431). Everything llhttp rejects (CL together with TE, two Content-Lengths, bad chunk
// sizes, bad tokens, bare LF, ...) is a 400, an unknown method a 501.
class HttpParser final {
public:
    enum class Kind { Request, Response };
    using Limits = HttpLimits;

    HttpParser(Kind kind, HttpParserHandler* handler, Limits limits = {});
    ~HttpParser();
    Q_DISABLE_COPY_MOVE(HttpParser)

    // Consumes bytes up to the end of the current message (or all of `data`). Returns the number of bytes
    // consumed, or -1 on error (see error()); after an error the parser stays failed until reset().
    qsizetype feed(QByteArrayView data);
    // The peer closed its side. Completes a body delimited by close; returns false (and sets error())
    // when a message was cut short.
    bool finish();
    void reset();

    // For a response parser: the next response answers a HEAD request, so it has no body whatever its
    // headers say.
    void setNextResponseHasNoBody(bool noBody) { m_nextHasNoBody = noBody; }

    bool hasError() const { return m_failed; }
    const HttpParseError& error() const { return m_error; }
    // Bytes of a message have been seen but the message is not complete.
    bool inMessage() const { return m_inMessage; }
    bool headComplete() const { return m_headComplete; }

private:
    struct Callbacks;
    friend struct Callbacks;

    int fail(int status, QByteArray reason);
    int countHeadBytes(qsizetype n);
    int commitHeader();

    struct LlhttpState;
    std::unique_ptr<LlhttpState> m_state;
    Kind m_kind;
    HttpParserHandler* m_handler;
    Limits m_limits;

    HttpHead m_head;
    QByteArray m_field;
    QByteArray m_value;
    int m_valueSpans = 0;                 // spans llhttp has handed for the current header value
    const char* m_feedStart = nullptr;    // start of the buffer being parsed
    char m_previousFeedLastByte = 0;
    qsizetype m_headBytes = 0;
    bool m_inMessage = false;
    bool m_headComplete = false;
    bool m_nextHasNoBody = false;
    bool m_failed = false;
    HttpParseError m_error;
};

} // namespace lab::http
