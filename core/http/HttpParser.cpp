#include "HttpParser.h"

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
} // namespace

struct HttpParser::Callbacks {
    static int onMessageBegin(llhttp_t* p)
    {
        HttpParser* s = self(p);
        s->m_head = HttpHead{};
        s->m_field.clear();
        s->m_value.clear();
        s->m_valueSpans = 0;
        s->m_headBytes = 0;
        s->m_inMessage = true;
        s->m_headComplete = false;
        return 0;
    }

    static int onUrl(llhttp_t* p, const char* at, size_t len)
    {
        HttpParser* s = self(p);
        s->m_head.target.append(at, qsizetype(len));
        if (s->m_head.target.size() > s->m_limits.maxRequestLineBytes)
            return s->fail(414, "request target longer than " +
                                    QByteArray::number(s->m_limits.maxRequestLineBytes) + " bytes");
        return s->countHeadBytes(qsizetype(len));
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
        s->m_field.append(at, qsizetype(len));
        return s->countHeadBytes(qsizetype(len));
    }

    static int onHeaderValue(llhttp_t* p, const char* at, size_t len)
    {
        HttpParser* s = self(p);
        // llhttp accepts obsolete line folding even in strict mode and hands the folded line as a second
        // span right after the CRLF. A proxy must not pass on a header that two parsers could read two
        // ways (RFC 9112 5.2), so a continuation span that follows a line end is rejected.
        if (s->m_valueSpans++ > 0) {
            const char before = at > s->m_feedStart ? at[-1] : s->m_previousFeedLastByte;
            if (before == '\n')
                return s->fail(400, "obsolete line folding in header " + s->m_field);
        }
        s->m_value.append(at, qsizetype(len));
        return s->countHeadBytes(qsizetype(len));
    }

    static int onHeaderValueComplete(llhttp_t* p) { return self(p)->commitHeader(); }

    static int onHeadersComplete(llhttp_t* p)
    {
        HttpParser* s = self(p);
        HttpHead& h = s->m_head;
        h.versionMajor = p->http_major;
        h.versionMinor = p->http_minor;
        if (s->m_kind == Kind::Request) {
            h.method = llhttp_method_name(llhttp_method_t(p->method));
            if (h.target.isEmpty()) {
                s->fail(400, "empty request target");
                return -1;
            }
        } else {
            h.statusCode = p->status_code;
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
        // 1xx, 204 and 304 never have a body, whatever Content-Length says (llhttp knows this too).
        if (s->m_kind == Kind::Response && (h.statusCode < 200 || h.statusCode == 204 || h.statusCode == 304))
            h.framing = BodyFraming::None;
        h.contentLength = h.framing == BodyFraming::ContentLength ? p->content_length : 0;

        s->m_headComplete = true;
        if (!s->m_handler->onHead(h)) {
            s->fail(0, "stopped by handler");
            return -1; // on_headers_complete signals errors with -1, not HPE_USER
        }
        return noBody ? 1 : 0;
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
        st.on_url = &HttpParser::Callbacks::onUrl;
        st.on_status = &HttpParser::Callbacks::onStatus;
        st.on_header_field = &HttpParser::Callbacks::onHeaderField;
        st.on_header_value = &HttpParser::Callbacks::onHeaderValue;
        st.on_header_value_complete = &HttpParser::Callbacks::onHeaderValueComplete;
        st.on_headers_complete = &HttpParser::Callbacks::onHeadersComplete;
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
    m_state->parser.data = this;
    m_failed = false;
    m_error = {};
    m_inMessage = false;
    m_headComplete = false;
    m_nextHasNoBody = false;
}

int HttpParser::fail(int status, QByteArray reason)
{
    if (!m_failed) {
        m_failed = true;
        m_error = {status, std::move(reason)};
    }
    return HPE_USER;
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
    if (m_headComplete) { // a trailer field: not forwarded (Trailer is hop-by-hop for us)
        m_field.clear();
        m_value.clear();
        m_valueSpans = 0;
        return 0;
    }
    if (m_head.headers.size() >= m_limits.maxHeaderCount)
        return fail(431, "more than " + QByteArray::number(m_limits.maxHeaderCount) + " header fields");
    m_valueSpans = 0;
    m_head.headers.append({std::exchange(m_field, {}), std::exchange(m_value, {}).trimmed()});
    return 0;
}

qsizetype HttpParser::feed(QByteArrayView data)
{
    if (m_failed)
        return -1;
    if (data.isEmpty())
        return 0;
    llhttp_t* p = &m_state->parser;
    m_feedStart = data.data();
    const llhttp_errno_t err = llhttp_execute(p, data.data(), size_t(data.size()));
    m_previousFeedLastByte = data.back();
    switch (err) {
    case HPE_OK:
        return data.size();
    case HPE_PAUSED: {
        const qsizetype consumed = llhttp_get_error_pos(p) - data.data();
        llhttp_resume(p);
        return consumed;
    }
    case HPE_PAUSED_UPGRADE: {
        // We do not tunnel upgrades yet: the Upgrade header is stripped as hop-by-hop, so the peer sees a
        // plain request and the connection stays HTTP.
        const qsizetype consumed = llhttp_get_error_pos(p) - data.data();
        llhttp_resume_after_upgrade(p);
        return consumed;
    }
    case HPE_INVALID_METHOD:
        fail(501, "method not implemented");
        return -1;
    default:
        fail(m_kind == Kind::Request ? 400 : 502,
             QByteArray(llhttp_errno_name(err)) + ": " + QByteArray(llhttp_get_error_reason(p)));
        return -1;
    }
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
