#pragma once

#include <QTcpServer>

namespace lab {

class FakeBackend;

// The listening socket of a FakeBackend; lives on the backend's thread and owns its connections.
class FakeBackendServer final : public QTcpServer {
    Q_OBJECT
public:
    explicit FakeBackendServer(FakeBackend* backend);
    Q_DISABLE_COPY_MOVE(FakeBackendServer)

    void closeConnections();

protected:
    void incomingConnection(qintptr socketDescriptor) override;

private:
    FakeBackend* m_backend;
};

} // namespace lab
