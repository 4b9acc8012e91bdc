#include "AdminApi.h"

#include "AdminView.h"
#include "PrometheusExposition.h"
#include "backend/BackendPool.h"
#include "balancing/Balancer.h"
#include "balancing/Registry.h"
#include "config/ConfigSchema.h"
#include "fakebackend/FakeBackend.h"
#include "lab/Lab.h"
#include "metrics/EventLog.h"
#include "metrics/RequestTrace.h"
#include "proxy/Proxy.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QUrl>
#include <QUrlQuery>
#include <cmath>
#include <optional>

namespace lab {

namespace {

AdminResponse jsonResponse(int status, const QJsonObject& body)
{
    AdminResponse r;
    r.status = status;
    r.body = QJsonDocument(body).toJson(QJsonDocument::Compact) + '\n';
    return r;
}

AdminResponse errorResponse(int status, const QString& error, const QString& field = {})
{
    QJsonObject o{{QStringLiteral("error"), error}};
    if (!field.isEmpty())
        o.insert(QStringLiteral("field"), field);
    return jsonResponse(status, o);
}

AdminResponse methodNotAllowed(const QByteArray& method, const QByteArray& allow)
{
    AdminResponse r = errorResponse(405,
                                    QStringLiteral("method %1 is not allowed here (allowed: %2)")
                                        .arg(QString::fromLatin1(method), QString::fromLatin1(allow)),
                                    QStringLiteral("method"));
    r.allow = allow;
    return r;
}

bool isRead(const QByteArray& method)
{
    return method == "GET" || method == "HEAD";
}

// The media type before any parameters, lower case: "application/json; charset=utf-8" -> application/json.
QByteArray mediaType(const QByteArray& contentType)
{
    const qsizetype semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.left(semicolon)).trimmed().toLower();
}

// The JSON object a state-changing request carries (an empty body is {}); an error response when the
// request is not JSON, not an object, or has a key outside `allowed`.
std::optional<AdminResponse> readJsonBody(const AdminRequest& request, const QStringList& allowed, QJsonObject* out)
{
    if (mediaType(request.contentType) != "application/json")
        return errorResponse(415,
                             QStringLiteral("a request that changes state must have Content-Type: application/json "
                                            "(got '%1')")
                                 .arg(QString::fromLatin1(request.contentType)),
                             QStringLiteral("Content-Type"));
    if (request.body.trimmed().isEmpty()) {
        *out = {};
        return std::nullopt;
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return errorResponse(400,
                             QStringLiteral("the body is not valid JSON: %1 at offset %2")
                                 .arg(parseError.errorString())
                                 .arg(parseError.offset),
                             QStringLiteral("body"));
    if (!doc.isObject())
        return errorResponse(400, QStringLiteral("the body must be a JSON object"), QStringLiteral("body"));
    *out = doc.object();
    for (auto it = out->begin(); it != out->end(); ++it) {
        if (!allowed.contains(it.key()))
            return errorResponse(
                400,
                QStringLiteral("unknown field; allowed here: %1")
                    .arg(allowed.isEmpty() ? QStringLiteral("none") : allowed.join(QStringLiteral(", "))),
                it.key());
    }
    return std::nullopt;
}

// An integer field within `range`; nullopt (and *error) when it is not one.
std::optional<qint64> integerField(const QJsonObject& o, const QString& key, schema::Range range,
                                   std::optional<AdminResponse>* error)
{
    const QJsonValue v = o.value(key);
    const double d = v.toDouble();
    if (!v.isDouble() || d != std::floor(d) || !range.contains(qint64(d))) {
        *error =
            errorResponse(400, QStringLiteral("must be an integer from %1 to %2").arg(range.min).arg(range.max), key);
        return std::nullopt;
    }
    return qint64(d);
}

// ?after=SEQ&limit=N of the paged lists.
struct Page {
    quint64 after = 0;
    int limit = AdminApi::kDefaultPage;
};

std::optional<AdminResponse> readPage(const QByteArray& query, Page* page)
{
    const QUrlQuery q{QString::fromUtf8(query)};
    for (const auto& [key, value] : q.queryItems(QUrl::FullyDecoded)) {
        bool ok = false;
        if (key == QLatin1String("after")) {
            page->after = value.toULongLong(&ok);
            if (!ok)
                return errorResponse(400, QStringLiteral("must be a sequence number (0 or more)"), key);
        } else if (key == QLatin1String("limit")) {
            page->limit = value.toInt(&ok);
            if (!ok || page->limit < 1 || page->limit > AdminApi::kMaxPage)
                return errorResponse(400, QStringLiteral("must be an integer from 1 to %1").arg(AdminApi::kMaxPage),
                                     key);
        } else {
            return errorResponse(400, QStringLiteral("unknown query parameter; allowed: after, limit"), key);
        }
    }
    return std::nullopt;
}

QJsonObject responsesJson(const TrafficStats& t)
{
    static const char* const names[] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
    QJsonObject o;
    for (size_t c = 0; c < t.responsesByClass.size(); ++c)
        o.insert(QLatin1String(names[c]), double(t.responsesByClass[c]));
    return o;
}

void insertTraffic(QJsonObject& o, const TrafficStats& t)
{
    o.insert(QStringLiteral("requests"), double(t.requests));
    o.insert(QStringLiteral("responses"), responsesJson(t));
    o.insert(QStringLiteral("retries"), double(t.retries));
    o.insert(QStringLiteral("connectFailures"), double(t.connectFailures));
    o.insert(QStringLiteral("bytesIn"), double(t.bytesIn));
    o.insert(QStringLiteral("bytesOut"), double(t.bytesOut));
    o.insert(QStringLiteral("connections"), double(t.connections));
    o.insert(QStringLiteral("activeConnections"), double(t.activeConnections));
    o.insert(QStringLiteral("p50Ms"), t.latency.percentileMs(50));
    o.insert(QStringLiteral("p99Ms"), t.latency.percentileMs(99));
}

// A TLS listener's handshakes (completed, failed by class), connections open and application bytes.
QJsonObject tlsJson(const TlsStats& s)
{
    QJsonObject failures;
    for (size_t i = 0; i < kTlsFailureClasses; ++i)
        failures.insert(QLatin1String(tlsFailureName(TlsFailure(i))), double(s.failures[i]));
    return {
        {QStringLiteral("handshakes"), double(s.handshakes)},
        {QStringLiteral("failedHandshakes"), double(s.failedHandshakes)},
        {QStringLiteral("handshakeFailures"), failures},
        {QStringLiteral("handshaking"), double(s.handshaking)},
        {QStringLiteral("established"), double(s.established)},
        {QStringLiteral("decryptedBytes"), double(s.decryptedBytes)},
        {QStringLiteral("encryptedBytes"), double(s.encryptedBytes)},
    };
}

} // namespace

AdminApi::AdminApi(Lab& lab)
    : m_lab(lab)
{
}

QJsonObject AdminApi::backendJson(const AdminBackendView& b)
{
    QJsonObject o{
        {QStringLiteral("name"), b.name},
        {QStringLiteral("host"), b.host},
        {QStringLiteral("port"), b.port},
        {QStringLiteral("embedded"), b.embedded},
        {QStringLiteral("running"), b.running},
        {QStringLiteral("stopping"), b.stopping},
        {QStringLiteral("weight"), b.weight},
        {QStringLiteral("draining"), !b.enabled},
        {QStringLiteral("healthy"), b.healthy},
        {QStringLiteral("ejected"), b.ejected},
        {QStringLiteral("circuit"), QLatin1String(breakerStateName(b.breaker))},
        {QStringLiteral("eligibility"), QLatin1String(eligibilityName(b.eligibility))},
        {QStringLiteral("inFlight"), b.inFlight},
        {QStringLiteral("ejectionCause"), b.ejectionCause},
        {QStringLiteral("lastFailure"), b.lastFailure},
    };
    if (b.queued >= 0) {
        o.insert(QStringLiteral("queued"), b.queued);
        o.insert(QStringLiteral("inService"), b.inService);
    }
    insertTraffic(o, b.traffic);
    return o;
}

QJsonObject AdminApi::stateJson(const AdminView& view)
{
    QJsonArray listeners;
    for (const AdminListenerView& l : view.listeners) {
        QJsonObject o{
            {QStringLiteral("name"), l.name},
            {QStringLiteral("kind"), l.kind == ListenerKind::Tcp ? QStringLiteral("tcp") : QStringLiteral("http")},
            {QStringLiteral("address"), l.address},
            {QStringLiteral("port"), l.port},
            {QStringLiteral("listening"), l.listening},
            {QStringLiteral("answeredByProxy"), double(l.metrics.listener.answeredByProxy)},
            {QStringLiteral("rateLimited"), double(l.metrics.listener.rateLimited)},
            {QStringLiteral("refusedConnections"), double(l.metrics.listener.refusedConnections)},
        };
        insertTraffic(o, l.metrics.listener);
        if (l.tls)
            o.insert(QStringLiteral("tls"), tlsJson(l.tlsStats));
        listeners.append(o);
    }
    QJsonArray backends;
    for (const AdminBackendView& b : view.backends)
        backends.append(backendJson(b));
    return {
        {QStringLiteral("algorithm"), view.algorithm}, {QStringLiteral("hashKey"), view.hashKey},
        {QStringLiteral("sticky"), view.sticky},       {QStringLiteral("panic"), view.panic},
        {QStringLiteral("listeners"), listeners},      {QStringLiteral("backends"), backends},
    };
}

AdminResponse AdminApi::handle(const AdminRequest& request)
{
    const qsizetype q = request.target.indexOf('?');
    const QByteArray path = q < 0 ? request.target : request.target.left(q);
    const QByteArray query = q < 0 ? QByteArray() : request.target.mid(q + 1);
    const QByteArray& method = request.method;

    if (path == "/metrics") {
        if (!isRead(method))
            return methodNotAllowed(method, "GET, HEAD");
        AdminResponse r;
        r.contentType = kPrometheusContentType;
        r.body = prometheusExposition(collectAdminView(m_lab));
        return r;
    }
    if (path == "/api/state") {
        if (!isRead(method))
            return methodNotAllowed(method, "GET, HEAD");
        return jsonResponse(200, stateJson(collectAdminView(m_lab)));
    }
    if (path == "/api/events" || path == "/api/trace") {
        if (!isRead(method))
            return methodNotAllowed(method, "GET, HEAD");
        return path == "/api/events" ? events(query) : trace(query);
    }
    if (path == "/api/algorithm") {
        if (method != "PUT")
            return methodNotAllowed(method, "PUT");
        return setAlgorithm(request);
    }
    static const QByteArray backendsPrefix = QByteArrayLiteral("/api/backends/");
    if (path.startsWith(backendsPrefix)) {
        const QList<QByteArray> parts = path.mid(backendsPrefix.size()).split('/');
        const QString name = QUrl::fromPercentEncoding(parts.first());
        if (parts.size() == 1 && !name.isEmpty()) {
            if (!isRead(method))
                return methodNotAllowed(method, "GET, HEAD");
            return backendState(name);
        }
        if (parts.size() == 2 && !name.isEmpty()) {
            const QByteArray operation = parts[1];
            if (operation == "drain" || operation == "enable" || operation == "disable") {
                if (method != "POST")
                    return methodNotAllowed(method, "POST");
                return backendOperation(request, name, QString::fromLatin1(operation));
            }
            if (operation == "weight") {
                if (method != "PUT")
                    return methodNotAllowed(method, "PUT");
                return backendOperation(request, name, QString::fromLatin1(operation));
            }
        }
    }
    if (path == "/" || path == "/api") {
        if (!isRead(method))
            return methodNotAllowed(method, "GET, HEAD");
        return jsonResponse(
            200,
            {{QStringLiteral("endpoints"),
              QJsonArray{QStringLiteral("GET /metrics"), QStringLiteral("GET /api/state"),
                         QStringLiteral("GET /api/events?after=SEQ&limit=N"),
                         QStringLiteral("GET /api/trace?after=SEQ&limit=N"), QStringLiteral("GET /api/backends/{name}"),
                         QStringLiteral("POST /api/backends/{name}/drain"),
                         QStringLiteral("POST /api/backends/{name}/enable"),
                         QStringLiteral("POST /api/backends/{name}/disable"),
                         QStringLiteral("PUT /api/backends/{name}/weight"), QStringLiteral("PUT /api/algorithm")}},
             {QStringLiteral("docs"), QStringLiteral("docs/admin.md")}});
    }
    return errorResponse(404, QStringLiteral("no such endpoint: %1 (GET / lists them)").arg(QString::fromUtf8(path)),
                         QStringLiteral("path"));
}

AdminResponse AdminApi::backendState(const QString& name) const
{
    const AdminView view = collectAdminView(m_lab);
    for (const AdminBackendView& b : view.backends) {
        if (b.name == name)
            return jsonResponse(200, backendJson(b));
    }
    return errorResponse(404, QStringLiteral("no backend named '%1'").arg(name), QStringLiteral("name"));
}

AdminResponse AdminApi::backendOperation(const AdminRequest& request, const QString& name, const QString& operation)
{
    QStringList allowed;
    if (operation == QLatin1String("weight"))
        allowed << QStringLiteral("weight");
    else if (operation == QLatin1String("disable"))
        allowed << QStringLiteral("drainMs");
    QJsonObject body;
    if (std::optional<AdminResponse> bad = readJsonBody(request, allowed, &body))
        return *bad;
    const BackendId id = m_lab.idOf(name);
    if (!id.isValid())
        return errorResponse(404, QStringLiteral("no backend named '%1'").arg(name), QStringLiteral("name"));

    std::optional<AdminResponse> bad;
    if (operation == QLatin1String("weight")) {
        if (!body.contains(QStringLiteral("weight")))
            return errorResponse(400, QStringLiteral("is required"), QStringLiteral("weight"));
        const std::optional<qint64> weight =
            integerField(body, QStringLiteral("weight"), schema::rangeOf(&BackendConfig::weight), &bad);
        if (!weight)
            return *bad;
        m_lab.setWeight(id, int(*weight));
    } else if (operation == QLatin1String("drain")) {
        m_lab.setDraining(id, true);
    } else if (operation == QLatin1String("enable")) {
        if (m_lab.isStopping(id))
            return errorResponse(
                409,
                QStringLiteral("%1 is stopping (a disable is draining it); enable it once it has stopped").arg(name),
                QStringLiteral("name"));
        const FakeBackend* fake = m_lab.embeddedBackend(id);
        QString error;
        if (fake && !fake->isStarted() && !m_lab.startBackend(id, &error))
            return errorResponse(409, error, QStringLiteral("name"));
        m_lab.setDraining(id, false);
    } else { // disable: drain, then stop an embedded backend
        int drainMs = kDefaultDisableDrainMs;
        if (body.contains(QStringLiteral("drainMs"))) {
            const std::optional<qint64> ms =
                integerField(body, QStringLiteral("drainMs"), {0, kMaxDisableDrainMs}, &bad);
            if (!ms)
                return *bad;
            drainMs = int(*ms);
        }
        if (m_lab.embeddedBackend(id))
            m_lab.drainAndStop(id, drainMs);
        else
            m_lab.setDraining(id, true); // the lab cannot stop a server it does not run
    }
    return backendState(name);
}

AdminResponse AdminApi::setAlgorithm(const AdminRequest& request)
{
    QJsonObject body;
    if (std::optional<AdminResponse> bad =
            readJsonBody(request, {QStringLiteral("algorithm"), QStringLiteral("hashKey")}, &body))
        return *bad;
    const QJsonValue algorithm = body.value(QStringLiteral("algorithm"));
    const QString allowed = algorithmNames().join(QStringLiteral(", "));
    if (!algorithm.isString() || !findAlgorithm(algorithm.toString()))
        return errorResponse(400, QStringLiteral("must be one of %1").arg(allowed), QStringLiteral("algorithm"));
    if (body.contains(QStringLiteral("hashKey"))) {
        const QJsonValue key = body.value(QStringLiteral("hashKey"));
        const QString problem = key.isString()
            ? HashKeySpec::problem(key.toString())
            : QStringLiteral("must be a string: client, path, header:NAME or cookie:NAME");
        if (!problem.isEmpty())
            return errorResponse(400, problem, QStringLiteral("hashKey"));
        QString error;
        if (!m_lab.setHashKey(key.toString(), &error))
            return errorResponse(400, error, QStringLiteral("hashKey"));
    }
    QString error;
    if (!m_lab.setAlgorithm(algorithm.toString(), &error))
        return errorResponse(400, error, QStringLiteral("algorithm"));
    return jsonResponse(200,
                        {{QStringLiteral("algorithm"), m_lab.pool()->algorithm()},
                         {QStringLiteral("hashKey"), m_lab.config().hashKey}});
}

AdminResponse AdminApi::events(const QByteArray& query) const
{
    Page page;
    if (std::optional<AdminResponse> bad = readPage(query, &page))
        return *bad;
    const QList<LabEvent> all = m_lab.events().since(page.after);
    QJsonArray list;
    for (qsizetype i = 0; i < all.size() && i < page.limit; ++i) {
        const LabEvent& e = all[i];
        list.append(QJsonObject{{QStringLiteral("sequence"), double(e.sequence)},
                                {QStringLiteral("time"), e.time.toUTC().toString(Qt::ISODateWithMs)},
                                {QStringLiteral("kind"), EventLog::kindName(e.kind)},
                                {QStringLiteral("text"), e.text}});
    }
    return jsonResponse(200,
                        {{QStringLiteral("events"), list},
                         {QStringLiteral("more"), all.size() > page.limit},
                         {QStringLiteral("lastSequence"), double(m_lab.events().lastSequence())},
                         {QStringLiteral("suppressed"), double(m_lab.events().suppressed())}});
}

AdminResponse AdminApi::trace(const QByteArray& query) const
{
    Page page;
    if (std::optional<AdminResponse> bad = readPage(query, &page))
        return *bad;
    const Proxy* proxy = m_lab.httpProxy();
    const QList<TraceEntry> all = proxy ? proxy->trace().since(page.after) : QList<TraceEntry>();
    QJsonArray list;
    for (qsizetype i = 0; i < all.size() && i < page.limit; ++i) {
        const TraceEntry& t = all[i];
        list.append(QJsonObject{{QStringLiteral("sequence"), double(t.sequence)},
                                {QStringLiteral("time"), t.time.toUTC().toString(Qt::ISODateWithMs)},
                                {QStringLiteral("client"), t.client},
                                {QStringLiteral("method"), t.method},
                                {QStringLiteral("path"), t.path},
                                {QStringLiteral("status"), t.status},
                                {QStringLiteral("servedBy"), t.servedBy},
                                {QStringLiteral("attempts"), t.attempts},
                                {QStringLiteral("latencyMs"), t.latencyMs},
                                {QStringLiteral("why"), t.why}});
    }
    return jsonResponse(200,
                        {{QStringLiteral("entries"), list},
                         {QStringLiteral("more"), all.size() > page.limit},
                         {QStringLiteral("lastSequence"), double(proxy ? proxy->trace().lastSequence() : 0)}});
}

} // namespace lab
