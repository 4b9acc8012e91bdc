#include "RequestRules.h"

#include "HeaderRules.h"

namespace lab::http {

namespace {
RequestVerdict refuse(int status, QByteArray reason)
{
    return {status, std::move(reason)};
}

// An absolute-form target (RFC 9112 3.2.2): its authority replaces Host, the rest becomes origin-form.
RequestVerdict normalizeAbsoluteForm(HttpHead& head)
{
    const QByteArray& target = head.target;
    const qsizetype authStart = target.indexOf("//") + 2;
    qsizetype pathStart = authStart;
    while (pathStart < target.size() && target[pathStart] != '/' && target[pathStart] != '?')
        ++pathStart;
    const QByteArray authority = target.mid(authStart, pathStart - authStart);
    if (authority.isEmpty())
        return refuse(400, "absolute-form request target without authority");
    if (!isValidAuthority(authority))
        return refuse(400, "invalid authority in the request target");
    QByteArray origin;
    if (pathStart == target.size())
        origin = "/";
    else
        origin = target[pathStart] == '?' ? '/' + target.mid(pathStart) : target.mid(pathStart);
    head.setHeader("Host", authority);
    head.target = origin;
    return {};
}
} // namespace

RequestVerdict checkAndNormalizeRequest(HttpHead& head, const RequestRules& rules)
{
    if (head.versionMajor != 1) // llhttp reads "GET /" without a version as HTTP/0.9
        return refuse(505, "only HTTP/1.0 and HTTP/1.1 are supported");
    if (head.method == "CONNECT")
        return refuse(405, "CONNECT is not supported: this is a reverse proxy");
    const int hosts = head.headerCount("Host");
    if (hosts == 0 && !head.isHttp10())
        return refuse(400, "missing Host header (required in HTTP/1.1)");
    if (hosts > 1)
        return refuse(400, "more than one Host header");
    if (hosts == 1 && !isValidAuthority(head.header("Host")))
        return refuse(400, "invalid Host header");
    if (head.target.startsWith("http://") || head.target.startsWith("https://")) {
        if (RequestVerdict v = normalizeAbsoluteForm(head); !v)
            return v;
    } else if (!head.target.startsWith('/') && !(head.method == "OPTIONS" && head.target == "*")) {
        return refuse(400, "request target must start with /");
    }
    if (rules.maxBodyBytes > 0 && head.framing == BodyFraming::ContentLength &&
        qint64(head.contentLength) > rules.maxBodyBytes)
        return refuse(413, "request body larger than " + QByteArray::number(rules.maxBodyBytes) + " bytes");
    if (!rules.underscoresInHeaders)
        removeHeadersWithUnderscore(head);
    return {};
}

} // namespace lab::http
