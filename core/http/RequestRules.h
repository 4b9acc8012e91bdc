#pragma once

#include "HttpMessage.h"

namespace lab::http {

struct RequestRules {
    qint64 maxBodyBytes = 0; // 0: no limit (413 past it, for a declared Content-Length)
    bool underscoresInHeaders = false; // forward header names with '_' (nginx drops them by default)
};

// What the proxy does with a parsed request: forward it (status 0) or answer `status` with `reason`.
struct RequestVerdict {
    int status = 0;
    QByteArray reason;
    explicit operator bool() const { return status == 0; }
};

// The proxy's checks on a request head that llhttp accepted, in one place (HttpSession and the fuzz
// target call it): refuses what two servers could read two ways or what a reverse proxy does not do
// (RFC 9112 3.2: a missing, doubled or invalid Host; HTTP/2+ on an HTTP/1 connection; CONNECT; a
// target in neither origin nor absolute form), and brings the head into the form that is forwarded:
// an absolute-form target becomes origin-form with its authority as Host, and header names with an
// underscore are dropped unless `rules` allow them (a backend could read Content_Length as framing).
// Framing itself (Content-Length, Transfer-Encoding) was already checked by HttpParser.
RequestVerdict checkAndNormalizeRequest(HttpHead& head, const RequestRules& rules);

} // namespace lab::http
