#include "ExportText.h"

#include <QRegularExpression>

namespace lab::exporting {

void ExportText::comment(const QString& text, int indent)
{
    const QString pad(indent, QLatin1Char(' '));
    for (const QString& l : text.split(QLatin1Char('\n')))
        m_lines << pad + QStringLiteral("# ") + l;
}

void ExportText::warn(const QString& feature, const QString& text, int indent)
{
    const QString sentence = feature + QStringLiteral(": ") + text;
    comment(QStringLiteral("NOT EXPRESSIBLE IN %1: %2").arg(m_target.toUpper(), sentence), indent);
    m_warnings << sentence;
}

QByteArray ExportText::finish(const QString& sourceName) const
{
    QStringList head;
    head << QStringLiteral("# %1 configuration exported by balancer-lab from %2.")
                .arg(m_target, sourceName.isEmpty() ? QStringLiteral("the lab") : sourceName);
    head << QStringLiteral("# Every lab feature the target has is mapped below; what it cannot express is");
    head << QStringLiteral("# marked NOT EXPRESSIBLE where it applies (and listed here).");
    if (m_warnings.isEmpty())
        head << QStringLiteral("# Nothing in this lab is lost in the export.");
    for (const QString& w : m_warnings)
        head << QStringLiteral("#   - ") + w;
    head << QString();
    return (head + m_lines).join(QLatin1Char('\n')).toUtf8() + '\n';
}

QString safeName(const QString& name)
{
    QString out = name;
    static const QRegularExpression bad(QStringLiteral("[^A-Za-z0-9._-]"));
    out.replace(bad, QStringLiteral("_"));
    return out.isEmpty() ? QStringLiteral("backend") : out;
}

QString durationText(int ms)
{
    if (ms > 0 && ms % 1000 == 0)
        return QStringLiteral("%1s").arg(ms / 1000);
    return QStringLiteral("%1ms").arg(ms);
}

QList<int> retryStatuses(const QStringList& retryOn)
{
    QList<int> codes;
    if (retryOn.contains(QStringLiteral("404")))
        codes << 404;
    if (retryOn.contains(QStringLiteral("5xx")))
        codes << 500 << 502 << 503 << 504;
    return codes;
}

QStringList idempotentMethods()
{
    return {QStringLiteral("GET"), QStringLiteral("HEAD"),   QStringLiteral("OPTIONS"),
            QStringLiteral("PUT"), QStringLiteral("DELETE"), QStringLiteral("TRACE")};
}

HashKeySpec hashKeyFor(const LabConfig& c, bool tcp, ExportText& out)
{
    HashKeySpec key;
    HashKeySpec::parse(c.hashKey, &key); // the config was validated: on failure the default, the client
    if (tcp && key.source != HashKeySpec::Source::Client) {
        out.warn(QStringLiteral("hash key on a TCP listener"),
                 QStringLiteral("a TCP relay has no request to read \"%1\" from: the client address is hashed")
                     .arg(c.hashKey),
                 4);
        return HashKeySpec{};
    }
    return key;
}

bool listenerHasTls(const ListenerConfig& listener)
{
    return listener.tls.enabled();
}

} // namespace lab::exporting
