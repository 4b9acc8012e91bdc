#pragma once

// What both writers share: the text being built with its warnings, and the mapping decisions that do
// not depend on the target's syntax (weights, hash keys, the lab's tls and admin places).
#include "balancing/Balancer.h"
#include "config/LabConfig.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace lab::exporting {

// Lines of a config file plus the warnings. warn() writes the sentence as a comment where it is called,
// so the file says at the right place what the target does instead, and collects it for stderr/the window.
class ExportText final {
public:
    explicit ExportText(QString target)
        : m_target(std::move(target))
    {
    }
    void line(const QString& text = {}) { m_lines << text; }
    void comment(const QString& text, int indent = 0);
    void warn(const QString& feature, const QString& text, int indent = 0);
    const QStringList& warnings() const { return m_warnings; }
    // The header (what exported it, and every warning once more) followed by the lines.
    QByteArray finish(const QString& sourceName) const;

private:
    QString m_target;
    QStringList m_lines;
    QStringList m_warnings;
};

// A name the targets accept as a server/section name: letters, digits, '-', '_' and '.'; others become '_'.
QString safeName(const QString& name);
// A lab millisecond value as the targets write durations ("250ms", "2s" when whole seconds).
QString durationText(int ms);
// The lab's retry-on conditions that HTTP statuses stand for: "5xx" -> 500 502 503 504, "404" -> 404.
QList<int> retryStatuses(const QStringList& retryOn);
// The request methods the lab treats as idempotent (retried without retryNonIdempotent).
QStringList idempotentMethods();

// The hash key ring-hash / maglev read, parsed by the lab's one grammar (HashKeySpec::parse). A TCP
// listener has no request to read a path, header or cookie from: there the client address is hashed, with
// a warning.
HashKeySpec hashKeyFor(const LabConfig& c, bool tcp, ExportText& out);

// Whether the lab's listener terminates TLS ("tls" with a certificate).
bool listenerHasTls(const ListenerConfig& listener);

} // namespace lab::exporting
