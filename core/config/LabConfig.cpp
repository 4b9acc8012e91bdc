#include "LabConfig.h"

#include <QFile>
#include <QHash>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QSet>

namespace lab {

bool validCookieName(const QString& name)
{
    if (name.isEmpty() || name.size() > 64)
        return false;
    for (QChar ch : name) {
        if (ch.unicode() >= 128 || !(ch.isLetterOrNumber() || ch == QLatin1Char('-') || ch == QLatin1Char('_')))
            return false;
    }
    return true;
}

bool validHashKey(const QString& key)
{
    if (key == QLatin1String("client") || key == QLatin1String("path"))
        return true;
    if (key.startsWith(QLatin1String("header:")) || key.startsWith(QLatin1String("cookie:")))
        return validCookieName(key.mid(7));
    return false;
}

bool validBackendHost(const QString& host)
{
    if (host.isEmpty() || host.size() > 253)
        return false;
    for (QChar ch : host) {
        if (ch.isSpace())
            return false;
    }
    if (!QHostAddress(host).isNull())
        return true;
    const QStringList labels = host.split(QLatin1Char('.'));
    for (qsizetype i = 0; i < labels.size(); ++i) {
        const QString& label = labels[i];
        if (label.isEmpty()) {
            if (i > 0 && i == labels.size() - 1)
                continue; // "backend.example." names the same host
            return false;
        }
        if (label.size() > 63 || label.startsWith(QLatin1Char('-')) || label.endsWith(QLatin1Char('-')))
            return false;
        for (QChar ch : label) {
            if (ch.unicode() >= 128 || !(ch.isLetterOrNumber() || ch == QLatin1Char('-') || ch == QLatin1Char('_')))
                return false;
        }
    }
    return true;
}

QStringList problemsForServing(const LabConfig& config)
{
    QStringList problems;
    if (config.listeners.isEmpty())
        problems << QStringLiteral("listeners: none; serving needs at least one listener for clients to connect to");
    if (config.backends.isEmpty())
        problems << QStringLiteral("backends: none; serving needs at least one backend to send requests to");
    return problems;
}

QStringList knownAlgorithms()
{
    return {QStringLiteral("round-robin"),
            QStringLiteral("weighted-round-robin"),
            QStringLiteral("least-connections"),
            QStringLiteral("power-of-two-choices"),
            QStringLiteral("random"),
            QStringLiteral("ip-hash"),
            QStringLiteral("ring-hash"),
            QStringLiteral("maglev"),
            QStringLiteral("least-latency")};
}

QStringList knownRetryConditions()
{
    return {QStringLiteral("connect-failure"), QStringLiteral("timeout"), QStringLiteral("5xx"), QStringLiteral("404")};
}

namespace {

QString describe(const QJsonValue& v)
{
    switch (v.type()) {
    case QJsonValue::Null: return QStringLiteral("null");
    case QJsonValue::Bool: return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Double: return QString::number(v.toDouble());
    case QJsonValue::String: return QLatin1Char('"') + v.toString() + QLatin1Char('"');
    case QJsonValue::Array: return QStringLiteral("an array");
    case QJsonValue::Object: return QStringLiteral("an object");
    default: return QStringLiteral("nothing");
    }
}

// Reads one JSON object, checking each key against what is allowed there and recording every problem
// with its JSON path. Missing keys take the default; present keys must be right.
class ObjectReader {
public:
    ObjectReader(const QJsonObject& obj, QString path, QStringList& errors, const QStringList& allowed)
        : m_obj(obj)
        , m_path(std::move(path))
        , m_errors(errors)
    {
        for (auto it = obj.begin(); it != obj.end(); ++it) {
            if (!allowed.contains(it.key()))
                error(it.key(), QStringLiteral("unknown key; allowed here: ") + allowed.join(QStringLiteral(", ")));
        }
    }

    QString pathOf(const QString& key) const { return m_path.isEmpty() ? key : m_path + QLatin1Char('.') + key; }

    void error(const QString& key, const QString& what) { m_errors << pathOf(key) + QStringLiteral(": ") + what; }

    bool has(const char* key) const { return m_obj.contains(QLatin1String(key)); }

    int integer(const char* key, int def, int min, int max)
    {
        const QJsonValue v = m_obj.value(QLatin1String(key));
        if (v.isUndefined())
            return def;
        const double d = v.toDouble(-1e300);
        // Range first: converting an infinite or huge double to an integer is undefined.
        if (!v.isDouble() || !(d >= min && d <= max) || d != double(qint64(d))) {
            error(QLatin1String(key),
                  QStringLiteral("must be an integer from %1 to %2 (got %3)").arg(min).arg(max).arg(describe(v)));
            return def;
        }
        return int(d);
    }

