#include "FakeBackendServer.h"

#include "FakeBackendConnection.h"

namespace lab {

FakeBackendServer::FakeBackendServer(FakeBackend* backend)
    : m_backend(backend)
{
}

void FakeBackendServer::incomingConnection(qintptr socketDescriptor)
{
    auto* c = new FakeBackendConnection(socketDescriptor, m_backend, this);
    if (!c->isValid())
        c->deleteLater();
}

void FakeBackendServer::closeConnections()
{
    const auto connections = findChildren<FakeBackendConnection*>(Qt::FindDirectChildrenOnly);
    for (FakeBackendConnection* c : connections)
        c->abort();
}

} // namespace lab
