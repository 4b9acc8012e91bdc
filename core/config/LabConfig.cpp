#include "LabConfig.h"

#include "ConfigSchema.h"
#include "DuplicateKeys.h"
#include "TlsCredentials.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <cmath>

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

int RateLimitConfig::effectiveBurst() const
{
    return burst > 0 ? burst : qMax(1, int(std::ceil(requestsPerSecond)));
}

QString rateLimitKeyProblem(const QString& key)
{
    if (key == QLatin1String("client"))
        return {};
    if (key.startsWith(QLatin1String("header:")) && validCookieName(key.mid(7)))
        return {};
    return QStringLiteral("must be client or header:NAME with a header name of letters, digits, - and _ (got \"%1\")")
        .arg(key);
}

bool parseRateLimitSpec(const QString& text, RateLimitConfig* out, QString* error)
{
    const schema::Range rps = schema::rangeOf(&RateLimitConfig::requestsPerSecond);
    const schema::Range burst = schema::rangeOf(&RateLimitConfig::burst);
    const QStringList parts = text.split(QLatin1Char(','));
    bool rpsOk = false;
    bool burstOk = parts.size() == 1;
    const double r = parts.value(0).trimmed().toDouble(&rpsOk);
    const int b = parts.size() == 2 ? parts[1].trimmed().toInt(&burstOk) : 0;
    if (parts.size() > 2 || !rpsOk || !burstOk || !(r >= double(rps.min) && r <= double(rps.max)) ||
        !burst.contains(b)) {
        if (error)
            *error = QStringLiteral("expects RPS[,BURST]: requests per second from %1 to %2 (0 = off), burst from %3 "
                                    "to %4 (0 = one second's worth), e.g. 20,40 (got '%5')")
                         .arg(rps.min)
                         .arg(rps.max)
                         .arg(burst.min)
                         .arg(burst.max)
                         .arg(text);
        return false;
    }
    out->requestsPerSecond = r;
    out->burst = b;
    return true;
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

std::optional<HostPort> parseHostPort(const QString& text)
{
    const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0)
        return std::nullopt;
    bool ok = false;
    const int port = text.mid(colon + 1).toInt(&ok);
    if (!ok || port < 0 || port > 65535)
        return std::nullopt;
    QString host = text.left(colon);
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    return HostPort{host, port};
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

QStringList knownRetryConditions()
{
    return {QStringLiteral("connect-failure"), QStringLiteral("timeout"), QStringLiteral("5xx"), QStringLiteral("404")};
}

QStringList retryAvoidRules()
{
    return {QStringLiteral("tried"), QStringLiteral("previous"), QStringLiteral("none")};
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

    // Every key of the section that has a member and is not read by hand, over the values already in `s`.
    template <typename Section> void read(Section& s)
    {
        for (const schema::Key<Section>& k : schema::keysOf<Section>()) {
            if (!k.readByHand)
                std::visit([&](auto member) { readKey(k, member, s); }, k.member);
        }
    }

private:
    template <typename Section> void readKey(const schema::Key<Section>&, std::monostate, Section&) { }
    template <typename Section> void readKey(const schema::Key<Section>& k, bool Section::*m, Section& s)
    {
        s.*m = boolean(k.name, s.*m);
    }
    template <typename Section> void readKey(const schema::Key<Section>& k, int Section::*m, Section& s)
    {
        s.*m = integer(k.name, s.*m, int(k.range.min), int(k.range.max));
    }
    // Counts of bytes past 2^31 are JSON numbers without an integer check (a double holds them exactly).
    template <typename Section> void readKey(const schema::Key<Section>& k, qint64 Section::*m, Section& s)
    {
        s.*m = qint64(number(k.name, double(s.*m), double(k.range.min), double(k.range.max)));
    }
    template <typename Section> void readKey(const schema::Key<Section>& k, double Section::*m, Section& s)
    {
        s.*m = number(k.name, s.*m, double(k.range.min), double(k.range.max));
    }
    template <typename Section> void readKey(const schema::Key<Section>& k, QString Section::*m, Section& s)
    {
        s.*m = string(k.name, s.*m, k.allowed ? k.allowed() : QStringList());
        if (k.problem) {
            if (const QString problem = k.problem(s.*m); !problem.isEmpty())
                error(QLatin1String(k.name), problem);
        }
    }
    template <typename Section> void readKey(const schema::Key<Section>& k, QStringList Section::*m, Section& s)
    {
        s.*m = stringList(k.name, s.*m, k.allowed ? k.allowed() : QStringList());
        if (!k.problem)
            return;
        const QStringList& items = s.*m;
        for (qsizetype i = 0; i < items.size(); ++i) {
            if (const QString problem = k.problem(items[i]); !problem.isEmpty())
                error(QStringLiteral("%1[%2]").arg(QLatin1String(k.name)).arg(i), problem);
        }
    }

    QJsonObject m_obj;
    QString m_path;
    QStringList& m_errors;
};

QJsonValue toJsonValue(bool v)
{
    return v;
}
QJsonValue toJsonValue(int v)
{
    return v;
}
QJsonValue toJsonValue(qint64 v)
{
    return double(v);
}
QJsonValue toJsonValue(double v)
{
    return v;
}
QJsonValue toJsonValue(const QString& v)
{
    return v;
}
QJsonValue toJsonValue(const QStringList& v)
{
    return QJsonArray::fromStringList(v);
}

QString kindName(ListenerKind k)
{
    return k == ListenerKind::Tcp ? QStringLiteral("tcp") : QStringLiteral("http");
}

// A section read by its schema alone: its own object, its keys over the values already in `s`.
template <typename Section> void readSection(ObjectReader& parent, const char* key, Section& s, QStringList& errors)
{
    ObjectReader r(parent.object(key), parent.pathOf(QLatin1String(key)), errors, schema::keyNames<Section>());
    r.read(s);
}

// The keys with a member, as JSON; the section's own code adds the others.
template <typename Section> QJsonObject sectionToJson(const Section& s)
{
    QJsonObject o;
    for (const schema::Key<Section>& k : schema::keysOf<Section>()) {
        std::visit(
            [&](auto member) {
                if constexpr (!std::is_same_v<decltype(member), std::monostate>)
                    o.insert(QLatin1String(k.name), toJsonValue(s.*member));
            },
            k.member);
    }
    return o;
}

// "tls": {"cert": FILE, "key": FILE}; relative names are taken from the config file's directory. The files
// are loaded here, so a bad one is refused with the config (and a reload keeps the old one running).
void readTls(ObjectReader& listener, ListenerConfig& l, const QString& baseDir, QStringList& errors)
{
    if (!listener.has("tls"))
        return;
    const QString path = listener.pathOf(QStringLiteral("tls"));
    ObjectReader r(listener.object("tls"), path, errors, {QStringLiteral("cert"), QStringLiteral("key")});
    if (l.kind != ListenerKind::Http)
        listener.error(QStringLiteral("tls"), QStringLiteral("only an http listener terminates TLS"));
    for (const char* key : {"cert", "key"}) {
        if (!r.has(key))
            r.error(QLatin1String(key), QStringLiteral("is required (a PEM file)"));
    }
    l.tls.cert = r.string("cert", {});
    l.tls.key = r.string("key", {});
    if (l.tls.cert.isEmpty() || l.tls.key.isEmpty() || l.kind != ListenerKind::Http) {
        l.tls = {};
        return;
    }
    l.tls.cert = QDir(baseDir).absoluteFilePath(l.tls.cert);
    l.tls.key = QDir(baseDir).absoluteFilePath(l.tls.key);
    TlsCredentials checked;
    QString why;
    if (!TlsCredentials::load(l.tls.cert, l.tls.key, &checked, &why))
        errors << path + QStringLiteral(": ") + why;
}

void readListeners(ObjectReader& top, LabConfig& c, QStringList& errors, const QString& baseDir)
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
        ObjectReader r(a[i].toObject(), path, errors, schema::keyNames<ListenerConfig>());
        ListenerConfig l;
        l.kind = r.string("kind", QStringLiteral("http"), {QStringLiteral("http"), QStringLiteral("tcp")}) ==
                QLatin1String("tcp")
            ? ListenerKind::Tcp
            : ListenerKind::Http;
        l.name = r.string("name", kindName(l.kind) + (i ? QString::number(i) : QString()));
        r.read(l);
        readTls(r, l, baseDir, errors);
        c.listeners << l;
    }
}

