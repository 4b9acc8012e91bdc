#include "AdminStatus.h"

#include "admin/AdminServer.h"
#include "lab/Lab.h"

namespace lab {

AdminStatus::AdminStatus(Lab* lab, QWidget* parent)
    : QLabel(parent)
    , m_server(new AdminServer(*lab, this))
{
    setObjectName(QStringLiteral("adminStatus"));
    const AdminConfig& admin = lab->config().admin;
    QString error;
    QString note;
    bool ok = false;
    if (admin.enabled) {
        ok = m_server->listen(admin.address, admin.port, &error);
        if (!ok)
            note = tr("The lab's admin address was not available (%1); this is a free loopback port instead.\n")
                       .arg(error);
    }
    if (!ok)
        ok = m_server->listen(QStringLiteral("127.0.0.1"), 0, &error);
    if (!ok) {
        setText(tr("admin: off"));
        setToolTip(tr("The admin API could not start: %1").arg(error));
        return;
    }
    setText(tr("admin :%1").arg(m_server->port()));
    setToolTip(note +
               tr("Admin API and Prometheus metrics at %1\n"
                  "curl %1/api/state   ·   curl %1/metrics\n"
                  "(docs/admin.md lists every endpoint and metric)")
                   .arg(m_server->url()));
    setTextInteractionFlags(Qt::TextSelectableByMouse);
}

AdminStatus::~AdminStatus() = default;

} // namespace lab
