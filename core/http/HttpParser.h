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
    int status = 0; // what to answer a client with: 400, 414, 431, 501, 505; 0 = stopped by the handler
    QByteArray reason; // one line, for logs and error bodies
};

struct HttpLimits {
    qsizetype maxRequestLineBytes = 8 * 1024;
    qsizetype maxHeadBytes = 64 * 1024;
    int maxHeaderCount = 100;
};

// The one wrapper around llhttp (compiled in strict mode). Streams: bodies are handed to the handler as
// they arrive, never accumulated. Parsing stops after each complete message and feed() returns how far it
// got, so a caller can answer pipelined requests one at a time and keep the rest.
//
// Enforces head limits that llhttp leaves to its user: request-target length (414), total head bytes
// and header count (431). Everything llhttp rejects (CL together with TE, two Content-Lengths, bad chunk
// sizes, bad tokens, bare LF, ...) is a 400 (a 502 for a response). On top of llhttp 8.1 it rejects what
// llhttp lets through although two parsers could read it two ways (RFC 9112): an empty field name,
// obsolete line folding (llhttp accepts it, even after an empty value), a request whose
// Transfer-Encoding is empty or does not end in a single chunked (400) or names another coding (501).
// Where llhttp 8.1 is stricter than the RFC, it follows the RFC instead, without loosening anything else:
// - Chunk extensions (RFC 9112 7.1.1) are checked here, line by line, and llhttp sees a bare "SIZE\r\n":
//   llhttp 8.1 rejects several extensions and whitespace before ';', both valid. Extensions are dropped.
// - Request versions: HTTP/1.x with x > 1 is read as HTTP/1.1 (RFC 9112 2.5); HTTP/0.x and 2.0 and up
//   get 505. A malformed request line is a 400; 501 only for a well-formed method token we do not know.
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
    // Between messages: the buffers kept from earlier heads go to the thread's HeadPool (an idle
    // connection holds none); the next message takes a head from there. No-op inside a message.
    void releaseHead();

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
    // Why llhttp was paused: the end of a message, or the start of a chunk-size line we read ourselves.
    enum class Pause { None, MessageComplete, ChunkLine };
    static constexpr qsizetype kMaxMethodBytes = 32; // longer: not a method, a malformed line (400)
    static constexpr qsizetype kMaxChunkLineBytes = 4096; // size and extensions of one chunk

    int fail(int status, QByteArray reason);
    qsizetype reject(int status, QByteArray reason);
    int malformedStatus() const { return m_kind == Kind::Request ? 400 : 502; }
    int countHeadBytes(qsizetype n);
    int commitHeader();
    bool followsLineEnd(const char* at) const;
    qsizetype execute(QByteArrayView data);
    qsizetype vetMethod(QByteArrayView data);
    qsizetype takeChunkLine(QByteArrayView data);
    void noteConsumed(QByteArrayView consumed);
    void recycleHead();
    // The header field llhttp is reading: the next of m_head's (reused in place) or a trailer's scratch.
    HttpHeader& fieldSlot();
    void dropStaleHeaders();

    struct LlhttpState;
    std::unique_ptr<LlhttpState> m_state;
    Kind m_kind;
    HttpParserHandler* m_handler;
    Limits m_limits;

    HttpHead m_head;
    QList<HttpHeader> m_spareHeaders; // from earlier messages, for their buffers
    qsizetype m_headerCount = 0; // fields of m_head.headers this message has written (the rest are stale)
    HttpHeader* m_slot = nullptr; // the field being read (fieldSlot), until commitHeader
    HttpHeader m_trailer; // a trailer field's bytes, dropped
    const char* m_feedStart = nullptr; // start of the buffer llhttp is parsing
    char m_lastNonBlank = '\n'; // last byte before that buffer that is not SP or HTAB
    qsizetype m_headBytes = 0;
    Pause m_pause = Pause::None;
    bool m_methodComplete = false; // llhttp has the whole method of this request
    qsizetype m_methodBytes = 0; // method bytes seen so far (while deciding between 400 and 501)
    bool m_vettingMethod = false; // llhttp stopped at an unknown method: reading the rest of the token
    bool m_chunkLinePending = false; // the next bytes are a chunk-size line (read by takeChunkLine)
    bool m_lastChunk = false; // the chunk being read is the zero-size one
    QByteArray m_chunkLine;
    bool m_inMessage = false;
    bool m_headComplete = false;
    bool m_nextHasNoBody = false;
    bool m_failed = false;
    HttpParseError m_error;
};

} // namespace lab::http