    double number(const char* key, double def, double min, double max)
    {
        const QJsonValue v = m_obj.value(QLatin1String(key));
        if (v.isUndefined())
            return def;
        if (!v.isDouble() || !(v.toDouble() >= min && v.toDouble() <= max)) { // no NaN, no infinity
            error(QLatin1String(key),
                  QStringLiteral("must be a number from %1 to %2 (got %3)").arg(min).arg(max).arg(describe(v)));
            return def;
        }
        return v.toDouble();
    }

    bool boolean(const char* key, bool def)
    {
        const QJsonValue v = m_obj.value(QLatin1String(key));
        if (v.isUndefined())
            return def;
        if (!v.isBool()) {
            error(QLatin1String(key), QStringLiteral("must be true or false (got %1)").arg(describe(v)));
            return def;
        }
        return v.toBool();
    }

    // allowed: when non-empty, the value must be one of these.
    QString string(const char* key, const QString& def, const QStringList& allowed = {})
    {
        const QJsonValue v = m_obj.value(QLatin1String(key));
        if (v.isUndefined())
            return def;
        if (!v.isString()) {
            error(QLatin1String(key), QStringLiteral("must be a string (got %1)").arg(describe(v)));
            return def;
        }
        if (!allowed.isEmpty() && !allowed.contains(v.toString())) {
            error(QLatin1String(key),
                  QStringLiteral("must be one of %1 (got %2)").arg(allowed.join(QStringLiteral(", ")), describe(v)));
            return def;
        }
        return v.toString();
    }

    QStringList stringList(const char* key, const QStringList& def, const QStringList& allowed = {})
    {
        const QJsonValue v = m_obj.value(QLatin1String(key));
        if (v.isUndefined())
            return def;
        if (!v.isArray()) {
            error(QLatin1String(key), QStringLiteral("must be an array of strings (got %1)").arg(describe(v)));
            return def;
        }
        QStringList out;
        const QJsonArray a = v.toArray();
        for (qsizetype i = 0; i < a.size(); ++i) {
            const QString item = QStringLiteral("%1[%2]").arg(QLatin1String(key)).arg(i);
            if (!a[i].isString())
                error(item, QStringLiteral("must be a string (got %1)").arg(describe(a[i])));
            else if (!allowed.isEmpty() && !allowed.contains(a[i].toString()))
                error(item,
                      QStringLiteral("must be one of %1 (got %2)")
                          .arg(allowed.join(QStringLiteral(", ")), describe(a[i])));
            else
                out << a[i].toString();
        }
        return out;
    }

    // Returns the nested object, or an empty one (after recording an error) when the value is no object.
    QJsonObject object(const char* key)
    {
        const QJsonValue v = m_obj.value(QLatin1String(key));
        if (v.isUndefined())
            return {};
        if (!v.isObject()) {
            error(QLatin1String(key), QStringLiteral("must be an object (got %1)").arg(describe(v)));
            return {};
        }
        return v.toObject();
    }

    QJsonArray array(const char* key)
    {
        const QJsonValue v = m_obj.value(QLatin1String(key));
        if (v.isUndefined())
            return {};
        if (!v.isArray()) {
            error(QLatin1String(key), QStringLiteral("must be an array (got %1)").arg(describe(v)));
            return {};
        }
        return v.toArray();
    }

private:
    QJsonObject m_obj;
    QString m_path;
    QStringList& m_errors;
};

// QJsonDocument keeps one of two equal keys in an object without a word, so `"port": 8001, "port": 8002`
// would load as one of them. This scan of the raw text (already parsed, so known to be valid JSON) names
// every key that repeats within one object by its JSON path and the lines of both. Linear in the text.
class DuplicateKeyScan {
public:
    DuplicateKeyScan(const QByteArray& json, QStringList& errors)
        : m_json(json)
        , m_errors(errors)
    {
    }

    void run()
    {
        if (m_json.startsWith("\xEF\xBB\xBF")) // a UTF-8 byte order mark
            m_at = 3;
        value(QString());
    }

private:
    bool more() const { return m_at < m_json.size(); }
    char peek() const { return more() ? m_json[m_at] : '\0'; }

    void skipSpace()
    {
        while (more() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
            if (peek() == '\n')
                ++m_line;
            ++m_at;
        }
    }

    void value(const QString& path)
    {
        skipSpace();
        switch (peek()) {
        case '{': object(path); break;
        case '[': array(path); break;
        case '"': string(); break;
        default: // a number, true, false or null
            while (more() && !QByteArrayView(",]} \t\r\n").contains(peek()))
                ++m_at;
        }
    }

