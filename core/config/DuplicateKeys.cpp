#include "DuplicateKeys.h"

#include <QJsonDocument>

#include <QHash>

namespace lab {

namespace {

// A scan of the raw text (already parsed, so known to be valid JSON) that names every key repeating
// within one object by its JSON path and the lines of both.
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

} // namespace

void findDuplicateKeys(const QByteArray& json, QStringList& errors)
{
    DuplicateKeyScan(json, errors).run();
}

bool readJsonObject(const QByteArray& json, const QString& sourceName, QJsonObject* out, QString* error)
{
    QJsonParseError perr;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &perr);
    if (perr.error != QJsonParseError::NoError) {
        // Turn the byte offset into a line:column a person can find.
        const QByteArray before = json.left(perr.offset);
        const qsizetype line = before.count('\n') + 1;
        const qsizetype col = perr.offset - (before.lastIndexOf('\n') + 1) + 1;
        *error =
            QStringLiteral("%1:%2:%3: not valid JSON: %4").arg(sourceName).arg(line).arg(col).arg(perr.errorString());
        return false;
    }
    if (!doc.isObject()) {
        *error = sourceName + QStringLiteral(": the top level must be a JSON object");
        return false;
    }
    *out = doc.object();
    return true;
}

} // namespace lab
