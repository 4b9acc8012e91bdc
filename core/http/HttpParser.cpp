#include "HttpParser.h"

#include "HeadPool.h"

#include <cstring>
#include <llhttp.h>

namespace lab::http {

struct HttpParser::LlhttpState {
    llhttp_t parser;
};

namespace {
HttpParser* self(llhttp_t* p)
{
    return static_cast<HttpParser*>(p->data);
}

bool isBlank(char c)
{
    return c == ' ' || c == '\t';
}

// tchar of RFC 9110 5.6.2: the bytes of a token (method, field name, chunk extension name).
bool isTchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

bool isHexDigit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

qsizetype skipBlanks(QByteArrayView s, qsizetype i, qsizetype end)
{
    while (i < end && isBlank(s[i]))
        ++i;
    return i;
}

// A quoted-string (RFC 9110 5.6.4) starting at s[i] == '"'. Returns the index after its closing quote,
// or -1 when it is not one.
qsizetype skipQuotedString(QByteArrayView s, qsizetype i, qsizetype end)
{
    for (++i; i < end; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"')
            return i + 1;
        if (c == '\\') { // quoted-pair: HTAB, SP, VCHAR or obs-text
            if (++i >= end)
                return -1;
            const auto q = static_cast<unsigned char>(s[i]);
            if ((q != '\t' && q < 0x20) || q == 0x7f)
                return -1;
        } else if ((c != '\t' && c < 0x20) || c == 0x7f) { // qdtext: anything else but controls
            return -1;
        }
    }
    return -1;
}

// chunk-size [ chunk-ext ] CRLF, where chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ) and a
// value is a token or a quoted-string (RFC 9112 7.1.1). On success `size` holds the hex digits.
bool parseChunkLine(QByteArrayView line, QByteArrayView* size)
{
    const qsizetype end = line.size() - 2;
    if (end < 1 || line[end] != '\r' || line[end + 1] != '\n')
        return false;
    qsizetype i = 0;
    while (i < end && isHexDigit(line[i]))
        ++i;
    if (i == 0)
        return false;
    *size = line.first(i);
    while (i < end) {
        i = skipBlanks(line, i, end);
        if (i >= end || line[i] != ';') // blanks are allowed before a ';' only, never at the end
            return false;
        i = skipBlanks(line, i + 1, end);
        const qsizetype nameStart = i;
        while (i < end && isTchar(line[i]))
            ++i;
        if (i == nameStart)
            return false;
        const qsizetype afterName = i;
        i = skipBlanks(line, i, end);
        if (i >= end || line[i] != '=') {
            i = afterName; // a name without a value: what follows must be the next extension
            continue;
        }
        i = skipBlanks(line, i + 1, end);
        if (i < end && line[i] == '"') {
            i = skipQuotedString(line, i, end);
            if (i < 0)
                return false;
        } else {
            const qsizetype valueStart = i;
            while (i < end && isTchar(line[i]))
                ++i;
            if (i == valueStart)
                return false;
        }
    }
    return true;
}

// RFC 9112 6.1 and 6.3, for a request. Chunked must be the final coding and appear once, else nobody
// can tell where the body ends: 400 (an empty Transfer-Encoding included, which llhttp ignores, and any
// Transfer-Encoding in HTTP/1.0). Another coding before it (gzip, chunked) is one this proxy does not
// implement: 501, rather than forwarding still-encoded bytes as plain content after removing the header.
HttpParseError checkRequestTransferEncoding(const HttpHead& head)
{
    QList<QByteArray> codings;
    bool present = false;
    for (const HttpHeader& h : head.headers) {
        constexpr QByteArrayView kName = "Transfer-Encoding";
        if (h.name.size() != kName.size() || h.name.compare(kName, Qt::CaseInsensitive) != 0)
            continue; // (the size first: this runs for every field of every request)
        present = true;
        for (const QByteArray& element : h.value.split(',')) {
            const QByteArray coding = element.trimmed();
            if (!coding.isEmpty()) // empty list elements are allowed (RFC 9110 5.6.1)
                codings << coding;
        }
    }
    if (!present)
        return {};
    if (head.isHttp10())
        return {400, "Transfer-Encoding in an HTTP/1.0 request"};
    if (codings.isEmpty())
        return {400, "empty Transfer-Encoding"};
    const auto isChunked = [](const QByteArray& c) {
        return c.compare("chunked", Qt::CaseInsensitive) == 0;
    };
    if (!isChunked(codings.last()))
        return {400, "the final transfer coding is not chunked"};
    for (qsizetype i = 0; i + 1 < codings.size(); ++i) {
        if (isChunked(codings[i]))
            return {400, "chunked applied more than once"};
    }
    if (codings.size() > 1)
        return {501, "transfer coding " + codings.first() + " is not implemented"};
    return {};
}
} // namespace

struct HttpParser::Callbacks {
    static int onMessageBegin(llhttp_t* p)
    {
        HttpParser* s = self(p);
        s->recycleHead();
        s->m_headBytes = 0;
        s->m_methodComplete = false;
        s->m_methodBytes = 0;
        s->m_inMessage = true;
        s->m_headComplete = false;
        return 0;
    }

