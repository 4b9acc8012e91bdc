#pragma once

#include "config/LabConfig.h"

#include <QLabel>

namespace lab {

class AdminServer;
class Lab;

// The window's admin API and its place in the status bar ("admin :43567"). The window always runs one
// (issue 17): where the lab's "admin" section says when it is enabled, else on a free loopback port; when
// that address is taken it falls back to a free loopback port and says so in the tooltip. It follows the
// lab: when File > Open (or a lesson) loads another lab, or File > Reload changes the "admin" section, the
// server moves to where the new section says, and stays put when it already listens there (a lab without
// the section keeps whatever free loopback port the API has). The label always names the port the server
// really listens on, or "admin: off" with the reason.
class AdminStatus final : public QLabel {
    Q_OBJECT
public:
    explicit AdminStatus(Lab* lab, QWidget* parent = nullptr);
    ~AdminStatus() override;
    Q_DISABLE_COPY_MOVE(AdminStatus)

    AdminServer& server() const { return *m_server; }
    // Moves the server if the lab's "admin" section asks for another place than the one it has.
    void follow();

private:
    void place(const AdminConfig& admin);

    Lab* m_lab;
    AdminServer* m_server;
    AdminConfig m_placedFor; // the section the server was last placed for
};

} // namespace lab