// Reads health keys over `h` (the lab's defaults, or for a backend the lab's settings).
void readHealth(ObjectReader& r, HealthConfig& h)
{
    r.read(h);
    if (h.expectStatusMax < h.expectStatusMin)
        r.error(QStringLiteral("expectStatusMax"),
                QStringLiteral("must be at least expectStatusMin (%1)").arg(h.expectStatusMin));
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
        ObjectReader r(a[i].toObject(), path, errors, schema::keyNames<BackendConfig>());
        BackendConfig b;
        r.read(b);
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
        const schema::Range port = schema::rangeOf(&BackendConfig::port);
        b.port = r.integer("port", 0, b.embedded ? 0 : int(port.min), int(port.max)); // 0: any free port
        b.name = r.string("name", QStringLiteral("backend-%1").arg(b.port));
        if (b.name.isEmpty())
            r.error(QStringLiteral("name"), QStringLiteral("must not be empty"));
        readSection(r, "faults", b.faults, errors);
        if (r.has("health")) { // this backend's own check settings, over the lab's
            ObjectReader hr(r.object("health"), r.pathOf(QStringLiteral("health")), errors,
                            schema::keyNames<HealthConfig>());
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
        ObjectReader r(top.object("health"), QStringLiteral("health"), errors, schema::keyNames<HealthConfig>());
        readHealth(r, c.health);
    }
    readSection(top, "outlierDetection", c.outlier, errors);
    readSection(top, "circuitBreaker", c.breaker, errors);
    readSection(top, "retry", c.retry, errors);
    readSection(top, "limits", c.limits, errors);
    readSection(top, "timeouts", c.timeouts, errors);
    readSection(top, "proxy", c.proxy, errors);
    readSection(top, "rateLimit", c.rateLimit, errors);
    readSection(top, "admin", c.admin, errors);
}

} // namespace