    void object(const QString& path)
    {
        ++m_at; // {
        QHash<QString, int> lineOfKey;
        skipSpace();
        while (more() && peek() != '}') {
            const int line = m_line;
            const QString key = string();
            const QString keyPath = path.isEmpty() ? key : path + QLatin1Char('.') + key;
            if (const auto first = lineOfKey.constFind(key); first != lineOfKey.cend())
                m_errors << QStringLiteral(
                                "%1: appears twice in one object (lines %2 and %3); each key may appear only once")
                                .arg(keyPath)
                                .arg(*first)
                                .arg(line);
            else
                lineOfKey.insert(key, line);
            skipSpace();
            ++m_at; // :
            value(keyPath);
            skipSpace();
            if (peek() == ',') {
                ++m_at;
                skipSpace();
            }
        }
        ++m_at; // }
    }

    void array(const QString& path)
    {
        ++m_at; // [
        skipSpace();
        for (int index = 0; more() && peek() != ']'; ++index) {
            const qsizetype before = m_at;
            value(QStringLiteral("%1[%2]").arg(path).arg(index));
            skipSpace();
            if (peek() == ',')
                ++m_at;
            if (m_at == before)
                break; // not JSON after all: stop rather than spin
        }
        ++m_at; // ]
    }

    // At an opening quote: the decoded string, the closing quote consumed.
    QString string()
    {
        ++m_at;
        QByteArray utf8;
        QString out;
        auto flush = [&] {
            out += QString::fromUtf8(utf8);
            utf8.clear();
        };
        while (more() && peek() != '"') {
            const char c = m_json[m_at++];
            if (c != '\\') {
                utf8 += c;
                continue;
            }
            const char e = peek();
            ++m_at;
            switch (e) {
            case 'b': utf8 += '\b'; break;
            case 'f': utf8 += '\f'; break;
            case 'n': utf8 += '\n'; break;
            case 'r': utf8 += '\r'; break;
            case 't': utf8 += '\t'; break;
            case 'u':
                flush();
                out += QChar(char16_t(m_json.mid(m_at, 4).toUShort(nullptr, 16)));
                m_at += 4;
                break;
            default: utf8 += e; // " \ /
            }
        }
        flush();
        ++m_at; // "
        return out;
    }