    static int onMethodComplete(llhttp_t* p)
    {
        self(p)->m_methodComplete = true;
        return 0;
    }

    static int onUrl(llhttp_t* p, const char* at, size_t len)
    {
        HttpParser* s = self(p);
        s->m_head.target.append(at, qsizetype(len));
        if (s->m_head.target.size() > s->m_limits.maxRequestLineBytes)
            return s->fail(
                414, "request target longer than " + QByteArray::number(s->m_limits.maxRequestLineBytes) + " bytes");
        return s->countHeadBytes(qsizetype(len));
    }

    // Requests are parsed with llhttp's lenient version flag (any digit.digit), so that the version policy
    // is ours: HTTP/1.x is read as the highest 1.x we implement (RFC 9112 2.5), the rest is refused.
    static int onVersionComplete(llhttp_t* p)
    {
        HttpParser* s = self(p);
        if (s->m_kind != Kind::Request)
            return 0;
        if (p->http_major == 1) {
            if (p->http_minor > 1)
                p->http_minor = 1; // llhttp then applies HTTP/1.1 rules (keep-alive) too
            return 0;
        }
        return s->fail(505,
                       "HTTP/" + QByteArray::number(p->http_major) + '.' + QByteArray::number(p->http_minor) +
                           " is not supported (HTTP/1.0 and HTTP/1.1 are)");
    }

    static int onStatus(llhttp_t* p, const char* at, size_t len)
    {
        HttpParser* s = self(p);
        s->m_head.reason.append(at, qsizetype(len));
        return s->countHeadBytes(qsizetype(len));
    }

    static int onHeaderField(llhttp_t* p, const char* at, size_t len)
    {
        HttpParser* s = self(p);
        s->fieldSlot().name.append(at, qsizetype(len));
        return s->countHeadBytes(qsizetype(len));
    }

    static int onHeaderValue(llhttp_t* p, const char* at, size_t len)
    {
        HttpParser* s = self(p);
        HttpHeader& field = s->fieldSlot();
        // llhttp accepts obsolete line folding even in strict mode, also right after the colon
        // ("Content-Length:\r\n 3"). A proxy must not pass on a header that two parsers could read two
        // ways (RFC 9112 5.2), so a value span that follows a line end (blanks aside) is rejected.
        // (llhttp reports an empty value as an empty span after its line end: no bytes, nothing to read
        // two ways.)
        if (len > 0 && s->followsLineEnd(at))
            return s->fail(s->malformedStatus(), "obsolete line folding in header " + field.name);
        field.value.append(at, qsizetype(len));
        return s->countHeadBytes(qsizetype(len));
    }

    static int onHeaderValueComplete(llhttp_t* p) { return self(p)->commitHeader(); }

