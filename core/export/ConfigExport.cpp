#include "ConfigExport.h"

namespace lab {

QString exportFormatName(ExportFormat format)
{
    return format == ExportFormat::Haproxy ? QStringLiteral("haproxy") : QStringLiteral("nginx");
}

std::optional<ExportFormat> parseExportFormat(const QString& name)
{
    if (name == QLatin1String("haproxy"))
        return ExportFormat::Haproxy;
    if (name == QLatin1String("nginx"))
        return ExportFormat::Nginx;
    return std::nullopt;
}

QString exportPackageName(ExportFormat format)
{
    // nginx-light is the smallest Debian 12 nginx with the upstream hash/random/least_conn modules.
    return format == ExportFormat::Haproxy ? QStringLiteral("haproxy") : QStringLiteral("nginx-light");
}

QString exportBinaryName(ExportFormat format)
{
    return exportFormatName(format);
}

std::optional<MetricsEndpoint> metricsEndpointOf(const LabConfig& config)
{
    if (!config.admin.enabled)
        return std::nullopt;
    MetricsEndpoint m;
    m.address = config.admin.address;
    // Port 0 lets the lab take any free port; a production config needs a fixed one.
    m.port = config.admin.port > 0 ? config.admin.port : AdminConfig{}.port;
    return m;
}

ExportResult exportConfig(ExportFormat format, const LabConfig& config, const ExportOptions& options)
{
    return format == ExportFormat::Haproxy ? exportHaproxy(config, options) : exportNginx(config, options);
}

} // namespace lab