    const QByteArray& m_json;
    QStringList& m_errors;
    qsizetype m_at = 0;
    int m_line = 1;
};

QString kindName(ListenerKind k)
{
    return k == ListenerKind::Tcp ? QStringLiteral("tcp") : QStringLiteral("http");
}

FaultProfile readFaults(const QJsonObject& o, const QString& path, QStringList& errors)
{
    ObjectReader r(o, path, errors,
                   {QStringLiteral("latencyMs"), QStringLiteral("jitterMs"), QStringLiteral("errorRatePercent"),
                    QStringLiteral("healthFails"), QStringLiteral("onlyPaths"), QStringLiteral("capacity"),
                    QStringLiteral("hang"), QStringLiteral("refuse")});
    FaultProfile f;
    f.latencyMs = r.integer("latencyMs", 0, 0, 600000);
    f.jitterMs = r.integer("jitterMs", 0, 0, 600000);
    f.errorRatePercent = r.number("errorRatePercent", 0, 0, 100);
    f.healthFails = r.boolean("healthFails", false);
    f.onlyPaths = r.stringList("onlyPaths", {});
    for (qsizetype i = 0; i < f.onlyPaths.size(); ++i) {
        if (!f.onlyPaths[i].startsWith(QLatin1Char('/')))
            r.error(QStringLiteral("onlyPaths[%1]").arg(i),
                    QStringLiteral("must be a path starting with / (got \"%1\")").arg(f.onlyPaths[i]));
    }
    f.capacity = r.integer("capacity", 0, 0, 1000000);
    f.hang = r.boolean("hang", false);
    f.refuse = r.boolean("refuse", false);
    return f;
}

void readListeners(ObjectReader& top, LabConfig& c, QStringList& errors)
{
    const QJsonArray a = top.array("listeners");
    if (a.size() > 16)
        top.error(QStringLiteral("listeners"), QStringLiteral("at most 16 listeners (got %1)").arg(a.size()));
    for (qsizetype i = 0; i < a.size(); ++i) {
        const QString path = QStringLiteral("listeners[%1]").arg(i);
        if (!a[i].isObject()) {
            errors << path + QStringLiteral(": must be an object (got %1)").arg(describe(a[i]));
            continue;
        }
        ObjectReader r(
            a[i].toObject(), path, errors,
            {QStringLiteral("name"), QStringLiteral("kind"), QStringLiteral("address"), QStringLiteral("port")});
        ListenerConfig l;
        l.kind = r.string("kind", QStringLiteral("http"), {QStringLiteral("http"), QStringLiteral("tcp")}) ==
                QLatin1String("tcp")
            ? ListenerKind::Tcp
            : ListenerKind::Http;
        l.name = r.string("name", kindName(l.kind) + (i ? QString::number(i) : QString()));
        l.address = r.string("address", l.address);
        if (QHostAddress(l.address).isNull())
            r.error(QStringLiteral("address"),
                    QStringLiteral("must be an IP address such as 127.0.0.1 or ::1 (got \"%1\")").arg(l.address));
        l.port = r.integer("port", l.port, 0, 65535);
        c.listeners << l;
    }
}

QStringList healthKeys()
{
    return {QStringLiteral("enabled"),
            QStringLiteral("type"),
            QStringLiteral("path"),
            QStringLiteral("intervalMs"),
            QStringLiteral("timeoutMs"),
            QStringLiteral("rise"),
            QStringLiteral("fall"),
            QStringLiteral("expectStatusMin"),
            QStringLiteral("expectStatusMax"),
            QStringLiteral("expectBody"),
            QStringLiteral("slowStartMs")};
}

// Reads health keys over `h` (the lab's defaults, or for a backend the lab's settings).
void readHealth(ObjectReader& r, HealthConfig& h)
{
    h.enabled = r.boolean("enabled", h.enabled);
    h.type = r.string("type", h.type, {QStringLiteral("http"), QStringLiteral("tcp")});
    h.path = r.string("path", h.path);
    if (!h.path.startsWith(QLatin1Char('/')))
        r.error(QStringLiteral("path"), QStringLiteral("must start with / (got \"%1\")").arg(h.path));
    h.intervalMs = r.integer("intervalMs", h.intervalMs, 50, 3600000);
    h.timeoutMs = r.integer("timeoutMs", h.timeoutMs, 10, 600000);
    h.rise = r.integer("rise", h.rise, 1, 100);
    h.fall = r.integer("fall", h.fall, 1, 100);
    h.expectStatusMin = r.integer("expectStatusMin", h.expectStatusMin, 100, 599);
    h.expectStatusMax = r.integer("expectStatusMax", h.expectStatusMax, 100, 599);
    if (h.expectStatusMax < h.expectStatusMin)
        r.error(QStringLiteral("expectStatusMax"),
                QStringLiteral("must be at least expectStatusMin (%1)").arg(h.expectStatusMin));
    h.expectBody = r.string("expectBody", h.expectBody);
    h.slowStartMs = r.integer("slowStartMs", h.slowStartMs, 0, 3600000);
}

QJsonObject healthToJson(const HealthConfig& h)
{
    return QJsonObject{{QStringLiteral("enabled"), h.enabled},
                       {QStringLiteral("type"), h.type},
                       {QStringLiteral("path"), h.path},
                       {QStringLiteral("intervalMs"), h.intervalMs},
                       {QStringLiteral("timeoutMs"), h.timeoutMs},
                       {QStringLiteral("rise"), h.rise},
                       {QStringLiteral("fall"), h.fall},
                       {QStringLiteral("expectStatusMin"), h.expectStatusMin},
                       {QStringLiteral("expectStatusMax"), h.expectStatusMax},
                       {QStringLiteral("expectBody"), h.expectBody},
                       {QStringLiteral("slowStartMs"), h.slowStartMs}};
}

void readBackends(ObjectReader& top, LabConfig& c, QStringList& errors)
{
    const QJsonArray a = top.array("backends");
    for (qsizetype i = 0; i < a.size(); ++i) {
        const QString path = QStringLiteral("backends[%1]").arg(i);
        if (!a[i].isObject()) {
            errors << path + QStringLiteral(": must be an object (got %1)").arg(describe(a[i]));
            continue;
        }
        ObjectReader r(a[i].toObject(), path, errors,
                       {QStringLiteral("name"), QStringLiteral("host"), QStringLiteral("port"),
                        QStringLiteral("weight"), QStringLiteral("embedded"), QStringLiteral("faults"),
                        QStringLiteral("health")});
        BackendConfig b;
        b.embedded = r.boolean("embedded", false);
        b.host = r.string("host", b.host);
        if (b.host.isEmpty())
            r.error(QStringLiteral("host"), QStringLiteral("must not be empty"));
        else if (b.embedded && QHostAddress(b.host).isNull())
            r.error(QStringLiteral("host"),
                    QStringLiteral("an embedded backend listens on an IP address such as 127.0.0.1 (got \"%1\")")
                        .arg(b.host));
        else if (!validBackendHost(b.host))
            r.error(QStringLiteral("host"),
                    QStringLiteral("must be an IP address or a host name such as backend.example "
                                   "(letters, digits, '-', '_' and '.'; got \"%1\")")
                        .arg(b.host));
        if (!r.has("port"))
            r.error(QStringLiteral("port"), QStringLiteral("is required"));
        b.port = r.integer("port", 0, b.embedded ? 0 : 1, 65535);
        b.name = r.string("name", QStringLiteral("backend-%1").arg(b.port));
        if (b.name.isEmpty())
            r.error(QStringLiteral("name"), QStringLiteral("must not be empty"));
        b.weight = r.integer("weight", 1, 1, 1000);
        b.faults = readFaults(r.object("faults"), r.pathOf(QStringLiteral("faults")), errors);
        if (r.has("health")) { // this backend's own check settings, over the lab's
            ObjectReader hr(r.object("health"), r.pathOf(QStringLiteral("health")), errors, healthKeys());
            HealthConfig h = c.health;
            readHealth(hr, h);
            b.health = h;
        }
        c.backends << b;
    }
    // Names identify backends everywhere (X-Served-By, the board, the admin API); addresses must not repeat.
    for (qsizetype i = 0; i < c.backends.size(); ++i) {
        for (qsizetype j = 0; j < i; ++j) {
            if (c.backends[i].name == c.backends[j].name)
                errors << QStringLiteral("backends[%1].name: duplicate backend name \"%2\" (also backends[%3].name); "
                                         "names must be unique")
                              .arg(i)
                              .arg(c.backends[i].name)
                              .arg(j);
            if (c.backends[i].port != 0 && c.backends[i].port == c.backends[j].port &&
                c.backends[i].host == c.backends[j].host)
                errors << QStringLiteral("backends[%1].port: duplicate address %2:%3 (also backends[%4]); "
                                         "each backend needs its own host:port")
                              .arg(i)
                              .arg(c.backends[i].host)
                              .arg(c.backends[i].port)
                              .arg(j);
        }
    }
    for (qsizetype i = 0; i < c.listeners.size(); ++i) {
        const ListenerConfig& l = c.listeners[i];
        for (qsizetype j = 0; j < i; ++j) {
            if (l.port != 0 && l.port == c.listeners[j].port)
                errors << QStringLiteral("listeners[%1].port: port %2 is already used by listeners[%3]")
                              .arg(i)
                              .arg(l.port)
                              .arg(j);
        }
        for (qsizetype j = 0; j < c.backends.size(); ++j) {
            if (l.port != 0 && c.backends[j].embedded && l.port == c.backends[j].port)
                errors << QStringLiteral("listeners[%1].port: port %2 is already used by embedded backends[%3]")
                              .arg(i)
                              .arg(l.port)
                              .arg(j);
        }
    }
}

void readSections(ObjectReader& top, LabConfig& c, QStringList& errors)
{
    {
        ObjectReader r(top.object("health"), QStringLiteral("health"), errors, healthKeys());
        readHealth(r, c.health);
    }
    {
        ObjectReader r(top.object("outlierDetection"), QStringLiteral("outlierDetection"), errors,
                       {QStringLiteral("enabled"), QStringLiteral("consecutiveFailures"),
                        QStringLiteral("baseEjectionMs"), QStringLiteral("maxEjectionMs"),
                        QStringLiteral("maxEjectionPercent")});
        OutlierConfig& o = c.outlier;
        o.enabled = r.boolean("enabled", o.enabled);
        o.consecutiveFailures = r.integer("consecutiveFailures", o.consecutiveFailures, 1, 1000);
        o.baseEjectionMs = r.integer("baseEjectionMs", o.baseEjectionMs, 100, 3600000);
        o.maxEjectionMs = r.integer("maxEjectionMs", o.maxEjectionMs, 100, 24 * 3600000);
        o.maxEjectionPercent = r.integer("maxEjectionPercent", o.maxEjectionPercent, 0, 100);
    }
    {
        ObjectReader r(top.object("circuitBreaker"), QStringLiteral("circuitBreaker"), errors,
                       {QStringLiteral("enabled"), QStringLiteral("windowMs"), QStringLiteral("minRequests"),
                        QStringLiteral("failurePercent"), QStringLiteral("openMs"),
                        QStringLiteral("halfOpenRequests")});
        BreakerConfig& b = c.breaker;
        b.enabled = r.boolean("enabled", b.enabled);
        b.windowMs = r.integer("windowMs", b.windowMs, 1000, 600000);
        b.minRequests = r.integer("minRequests", b.minRequests, 1, 1000000);
        b.failurePercent = r.integer("failurePercent", b.failurePercent, 1, 100);
        b.openMs = r.integer("openMs", b.openMs, 100, 3600000);
        b.halfOpenRequests = r.integer("halfOpenRequests", b.halfOpenRequests, 1, 1000);
    }
    {
        ObjectReader r(top.object("retry"), QStringLiteral("retry"), errors,
                       {QStringLiteral("retries"), QStringLiteral("retryOn"), QStringLiteral("retryNonIdempotent")});
        c.retry.retries = r.integer("retries", c.retry.retries, 0, 10);
        c.retry.retryOn = r.stringList("retryOn", c.retry.retryOn, knownRetryConditions());
        c.retry.retryNonIdempotent = r.boolean("retryNonIdempotent", c.retry.retryNonIdempotent);
    }
    {
        ObjectReader r(top.object("limits"), QStringLiteral("limits"), errors,
                       {QStringLiteral("maxRequestLineBytes"), QStringLiteral("maxHeadBytes"),
                        QStringLiteral("maxHeaderCount"), QStringLiteral("maxBodyBytes")});
        LimitsConfig& l = c.limits;
        l.maxRequestLineBytes = r.integer("maxRequestLineBytes", l.maxRequestLineBytes, 256, 1 << 20);
        l.maxHeadBytes = r.integer("maxHeadBytes", l.maxHeadBytes, 1024, 1 << 24);
        l.maxHeaderCount = r.integer("maxHeaderCount", l.maxHeaderCount, 1, 10000);
        l.maxBodyBytes = qint64(r.number("maxBodyBytes", double(l.maxBodyBytes), 0, 1e15));
    }
    {
        ObjectReader r(top.object("timeouts"), QStringLiteral("timeouts"), errors,
                       {QStringLiteral("connectMs"), QStringLiteral("upstreamResponseMs"),
                        QStringLiteral("clientIdleMs"), QStringLiteral("tcpIdleMs"), QStringLiteral("headerReadMs")});
        TimeoutsConfig& t = c.timeouts;
        t.connectMs = r.integer("connectMs", t.connectMs, 10, 600000);
        t.upstreamResponseMs = r.integer("upstreamResponseMs", t.upstreamResponseMs, 10, 3600000);
        t.clientIdleMs = r.integer("clientIdleMs", t.clientIdleMs, 10, 3600000);
        t.tcpIdleMs = r.integer("tcpIdleMs", t.tcpIdleMs, 100, 7 * 24 * 3600000);
        t.headerReadMs = r.integer("headerReadMs", t.headerReadMs, 10, 600000);
    }
    {
        ObjectReader r(top.object("proxy"), QStringLiteral("proxy"), errors,
                       {QStringLiteral("workers"), QStringLiteral("addServedBy"), QStringLiteral("accessLog"),
                        QStringLiteral("underscoresInHeaders"), QStringLiteral("upstreamMaxIdlePerBackend"),
                        QStringLiteral("upstreamIdleMs"), QStringLiteral("listenBacklog"),
                        QStringLiteral("maxConnections"), QStringLiteral("maxConnectionsPerClient"),
                        QStringLiteral("maxHeadBufferBytes")});
        ProxyConfig& p = c.proxy;
        p.workers = r.integer("workers", p.workers, 0, 256);
        p.addServedBy = r.boolean("addServedBy", p.addServedBy);
        p.accessLog = r.boolean("accessLog", p.accessLog);
        p.underscoresInHeaders = r.boolean("underscoresInHeaders", p.underscoresInHeaders);
        p.upstreamMaxIdlePerBackend = r.integer("upstreamMaxIdlePerBackend", p.upstreamMaxIdlePerBackend, 0, 10000);
        p.upstreamIdleMs = r.integer("upstreamIdleMs", p.upstreamIdleMs, 100, 3600000);
        p.listenBacklog = r.integer("listenBacklog", p.listenBacklog, 0, 65535);
        p.maxConnections = r.integer("maxConnections", p.maxConnections, 0, 10'000'000);
        p.maxConnectionsPerClient = r.integer("maxConnectionsPerClient", p.maxConnectionsPerClient, 0, 10'000'000);
        p.maxHeadBufferBytes = qint64(r.number("maxHeadBufferBytes", double(p.maxHeadBufferBytes), 0, 1e15));
    }
}

} // namespace

LabConfigResult parseLabConfig(const QByteArray& json, const QString& sourceName)
{
    LabConfigResult result;
    QJsonParseError perr;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &perr);
    if (perr.error != QJsonParseError::NoError) {
        // Turn the byte offset into a line:column a person can find.
        const QByteArray before = json.left(perr.offset);
        const qsizetype line = before.count('\n') + 1;
        const qsizetype col = perr.offset - (before.lastIndexOf('\n') + 1) + 1;
        result.error =
            QStringLiteral("%1:%2:%3: not valid JSON: %4").arg(sourceName).arg(line).arg(col).arg(perr.errorString());
        return result;
    }
    if (!doc.isObject()) {
        result.error = sourceName + QStringLiteral(": the top level must be a JSON object");
        return result;
    }
    QStringList errors;
    DuplicateKeyScan(json, errors).run();
    ObjectReader top(doc.object(), QString(), errors,
                     {QStringLiteral("version"), QStringLiteral("algorithm"), QStringLiteral("listeners"),
                      QStringLiteral("backends"), QStringLiteral("health"), QStringLiteral("outlierDetection"),
                      QStringLiteral("circuitBreaker"), QStringLiteral("hashKey"), QStringLiteral("sticky"),
                      QStringLiteral("retry"), QStringLiteral("limits"), QStringLiteral("timeouts"),
                      QStringLiteral("proxy")});
    LabConfig& c = result.config;
    top.integer("version", 1, 1, 1);
    c.algorithm = top.string("algorithm", c.algorithm, knownAlgorithms());
    c.hashKey = top.string("hashKey", c.hashKey);
    if (!validHashKey(c.hashKey))
        top.error(QStringLiteral("hashKey"),
                  QStringLiteral("must be client, path, header:NAME or cookie:NAME (got \"%1\")").arg(c.hashKey));
    {
        ObjectReader r(top.object("sticky"), QStringLiteral("sticky"), errors,
                       {QStringLiteral("enabled"), QStringLiteral("cookie")});
        c.sticky.enabled = r.boolean("enabled", c.sticky.enabled);
        c.sticky.cookie = r.string("cookie", c.sticky.cookie);
        if (!validCookieName(c.sticky.cookie))
            r.error(
                QStringLiteral("cookie"),
                QStringLiteral("must be a cookie name: letters, digits, - and _ (got \"%1\")").arg(c.sticky.cookie));
    }
    readListeners(top, c, errors);
    readSections(top, c, errors);
    // A pool behind TCP listeners only is probed with TCP connects unless the config says otherwise.
    bool anyHttp = false;
    for (const ListenerConfig& l : std::as_const(c.listeners))
        anyHttp = anyHttp || l.kind == ListenerKind::Http;
    if (!anyHttp && !c.listeners.isEmpty() && !top.object("health").contains(QStringLiteral("type")))
        c.health.type = QStringLiteral("tcp");
    readBackends(top, c, errors);
    for (QString& e : errors)
        e.prepend(sourceName + QStringLiteral(": "));
    result.error = errors.join(QLatin1Char('\n'));
    return result;
}