    static int onHeadersComplete(llhttp_t* p)
    {
        HttpParser* s = self(p);
        HttpHead& h = s->m_head;
        s->dropStaleHeaders();
        h.versionMajor = p->http_major;
        h.versionMinor = p->http_minor;
        if (s->m_kind == Kind::Request) {
            // llhttp's names are static strings: no copy
            const char* name = llhttp_method_name(llhttp_method_t(p->method));
            h.method = QByteArray::fromRawData(name, qsizetype(std::strlen(name)));
            if (h.target.isEmpty()) {
                s->fail(400, "empty request target");
                return -1;
            }
        } else {
            h.statusCode = p->status_code;
            // llhttp takes any three digits; RFC 9110 15 defines 100-599 only. A status such as 000 would
            // otherwise pass for an interim response and 600+ for a final one that no client can class.
            if (h.statusCode < 100 || h.statusCode > 599) {
                s->fail(502, "status code " + QByteArray::number(h.statusCode) + " outside 100-599");
                return -1;
            }
        }
        h.keepAlive = llhttp_should_keep_alive(p) != 0;
        h.upgrade = p->upgrade != 0;

        const bool noBody = s->m_kind == Kind::Response && s->m_nextHasNoBody;
        s->m_nextHasNoBody = false;
        if (noBody)
            h.framing = BodyFraming::None;
        else if (p->flags & F_CHUNKED)
            h.framing = BodyFraming::Chunked;
        else if (p->flags & F_CONTENT_LENGTH)
            h.framing = p->content_length > 0 ? BodyFraming::ContentLength : BodyFraming::None;
        else if (s->m_kind == Kind::Response && llhttp_message_needs_eof(p))
            h.framing = BodyFraming::UntilClose;
        else
            h.framing = BodyFraming::None;
        // 1xx, 204 and 304 never have a body, whatever Content-Length or Transfer-Encoding say (RFC 9112
        // 6.3). llhttp would still read the announced length (a 304 may carry the Content-Length of the
        // representation), so it is told to skip the body below; reading it would swallow the start of
        // the next response, or wait for bytes that never come.
        const bool bodiless = noBody ||
            (s->m_kind == Kind::Response && (h.statusCode < 200 || h.statusCode == 204 || h.statusCode == 304));
        if (bodiless)
            h.framing = BodyFraming::None;
        h.contentLength = h.framing == BodyFraming::ContentLength ? p->content_length : 0;

        if (s->m_kind == Kind::Request) {
            HttpParseError te = checkRequestTransferEncoding(h);
            if (te.status != 0) {
                s->fail(te.status, std::move(te.reason));
                return -1;
            }
        }

        s->m_headComplete = true;
        if (!s->m_handler->onHead(h)) {
            s->fail(0, "stopped by handler");
            return -1; // on_headers_complete signals errors with -1, not HPE_USER
        }
        if (bodiless)
            return 1;
        // llhttp reads a chunked body next (also where our framing says None: a 204 with chunked), except
        // after a CONNECT, where the rest is a tunnel. Its first chunk-size line is ours to read.
        const bool connectTunnel = s->m_kind == Kind::Request && p->method == HTTP_CONNECT;
        if ((p->flags & F_CHUNKED) && !connectTunnel) {
            s->m_pause = Pause::ChunkLine;
            return HPE_PAUSED;
        }
        return 0;
    }

    static int onChunkHeader(llhttp_t* p)
    {
        self(p)->m_lastChunk = p->content_length == 0;
        return 0;
    }

    static int onChunkComplete(llhttp_t* p)
    {
        HttpParser* s = self(p);
        if (s->m_lastChunk) // trailers (or the final CRLF) follow, then the message is complete
            return 0;
        s->m_pause = Pause::ChunkLine;
        return HPE_PAUSED;
    }

    static int onBody(llhttp_t* p, const char* at, size_t len)
    {
        self(p)->m_handler->onBody(QByteArrayView(at, qsizetype(len)));
        return 0;
    }

