#pragma once

#include <QLabel>

namespace lab {

class AdminServer;
class Lab;

// The window's admin API and its place in the status bar ("admin :43567"). The window always runs one
// (issue 17): where the lab's "admin" section says when it is enabled, else on a free loopback port; when
// that address is taken it falls back to a free loopback port and says so in the tooltip. It stays where
// it started when File > Open loads another lab (the API reads whatever lab runs). The label names the
// port the server really listens on, or "admin: off" with the reason.
class AdminStatus final : public QLabel {
    Q_OBJECT
public:
    explicit AdminStatus(Lab* lab, QWidget* parent = nullptr);
    ~AdminStatus() override;
    Q_DISABLE_COPY_MOVE(AdminStatus)

    AdminServer& server() const { return *m_server; }

private:
    AdminServer* m_server;
};

} // namespace lab
