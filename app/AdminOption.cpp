#include "AdminOption.h"

#include "admin/AdminServer.h"
#include "config/ConfigSchema.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QHostAddress>

namespace lab::app {

QCommandLineOption adminOption()
{
    return QCommandLineOption(QStringLiteral("admin"),
                              QStringLiteral("Run the admin API and Prometheus /metrics on HOST:PORT (PORT alone: "
                                             "127.0.0.1:PORT; 0 = any free port). Off unless given here or in the "
                                             "config's \"admin\" section (docs/admin.md)."),
                              QStringLiteral("HOST:PORT"));
}

bool applyAdminOption(const QCommandLineParser& parser, const QCommandLineOption& option, AdminConfig* admin,
                      QString* error)
{
    if (!parser.isSet(option))
        return true;
    const QString value = parser.value(option);
    const schema::Range ports = schema::rangeOf(&AdminConfig::port);
    bool portOnly = false;
    const int port = value.toInt(&portOnly);
    std::optional<HostPort> address;
    if (portOnly)
        address = HostPort{QStringLiteral("127.0.0.1"), port};
    else
        address = parseHostPort(value);
    if (!address || !ports.contains(address->port) || QHostAddress(address->host).isNull()) {
        *error = QStringLiteral("--admin expects IP:PORT such as 127.0.0.1:9901, or a PORT from %1 to %2 (got '%3')")
                     .arg(ports.min)
                     .arg(ports.max)
                     .arg(value);
        return false;
    }
    admin->enabled = true;
    admin->address = address->host;
    admin->port = address->port;
    return true;
}

bool startAdminForServe(AdminServer& server, const AdminConfig& admin, QString* warning, QString* error)
{
    if (!admin.enabled)
        return true;
    if (!server.listen(admin.address, admin.port, error))
        return false;
    if (!server.address().isLoopback())
        *warning = QStringLiteral("the admin API on %1 is reachable from other hosts and has no authentication: "
                                  "anyone who reaches it can drain backends and change the algorithm")
                       .arg(server.url());
    return true;
}

} // namespace lab::app
