#include "ScenarioReader.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace lab::teach {

QString describeJson(const QJsonValue& v)
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

JsonReader::JsonReader(QJsonObject obj, QString path, QStringList& errors, const QStringList& allowed)
    : m_obj(std::move(obj))
    , m_path(std::move(path))
    , m_errors(&errors)
{
    if (allowed.isEmpty())
        return;
    for (auto it = m_obj.begin(); it != m_obj.end(); ++it) {
        if (!allowed.contains(it.key()))
            error(it.key(), QStringLiteral("unknown key; allowed here: ") + allowed.join(QStringLiteral(", ")));
    }
}

QString JsonReader::pathOf(const QString& key) const
{
    if (key.isEmpty())
        return m_path;
    return m_path.isEmpty() ? key : m_path + QLatin1Char('.') + key;
}

void JsonReader::error(const QString& key, const QString& what)
{
    *m_errors << pathOf(key) + QStringLiteral(": ") + what;
}

int JsonReader::integer(const char* key, int def, int min, int max)
{
    const QJsonValue v = value(key);
    if (v.isUndefined())
        return def;
    const double d = v.toDouble(-1e300);
    // Range first: converting an infinite or huge double to an integer is undefined.
    if (!v.isDouble() || !(d >= min && d <= max) || d != double(qint64(d))) {
        error(QLatin1String(key),
              QStringLiteral("must be an integer from %1 to %2 (got %3)").arg(min).arg(max).arg(describeJson(v)));
        return def;
    }
    return int(d);
}

QString JsonReader::string(const char* key, const QString& def, const QStringList& allowed)
{
    const QJsonValue v = value(key);
    if (v.isUndefined())
        return def;
    if (!v.isString()) {
        error(QLatin1String(key), QStringLiteral("must be a string (got %1)").arg(describeJson(v)));
        return def;
    }
    if (!allowed.isEmpty() && !allowed.contains(v.toString())) {
        error(QLatin1String(key),
              QStringLiteral("must be one of %1 (got %2)").arg(allowed.join(QStringLiteral(", ")), describeJson(v)));
        return def;
    }
    return v.toString();
}

QJsonArray JsonReader::array(const char* key)
{
    const QJsonValue v = value(key);
    if (v.isUndefined())
        return {};
    if (!v.isArray()) {
        error(QLatin1String(key), QStringLiteral("must be an array (got %1)").arg(describeJson(v)));
        return {};
    }
    return v.toArray();
}

JsonReader JsonReader::child(const char* key, const QStringList& allowed)
{
    const QJsonValue v = value(key);
    if (!v.isUndefined() && !v.isObject())
        error(QLatin1String(key), QStringLiteral("must be an object (got %1)").arg(describeJson(v)));
    return JsonReader(v.toObject(), pathOf(QLatin1String(key)), *m_errors, allowed);
}

ValueRange JsonReader::range(const QString& key, bool integers, double lowest, std::optional<double> highest,
                             bool needMax, const QString& shape)
{
    const QJsonValue v = m_obj.value(key);
    const auto bad = [&] {
        // A range is short: quote it whole rather than "an array".
        const QString got = v.isArray() ? QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact))
                                        : describeJson(v);
        error(key, QStringLiteral("must be %1 (got %2)").arg(shape, got));
        return ValueRange{lowest, highest};
    };
    const auto number = [&](const QJsonValue& n) {
        const double d = n.toDouble();
        return n.isDouble() && d >= lowest && (!highest || d <= *highest) && (!integers || d == double(qint64(d)));
    };
    if (v.isDouble() && integers) { // a count written alone: exactly that many
        if (!number(v))
            return bad();
        return ValueRange{v.toDouble(), v.toDouble()};
    }
    if (!v.isArray())
        return bad();
    const QJsonArray a = v.toArray();
    if (a.isEmpty() || a.size() > 2 || !number(a[0]))
        return bad();
    ValueRange r{a[0].toDouble(), std::nullopt};
    if (a.size() == 2 && !a[1].isNull()) {
        if (!number(a[1]))
            return bad();
        r.max = a[1].toDouble();
        if (*r.max < r.min) {
            error(key, QStringLiteral("the range's max (%1) is below its min (%2)").arg(*r.max).arg(r.min));
            return ValueRange{lowest, highest};
        }
    } else if (needMax) {
        return bad();
    }
    return r;
}