    static int onMessageComplete(llhttp_t* p)
    {
        HttpParser* s = self(p);
        s->m_inMessage = false;
        s->m_handler->onMessageComplete();
        // Stop here so the caller handles exactly one message before looking at the next.
        s->m_pause = Pause::MessageComplete;
        return HPE_PAUSED;
    }

    static const llhttp_settings_t& settings();
};

const llhttp_settings_t& HttpParser::Callbacks::settings()
{
    static const llhttp_settings_t s = [] {
        llhttp_settings_t st;
        llhttp_settings_init(&st);
        st.on_message_begin = &HttpParser::Callbacks::onMessageBegin;
        st.on_method_complete = &HttpParser::Callbacks::onMethodComplete;
        st.on_url = &HttpParser::Callbacks::onUrl;
        st.on_version_complete = &HttpParser::Callbacks::onVersionComplete;
        st.on_status = &HttpParser::Callbacks::onStatus;
        st.on_header_field = &HttpParser::Callbacks::onHeaderField;
        st.on_header_value = &HttpParser::Callbacks::onHeaderValue;
        st.on_header_value_complete = &HttpParser::Callbacks::onHeaderValueComplete;
        st.on_headers_complete = &HttpParser::Callbacks::onHeadersComplete;
        st.on_chunk_header = &HttpParser::Callbacks::onChunkHeader;
        st.on_chunk_complete = &HttpParser::Callbacks::onChunkComplete;
        st.on_body = &HttpParser::Callbacks::onBody;
        st.on_message_complete = &HttpParser::Callbacks::onMessageComplete;
        return st;
    }();
    return s;
}

HttpParser::HttpParser(Kind kind, HttpParserHandler* handler, Limits limits)
    : m_state(std::make_unique<LlhttpState>())
    , m_kind(kind)
    , m_handler(handler)
    , m_limits(limits)
{
    reset();
}

HttpParser::~HttpParser() = default;

void HttpParser::reset()
{
    llhttp_init(&m_state->parser, m_kind == Kind::Request ? HTTP_REQUEST : HTTP_RESPONSE, &Callbacks::settings());
    if (m_kind == Kind::Request) // the version policy is ours: see onVersionComplete
        m_state->parser.lenient_flags |= LENIENT_VERSION;
    m_state->parser.data = this;
    m_failed = false;
    m_error = {};
    m_lastNonBlank = '\n';
    m_pause = Pause::None;
    m_methodComplete = false;
    m_methodBytes = 0;
    m_vettingMethod = false;
    m_chunkLinePending = false;
    m_lastChunk = false;
    m_chunkLine.resize(0);
    m_slot = nullptr;
    m_inMessage = false;
    m_headComplete = false;
    m_nextHasNoBody = false;
}

void HttpParser::recycleHead()
{
    // A handler that swapped the head out (HttpSession, UpstreamAttempt) left its previous one here: its
    // header fields are overwritten in place (fieldSlot), so a message like the last one allocates and
    // moves nothing. One the handler copied is shared, and detaches instead: correct, only not free.
    if (m_head.headers.capacity() == 0 && m_spareHeaders.isEmpty())
        m_head = HeadPool::local().take(); // the head was given back between messages (releaseHead)
    HttpHead& h = m_head;
    m_headerCount = 0;
    m_slot = nullptr;
    h.method = QByteArray();
    h.target.resize(0);
    h.reason.resize(0);
    h.statusCode = 0;
    h.versionMajor = 1;
    h.versionMinor = 1;
    h.framing = BodyFraming::None;
    h.contentLength = 0;
    h.keepAlive = true;
    h.upgrade = false;
}

void HttpParser::releaseHead()
{
    if (!m_inMessage)
        HeadPool::local().give(m_head, m_spareHeaders);
}

HttpHeader& HttpParser::fieldSlot()
{
    if (m_slot)
        return *m_slot;
    if (m_headComplete) {
        m_slot = &m_trailer; // read to be dropped
    } else {
        QList<HttpHeader>& fields = m_head.headers;
        if (m_headerCount == fields.size()) {
            if (m_spareHeaders.isEmpty())
                fields.emplaceBack();
            else
                fields.append(m_spareHeaders.takeLast());
        }
        m_slot = &fields[m_headerCount];
    }
    m_slot->name.resize(0);
    m_slot->value.resize(0);
    return *m_slot;
}

void HttpParser::dropStaleHeaders()
{
    // Fields of the earlier message this one did not overwrite (it had fewer): kept aside, bounded.
    QList<HttpHeader>& fields = m_head.headers;
    while (fields.size() > m_headerCount) {
        if (m_spareHeaders.size() < m_limits.maxHeaderCount)
            m_spareHeaders.append(fields.takeLast());
        else
            fields.removeLast();
    }
}

int HttpParser::fail(int status, QByteArray reason)
{
    if (!m_failed) {
        m_failed = true;
        m_error = {status, std::move(reason)};
    }
    return HPE_USER;
}

qsizetype HttpParser::reject(int status, QByteArray reason)
{
    fail(status, std::move(reason));
    return -1;
}

int HttpParser::countHeadBytes(qsizetype n)
{
    if (m_headComplete)
        return 0; // trailers after a chunked body: counted by nobody, dropped below
    m_headBytes += n;
    if (m_headBytes > m_limits.maxHeadBytes)
        return fail(431, "request head larger than " + QByteArray::number(m_limits.maxHeadBytes) + " bytes");
    return 0;
}

int HttpParser::commitHeader()
{
    HttpHeader* field = std::exchange(m_slot, nullptr);
    if (!field || field->name.isEmpty()) // ": x": llhttp 8.1 accepts an empty name
        return fail(malformedStatus(), "empty header field name");
    if (m_headComplete) // a trailer field: not forwarded (Trailer is hop-by-hop for us)
        return 0;
    if (m_headerCount >= m_limits.maxHeaderCount)
        return fail(431, "more than " + QByteArray::number(m_limits.maxHeaderCount) + " header fields");
    QByteArray& value = field->value;
    const QByteArrayView trimmed = QByteArrayView(value).trimmed();
    if (trimmed.isEmpty()) {
        value.resize(0);
    } else if (trimmed.size() != value.size()) { // trimmed in place (llhttp leaves trailing blanks)
        const qsizetype from = trimmed.data() - value.constData();
        const qsizetype size = trimmed.size();
        char* d = value.data();
        std::memmove(d, d + from, size_t(size));
        value.resize(size);
    }
    ++m_headerCount;
    return 0;
}

bool HttpParser::followsLineEnd(const char* at) const
{
    for (const char* c = at; c > m_feedStart;) {
        --c;
        if (!isBlank(*c))
            return *c == '\n';
    }
    return m_lastNonBlank == '\n';
}

void HttpParser::noteConsumed(QByteArrayView consumed)
{
    for (qsizetype i = consumed.size(); i > 0; --i) {
        if (!isBlank(consumed[i - 1])) {
            m_lastNonBlank = consumed[i - 1];
            break;
        }
    }
    if (m_kind == Kind::Request && !m_methodComplete && m_inMessage) {
        for (char c : consumed)
            m_methodBytes += c == '\r' || c == '\n' ? 0 : 1; // empty lines before a request are allowed
    }
}

qsizetype HttpParser::feed(QByteArrayView data)
{
    if (m_failed)
        return -1;
    qsizetype pos = 0;
    while (pos < data.size()) {
        const QByteArrayView rest = data.sliced(pos);
        const qsizetype used = m_vettingMethod ? vetMethod(rest)
            : m_chunkLinePending               ? takeChunkLine(rest)
                                               : execute(rest);
        if (used < 0)
            return -1;
        pos += used;
        if (std::exchange(m_pause, Pause::None) == Pause::MessageComplete)
            break;
    }
    return pos;
}

qsizetype HttpParser::execute(QByteArrayView data)
{
    llhttp_t* p = &m_state->parser;
    m_feedStart = data.data();
    m_pause = Pause::None;
    const llhttp_errno_t err = llhttp_execute(p, data.data(), size_t(data.size()));
    const qsizetype consumed = err == HPE_OK ? data.size() : llhttp_get_error_pos(p) - data.data();
    noteConsumed(data.first(consumed));
    switch (err) {
    case HPE_OK: return consumed;
    case HPE_PAUSED:
        llhttp_resume(p);
        if (m_pause == Pause::ChunkLine)
            m_chunkLinePending = true;
        return consumed;
    case HPE_PAUSED_UPGRADE:
        // We do not tunnel upgrades yet: the Upgrade header is stripped as hop-by-hop, so the peer sees a
        // plain request and the connection stays HTTP.
        llhttp_resume_after_upgrade(p);
        m_pause = Pause::MessageComplete;
        return consumed;
    case HPE_INVALID_METHOD:
        if (m_kind == Kind::Request) {
            // llhttp stops at the first byte that does not continue a method it knows, so everything
            // before it is a method prefix. Whether this is a malformed request line (400) or a method
            // we do not implement (501, RFC 9110 15.6.2) depends on the rest of the token: read on.
            m_vettingMethod = true;
            m_inMessage = true;
            return consumed;
        }
        break;
    default: break;
    }
    return reject(malformedStatus(),
                  QByteArray(llhttp_errno_name(err)) + ": " + QByteArray(llhttp_get_error_reason(p)));
}

qsizetype HttpParser::vetMethod(QByteArrayView data)
{
    for (const char c : data) {
        if (isTchar(c)) {
            if (++m_methodBytes > kMaxMethodBytes)
                return reject(400, "request method longer than " + QByteArray::number(kMaxMethodBytes) + " bytes");
            continue;
        }
        if (c == ' ' && m_methodBytes > 0)
            return reject(501, "method not implemented");
        return reject(400, "malformed request line");
    }
    return data.size();
}

// One chunk-size line, buffered (bounded) until its LF, checked against RFC 9112 7.1.1, and handed to
// llhttp as the bare size, so that llhttp's own checks (hex digits, overflow, CRLF) still apply.
qsizetype HttpParser::takeChunkLine(QByteArrayView data)
{
    const qsizetype lf = data.indexOf('\n');
    const qsizetype take = lf < 0 ? data.size() : lf + 1;
    if (m_chunkLine.size() + take > kMaxChunkLineBytes)
        return reject(malformedStatus(),
                      "chunk size line longer than " + QByteArray::number(kMaxChunkLineBytes) + " bytes");
    m_chunkLine.append(data.first(take));
    if (lf < 0)
        return take;
    QByteArrayView size;
    if (!parseChunkLine(m_chunkLine, &size))
        return reject(malformedStatus(), "malformed chunk size line");
    // The bare "SIZE\r\n", in place: resize keeps the buffer for the next line.
    m_chunkLine.resize(size.size());
    m_chunkLine.append("\r\n");
    m_chunkLinePending = false;
    m_lastNonBlank = '\n';
    llhttp_t* p = &m_state->parser;
    m_feedStart = m_chunkLine.constData();
    const llhttp_errno_t err = llhttp_execute(p, m_chunkLine.constData(), size_t(m_chunkLine.size()));
    m_chunkLine.resize(0);
    if (err != HPE_OK)
        return reject(malformedStatus(),
                      QByteArray(llhttp_errno_name(err)) + ": " + QByteArray(llhttp_get_error_reason(p)));
    return take;
}

bool HttpParser::finish()
{
    if (m_failed)
        return false;
    const llhttp_errno_t err = llhttp_finish(&m_state->parser);
    if (err == HPE_OK || err == HPE_PAUSED)
        return !m_inMessage;
    fail(m_kind == Kind::Request ? 400 : 502, "connection closed in the middle of a message");
    return false;
}

} // namespace lab::http