LabConfigResult loadLabConfig(const QString& fileName)
{
    QFile f(fileName);
    if (!f.open(QIODevice::ReadOnly)) {
        LabConfigResult r;
        r.error = fileName + QStringLiteral(": cannot read: ") + f.errorString();
        return r;
    }
    return parseLabConfig(f.readAll(), fileName);
}

QByteArray labConfigToJson(const LabConfig& c)
{
    QJsonArray listeners;
    for (const ListenerConfig& l : c.listeners)
        listeners.append(QJsonObject{{QStringLiteral("name"), l.name},
                                     {QStringLiteral("kind"), kindName(l.kind)},
                                     {QStringLiteral("address"), l.address},
                                     {QStringLiteral("port"), l.port}});
    QJsonArray backends;
    for (const BackendConfig& b : c.backends) {
        const FaultProfile& f = b.faults;
        const QJsonObject faults{{QStringLiteral("latencyMs"), f.latencyMs},
                                 {QStringLiteral("jitterMs"), f.jitterMs},
                                 {QStringLiteral("errorRatePercent"), f.errorRatePercent},
                                 {QStringLiteral("healthFails"), f.healthFails},
                                 {QStringLiteral("onlyPaths"), QJsonArray::fromStringList(f.onlyPaths)},
                                 {QStringLiteral("capacity"), f.capacity},
                                 {QStringLiteral("hang"), f.hang},
                                 {QStringLiteral("refuse"), f.refuse}};
        QJsonObject o{{QStringLiteral("name"), b.name},         {QStringLiteral("host"), b.host},
                      {QStringLiteral("port"), b.port},         {QStringLiteral("weight"), b.weight},
                      {QStringLiteral("embedded"), b.embedded}, {QStringLiteral("faults"), faults}};
        if (b.health)
            o.insert(QStringLiteral("health"), healthToJson(*b.health));
        backends.append(o);
    }
    const HealthConfig& h = c.health;
    const QJsonObject root{
        {QStringLiteral("version"), 1},
        {QStringLiteral("algorithm"), c.algorithm},
        {QStringLiteral("hashKey"), c.hashKey},
        {QStringLiteral("sticky"),
         QJsonObject{{QStringLiteral("enabled"), c.sticky.enabled}, {QStringLiteral("cookie"), c.sticky.cookie}}},
        {QStringLiteral("listeners"), listeners},
        {QStringLiteral("backends"), backends},
        {QStringLiteral("health"), healthToJson(h)},
        {QStringLiteral("outlierDetection"),
         QJsonObject{{QStringLiteral("enabled"), c.outlier.enabled},
                     {QStringLiteral("consecutiveFailures"), c.outlier.consecutiveFailures},
                     {QStringLiteral("baseEjectionMs"), c.outlier.baseEjectionMs},
                     {QStringLiteral("maxEjectionMs"), c.outlier.maxEjectionMs},
                     {QStringLiteral("maxEjectionPercent"), c.outlier.maxEjectionPercent}}},
        {QStringLiteral("circuitBreaker"),
         QJsonObject{{QStringLiteral("enabled"), c.breaker.enabled},
                     {QStringLiteral("windowMs"), c.breaker.windowMs},
                     {QStringLiteral("minRequests"), c.breaker.minRequests},
                     {QStringLiteral("failurePercent"), c.breaker.failurePercent},
                     {QStringLiteral("openMs"), c.breaker.openMs},
                     {QStringLiteral("halfOpenRequests"), c.breaker.halfOpenRequests}}},
        {QStringLiteral("retry"),
         QJsonObject{{QStringLiteral("retries"), c.retry.retries},
                     {QStringLiteral("retryOn"), QJsonArray::fromStringList(c.retry.retryOn)},
                     {QStringLiteral("retryNonIdempotent"), c.retry.retryNonIdempotent}}},
        {QStringLiteral("limits"),
         QJsonObject{{QStringLiteral("maxRequestLineBytes"), c.limits.maxRequestLineBytes},
                     {QStringLiteral("maxHeadBytes"), c.limits.maxHeadBytes},
                     {QStringLiteral("maxHeaderCount"), c.limits.maxHeaderCount},
                     {QStringLiteral("maxBodyBytes"), double(c.limits.maxBodyBytes)}}},
        {QStringLiteral("timeouts"),
         QJsonObject{{QStringLiteral("connectMs"), c.timeouts.connectMs},
                     {QStringLiteral("upstreamResponseMs"), c.timeouts.upstreamResponseMs},
                     {QStringLiteral("clientIdleMs"), c.timeouts.clientIdleMs},
                     {QStringLiteral("tcpIdleMs"), c.timeouts.tcpIdleMs},
                     {QStringLiteral("headerReadMs"), c.timeouts.headerReadMs}}},
        {QStringLiteral("proxy"),
         QJsonObject{{QStringLiteral("workers"), c.proxy.workers},
                     {QStringLiteral("addServedBy"), c.proxy.addServedBy},
                     {QStringLiteral("accessLog"), c.proxy.accessLog},
                     {QStringLiteral("underscoresInHeaders"), c.proxy.underscoresInHeaders},
                     {QStringLiteral("upstreamMaxIdlePerBackend"), c.proxy.upstreamMaxIdlePerBackend},
                     {QStringLiteral("upstreamIdleMs"), c.proxy.upstreamIdleMs},
                     {QStringLiteral("listenBacklog"), c.proxy.listenBacklog},
                     {QStringLiteral("maxConnections"), c.proxy.maxConnections},
                     {QStringLiteral("maxConnectionsPerClient"), c.proxy.maxConnectionsPerClient},
                     {QStringLiteral("maxHeadBufferBytes"), double(c.proxy.maxHeadBufferBytes)}}},
    };
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

bool saveLabConfig(const LabConfig& config, const QString& fileName, QString* error)
{
    QSaveFile f(fileName);
    if (!f.open(QIODevice::WriteOnly) || f.write(labConfigToJson(config)) < 0 || !f.commit()) {
        if (error)
            *error = fileName + QStringLiteral(": cannot write: ") + f.errorString();
        return false;
    }
    return true;
}

LabConfig LabConfig::defaultLab()
{
    QFile f(QStringLiteral(":/labs/default.json"));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("the default lab resource :/labs/default.json is missing from the build");
    LabConfigResult r = parseLabConfig(f.readAll(), QStringLiteral(":/labs/default.json"));
    if (!r.ok())
        qFatal("the default lab resource is invalid: %s", qPrintable(r.error));
    return r.config;
}

} // namespace lab
