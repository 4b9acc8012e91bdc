#include "AdminStatus.h"

#include "admin/AdminServer.h"
#include "lab/Lab.h"

namespace lab {

AdminStatus::AdminStatus(Lab* lab, QWidget* parent)
    : QLabel(parent)
    , m_lab(lab)
    , m_server(new AdminServer(*lab, this))
{
    setObjectName(QStringLiteral("adminStatus"));
    setTextInteractionFlags(Qt::TextSelectableByMouse);
    place(lab->config().admin);
    // A loaded lab resets everything; a reload ends with proxyStateChanged. follow() is a comparison when
    // nothing moved, so the other emissions of proxyStateChanged cost nothing.
    connect(lab, &Lab::labReset, this, &AdminStatus::follow);
    connect(lab, &Lab::proxyStateChanged, this, &AdminStatus::follow);
}

AdminStatus::~AdminStatus() = default;

void AdminStatus::follow()
{
    const AdminConfig& wanted = m_lab->config().admin;
    // Off in both: the API keeps its free loopback port (its address is the window's, not the lab's).
    const bool samePlace = wanted == m_placedFor || (!wanted.enabled && !m_placedFor.enabled);
    if (samePlace && m_server->isListening())
        return;
    place(wanted);
}

void AdminStatus::place(const AdminConfig& admin)
{
    m_placedFor = admin;
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
}

} // namespace lab