ValueRange JsonReader::countRange(const QString& key)
{
    return range(key, true, 0, std::nullopt, false,
                 QStringLiteral("a whole number from 0, or [min, max] with max a whole number or null (no limit)"));
}

ValueRange JsonReader::fractionRange(const QString& key, const QString& of)
{
    return range(key, false, 0, 1.0, true,
                 QStringLiteral("[min, max] with 0 <= min <= max <= 1 (a share of %1)").arg(of));
}

bool JsonReader::boolean(const char* key, bool def)
{
    const QJsonValue v = value(key);
    if (v.isUndefined())
        return def;
    if (!v.isBool()) {
        error(QLatin1String(key), QStringLiteral("must be true or false (got %1)").arg(describeJson(v)));
        return def;
    }
    return v.toBool();
}

ValueRange JsonReader::msRange(const QString& key)
{
    return range(key, false, 0, std::nullopt, false,
                 QStringLiteral("[min, max] in ms from 0, max a number or null (no limit)"));
}

QStringList JsonReader::stateList(const QString& key, const QJsonValue& v, const QStringList& allowed)
{
    QStringList out;
    const QJsonArray a = v.isArray() ? v.toArray() : QJsonArray{v};
    for (const QJsonValue& item : a) {
        if (!item.isString() || !allowed.contains(item.toString())) {
            error(key,
                  QStringLiteral("states are %1 (got %2)").arg(allowed.join(QStringLiteral(", ")), describeJson(item)));
            continue;
        }
        out << item.toString();
    }
    if (a.isEmpty())
        error(key, QStringLiteral("name at least one state"));
    return out;
}

void JsonReader::stateSpec(const QString& key, const QStringList& allowed, QStringList* states,
                           ScenarioCheck::During* during)
{
    const QJsonValue v = m_obj.value(key);
    if (!v.isObject()) {
        *states = stateList(key, v, allowed);
        *during = ScenarioCheck::During::Some;
        return;
    }
    JsonReader r(v.toObject(), pathOf(key), *m_errors, {QStringLiteral("is"), QStringLiteral("during")});
    if (!r.has("is"))
        r.error(QStringLiteral("is"), QStringLiteral("is required: a state or a list of states"));
    else
        *states = r.stateList(QStringLiteral("is"), r.value("is"), allowed);
    const QString d = r.string("during", QStringLiteral("some"),
                               {QStringLiteral("some"), QStringLiteral("all"), QStringLiteral("end")});
    *during = d == QLatin1String("all") ? ScenarioCheck::During::All
        : d == QLatin1String("end")     ? ScenarioCheck::During::End
                                        : ScenarioCheck::During::Some;
}

void JsonReader::requestLine(QByteArray& method, QByteArray& path, QByteArray& body)
{
    const QString m = string("method", QString::fromLatin1(method));
    if (m.isEmpty() || m.contains(QLatin1Char(' ')) || m.contains(QLatin1Char('\r')) || m.contains(QLatin1Char('\n')))
        error(QStringLiteral("method"),
              QStringLiteral("must be a single token such as GET or POST (got \"%1\")").arg(m));
    method = m.toLatin1();
    const QString p = string("path", QString::fromLatin1(path));
    if (!p.startsWith(QLatin1Char('/')) || p.contains(QLatin1Char(' ')) || p.contains(QLatin1Char('\r')) ||
        p.contains(QLatin1Char('\n')))
        error(QStringLiteral("path"),
              QStringLiteral("must start with / and contain no spaces or line breaks (got \"%1\")").arg(p));
    path = p.toUtf8();
    body = string("body", QString::fromUtf8(body)).toUtf8();
}

bool KnownBackends::check(JsonReader& r, const QString& key, const QString& name, bool needEmbedded,
                          const char* action) const
{
    if (!names.contains(name)) {
        r.error(key,
                QStringLiteral("unknown backend \"%1\"; backends at this step: %2")
                    .arg(name, names.isEmpty() ? QStringLiteral("none") : names.join(QStringLiteral(", "))));
        return false;
    }
    if (needEmbedded && !embedded.contains(name)) {
        r.error(key,
                QStringLiteral("\"%1\" is an external backend; do: %2 works on embedded backends only")
                    .arg(name, QLatin1String(action)));
        return false;
    }
    return true;
}

} // namespace lab::teach