LabConfigResult parseLabConfig(const QByteArray& json, const QString& sourceName)
{
    LabConfigResult result;
    QJsonObject root;
    if (!readJsonObject(json, sourceName, &root, &result.error))
        return result;
    QStringList errors;
    findDuplicateKeys(json, errors);
    ObjectReader top(root, QString(), errors, schema::keyNames<LabConfig>());
    LabConfig& c = result.config;
    const schema::Range version = schema::keyNamed<LabConfig>("version").range;
    top.integer("version", int(version.min), int(version.min), int(version.max));
    top.read(c);
    readSection(top, "sticky", c.sticky, errors);
    readSection(top, "traffic", c.traffic, errors);
    const QFileInfo source(sourceName);
    readListeners(top, c, errors, source.isFile() ? source.absolutePath() : QDir::currentPath());
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
    for (const ListenerConfig& l : c.listeners) {
        QJsonObject o = sectionToJson(l);
        o.insert(QStringLiteral("name"), l.name);
        o.insert(QStringLiteral("kind"), kindName(l.kind));
        if (l.tls.enabled())
            o.insert(QStringLiteral("tls"),
                     QJsonObject{{QStringLiteral("cert"), l.tls.cert}, {QStringLiteral("key"), l.tls.key}});
        listeners.append(o);
    }
    QJsonArray backends;
    for (const BackendConfig& b : c.backends) {
        QJsonObject o = sectionToJson(b);
        o.insert(QStringLiteral("name"), b.name);
        o.insert(QStringLiteral("host"), b.host);
        o.insert(QStringLiteral("faults"), sectionToJson(b.faults));
        if (b.health)
            o.insert(QStringLiteral("health"), sectionToJson(*b.health));
        backends.append(o);
    }
    QJsonObject root = sectionToJson(c);
    root.insert(QStringLiteral("version"), int(schema::keyNamed<LabConfig>("version").range.max));
    root.insert(QStringLiteral("sticky"), sectionToJson(c.sticky));
    root.insert(QStringLiteral("listeners"), listeners);
    root.insert(QStringLiteral("backends"), backends);
    root.insert(QStringLiteral("health"), sectionToJson(c.health));
    root.insert(QStringLiteral("outlierDetection"), sectionToJson(c.outlier));
    root.insert(QStringLiteral("circuitBreaker"), sectionToJson(c.breaker));
    root.insert(QStringLiteral("retry"), sectionToJson(c.retry));
    root.insert(QStringLiteral("limits"), sectionToJson(c.limits));
    root.insert(QStringLiteral("timeouts"), sectionToJson(c.timeouts));
    root.insert(QStringLiteral("proxy"), sectionToJson(c.proxy));
    root.insert(QStringLiteral("traffic"), sectionToJson(c.traffic));
    root.insert(QStringLiteral("rateLimit"), sectionToJson(c.rateLimit));
    root.insert(QStringLiteral("admin"), sectionToJson(c.admin));
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
