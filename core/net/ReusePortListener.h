#pragma once

#include <QHostAddress>
#include <QString>
#include <vector>

namespace lab {

// A group of listening TCP sockets on one address and port, one per worker thread, bound with
// SO_REUSEPORT: the kernel deals each new connection to one of them (by a hash of its addresses), so a
// worker accepts on its own event loop and no acceptor thread has to wake a worker for every connection.
// (nginx's `listen ... reuseport`, HAProxy's default with several threads.)
//
// SO_REUSEPORT would also let another process of the same user join the group silently; so a port given
// explicitly is first probed by a plain bind (SO_REUSEADDR only, as Qt listens), which fails with
// "address in use" when anything listens there, as QTcpServer::listen would. Port 0 picks a free port
// for the first socket and binds the others to it.
struct ReusePortGroup {
    std::vector<int> fds; // listening, non-blocking, close-on-exec; empty on failure
    quint16 port = 0;
};

// Opens `count` sockets. On failure returns an empty group and a sentence (the system's reason) in *error.
ReusePortGroup openReusePortGroup(const QHostAddress& address, quint16 port, int count, int backlog, QString* error);

} // namespace lab
