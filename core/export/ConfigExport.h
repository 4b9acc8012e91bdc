#pragma once

#include "config/LabConfig.h"

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <optional>

namespace lab {

// Which production balancer a lab is exported to.
enum class ExportFormat { Haproxy, Nginx };
QString exportFormatName(ExportFormat format); // "haproxy", "nginx"
std::optional<ExportFormat> parseExportFormat(const QString& name);
// The Debian package that carries the target's binary, for "install it" messages.
QString exportPackageName(ExportFormat format);
// The validator's binary ("haproxy", "nginx").
QString exportBinaryName(ExportFormat format);

// The admin/metrics endpoint a lab serves (the "admin" config key, core/admin): HAProxy exports it as its
// Prometheus exporter service plus the stats page, nginx as stub_status (see the writers).
struct MetricsEndpoint {
    QString address = QStringLiteral("127.0.0.1");
    int port = 0;
};
// The one place that reads the admin endpoint out of a lab config: none unless "admin" is enabled; its
// address and port, the default 9901 when the lab's port is 0 (any free port, which a target cannot take).
std::optional<MetricsEndpoint> metricsEndpointOf(const LabConfig& config);

struct ExportOptions {
    // Where the target writes its pid file, logs and (nginx) temp files. Empty: the Debian defaults under
    // /run and /var/log, what a packaged service uses. Tests, the validators and prove pass a temp dir so
    // an unprivileged user can run `nginx -t` and start the target.
    QString runtimeDir;
    std::optional<MetricsEndpoint> metrics;
    // Named in the header comment ("from lab.json"); empty: "the lab".
    QString sourceName;
};

// What a writer produced. Every warning also stands as a comment in `text`, at the place it concerns.
struct ExportResult {
    QByteArray text;
    QStringList warnings; // one sentence each: "slow start: nginx open source has none; ..."
};

// Pure functions of the config: no files, no processes. Embedded backends are exported at the host and
// port they have in `config` (a running lab's config() has the ports they actually got).
ExportResult exportHaproxy(const LabConfig& config, const ExportOptions& options);
ExportResult exportNginx(const LabConfig& config, const ExportOptions& options);
ExportResult exportConfig(ExportFormat format, const LabConfig& config, const ExportOptions& options);

} // namespace lab
