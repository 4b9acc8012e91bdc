#include "ReusePortListener.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lab {

namespace {

struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family = AF_INET;
    bool v6Only = false;
};

SocketAddress toSocketAddress(const QHostAddress& address, quint16 port)
{
    SocketAddress a;
    if (address.protocol() == QAbstractSocket::IPv4Protocol) {
        auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        in->sin_addr.s_addr = htonl(address.toIPv4Address());
        a.length = sizeof(sockaddr_in);
        return a;
    }
    // IPv6, or QHostAddress::Any (dual stack, as QTcpServer binds it).
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    if (address != QHostAddress::Any) {
        const Q_IPV6ADDR ip = address.toIPv6Address();
        std::memcpy(&in6->sin6_addr, &ip, sizeof ip);
        in6->sin6_scope_id = address.scopeId().toUInt();
        a.v6Only = address == QHostAddress::AnyIPv6 || address.protocol() == QAbstractSocket::IPv6Protocol;
    }
    a.family = AF_INET6;
    a.length = sizeof(sockaddr_in6);
    return a;
}

QString systemError(const char* what, int error)
{
    if (error == EADDRINUSE)
        return QStringLiteral("The bound address is already in use");
    if (error == EACCES)
        return QStringLiteral("The address is protected");
    if (error == EADDRNOTAVAIL)
        return QStringLiteral("The address is not available");
    return QStringLiteral("%1: %2").arg(QLatin1String(what), QString::fromLocal8Bit(strerror(error)));
}

// A bound (not yet listening) socket, or -1 with errno set.
int boundSocket(const SocketAddress& a, bool reusePort)
{
    const int fd = ::socket(a.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    const int on = 1;
    const int v6Only = a.v6Only ? 1 : 0;
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        (reusePort && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) ||
        (a.family == AF_INET6 && ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6Only, sizeof v6Only) != 0) ||
        ::bind(fd, reinterpret_cast<const sockaddr*>(&a.storage), a.length) != 0) {
        const int saved = errno;
        ::close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

quint16 boundPort(int fd)
{
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
}

} // namespace

ReusePortGroup openReusePortGroup(const QHostAddress& address, quint16 port, int count, int backlog, QString* error,
                                  AcceptDealing dealing)
{
    ReusePortGroup group;
    auto fail = [&](const char* what, int saved) {
        for (int fd : group.fds)
            ::close(fd);
        group = {};
        if (error)
            *error = systemError(what, saved);
        return group;
    };
    if (dealing == AcceptDealing::FirstAwake) {
        const int fd = boundSocket(toSocketAddress(address, port), false);
        if (fd < 0)
            return fail("bind", errno);
        group.fds.push_back(fd);
        if (::listen(fd, backlog) != 0)
            return fail("listen", errno);
        group.port = boundPort(fd);
        while (int(group.fds.size()) < qMax(1, count)) {
            const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0); // the same socket: one queue for all workers
            if (copy < 0)
                return fail("dup", errno);
            group.fds.push_back(copy);
        }
        return group;
    }
    if (port != 0) {
        const int probe = boundSocket(toSocketAddress(address, port), false);
        if (probe < 0)
            return fail("bind", errno);
        ::close(probe);
    }
    group.port = port;
    for (int i = 0; i < qMax(1, count); ++i) {
        const int fd = boundSocket(toSocketAddress(address, group.port), true);
        if (fd < 0)
            return fail("bind", errno);
        group.fds.push_back(fd);
        if (::listen(fd, backlog) != 0)
            return fail("listen", errno);
        if (i == 0)
            group.port = boundPort(fd);
    }
    return group;
}

} // namespace lab
