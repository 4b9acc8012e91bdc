#pragma once

#include <QHostAddress>
#include <QString>
#include <vector>

namespace lab {

// How the workers of one listener share its connections.
//  - KernelHash (the proxy's default): one socket per worker in a SO_REUSEPORT group; the kernel deals
//    each connection to one of them by a hash of its addresses, whatever that worker is doing (nginx's
//    `listen ... reuseport`, HAProxy's default with several threads). wrk's 50 connections land 25/25
//    or 19/31, the split fixed for their lives.
//  - FirstAwake: one listening socket, and each worker accepts on its own duplicate of it, so a new
//    connection goes to whichever worker's event loop is awake to take it. This is how nginx's workers
//    share a listener (accept_mutex off, no `reuseport`): with one wrk on the 2-core machine that also
//    runs the backends, nginx's two workers often end with 47-50 of the 50 connections on one of them
//    (and sometimes split them evenly). Cost: a new connection wakes every idle worker; one accepts,
//    the others find nothing (EAGAIN): per connection, not per request. Measured against KernelHash in
//    bench/README.md (issue 16, WORKERS=2): not better on a loaded machine, so not the default.
enum class AcceptDealing { FirstAwake, KernelHash };

// The listening sockets of one address and port, one descriptor per worker thread, so that a worker
// accepts on its own event loop and no acceptor thread has to wake a worker for every connection.
//
// SO_REUSEPORT would also let another process of the same user join the group silently; so a port given
// explicitly is first probed by a plain bind (SO_REUSEADDR only, as Qt listens), which fails with
// "address in use" when anything listens there, as QTcpServer::listen would. Port 0 picks a free port
// for the first socket and binds the others to it. (FirstAwake binds without SO_REUSEPORT at all.)
struct ReusePortGroup {
    std::vector<int> fds; // listening, non-blocking, close-on-exec; empty on failure
    quint16 port = 0;
};

// Opens `count` descriptors dealt as `dealing` says. On failure returns an empty group and a sentence
// (the system's reason) in *error.
ReusePortGroup openReusePortGroup(const QHostAddress& address, quint16 port, int count, int backlog, QString* error,
                                  AcceptDealing dealing = AcceptDealing::KernelHash);

} // namespace lab
