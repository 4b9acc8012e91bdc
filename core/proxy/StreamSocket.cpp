#include "StreamSocket.h"

#include "net/DirectSocketNotifier.h"

#include <QEvent>
#include <QSocketNotifier>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace lab {

namespace {
constexpr qsizetype kStagingBytes = 2048;
constexpr qsizetype kDiscardBytes = 256 * 1024;
constexpr size_t kKeptSegmentLists = 256;
} // namespace

// A notifier that calls its socket straight from its event: no signal connection per notifier (with
// 10 000 idle connections, 10 000 connection records and their lists).
class StreamSocket::Notifier final : public DirectSocketNotifier {
public:
    Notifier(StreamSocket* socket, Type type)
        : DirectSocketNotifier(qintptr(socket->m_fd), type, socket)
        , m_socket(socket)
    {
    }

    void onReady() override
    {
        if (type() == Read)
            m_socket->m_handler->onReadable(m_socket);
        else
            m_socket->onWriteReady();
    }

private:
    StreamSocket* m_socket;
};

StreamSocket::StreamSocket(int fd, Handler* handler, QObject* parent)
    : QObject(parent)
    , m_fd(fd)
    , m_handler(handler)
{
    int on = 1;
    ::ioctl(m_fd, FIONBIO, &on);
    // ENOTSUP / EOPNOTSUPP on an AF_UNIX pair (TLS plaintext): nothing to set there.
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    setUp();
}

StreamSocket::StreamSocket(const QHostAddress& address, quint16 port, Handler* handler, QObject* parent)
    : QObject(parent)
    , m_handler(handler)
{
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (address.protocol() == QAbstractSocket::IPv6Protocol) {
        auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        const Q_IPV6ADDR v6 = address.toIPv6Address();
        std::memcpy(&a6->sin6_addr, &v6, sizeof v6);
        len = sizeof(sockaddr_in6);
    } else {
        auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        a4->sin_addr.s_addr = htonl(address.toIPv4Address());
        len = sizeof(sockaddr_in);
    }
    m_fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m_fd < 0) {
        m_error = errno;
        return;
    }
    int on = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (::connect(m_fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        if (errno != EINPROGRESS) {
            m_error = errno;
            ::close(m_fd);
            m_fd = -1;
            return;
        }
        m_connecting = true;
    }
    setUp();
    if (m_connecting) // writable = the connect finished, one way or the other
        setWriteWanted(true);
}

StreamSocket::~StreamSocket()
{
    if (m_fd >= 0)
        ::close(m_fd);
    releaseBuffers();
    giveSegments();
}

// Segment lists between a connection's first append and its flush, kept per thread: an idle connection
// holds none, and a write in steady state allocates none.
std::vector<std::vector<StreamSocket::Segment>>& StreamSocket::freeSegmentLists()
{
    thread_local std::vector<std::vector<Segment>> lists;
    return lists;
}

void StreamSocket::addSegment(const Segment& segment)
{
    if (m_segments.capacity() == 0) {
        std::vector<std::vector<Segment>>& free = freeSegmentLists();
        if (!free.empty()) {
            m_segments.swap(free.back());
            free.pop_back();
        } else {
            m_segments.reserve(size_t(kMaxSegments));
        }
    }
    m_segments.push_back(segment);
}

void StreamSocket::giveSegments()
{
    m_queued = 0;
    if (m_segments.capacity() == 0)
        return;
    m_segments.clear();
    std::vector<std::vector<Segment>>& free = freeSegmentLists();
    if (free.size() < kKeptSegmentLists) {
        if (free.capacity() == 0)
            free.reserve(kKeptSegmentLists);
        free.push_back(std::move(m_segments));
    }
    m_segments = {};
}

void StreamSocket::setUp()
{
    m_readNotifier = new Notifier(this, QSocketNotifier::Read);
    m_readEnabled = !m_connecting;
    m_readNotifier->setEnabled(m_readEnabled);
}

void StreamSocket::setWriteWanted(bool wanted)
{
    if (!m_writeNotifier) {
        // Made on first need (a connect, a backlog): most connections never fill the kernel's buffer,
        // and an idle one should not hold a notifier it never uses.
        if (!wanted || m_fd < 0)
            return;
        m_writeNotifier = new Notifier(this, QSocketNotifier::Write);
        return; // a new notifier is enabled
    }
    m_writeNotifier->setEnabled(wanted);
}

int StreamSocket::finishConnect()
{
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    m_connecting = false;
    m_error = err;
    if (err == 0) {
        setWriteWanted(bytesToWrite() > 0);
        setReadEnabled(true);
    } else {
        setWriteWanted(false);
    }
    return err;
}

qsizetype StreamSocket::read(char* into, qsizetype capacity)
{
    for (;;) {
        const ssize_t n = ::recv(m_fd, into, size_t(capacity), 0);
        if (n >= 0)
            return qsizetype(n);
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return WouldBlock;
        m_error = errno;
        return Failed;
    }
}

qsizetype StreamSocket::peek()
{
    char c;
    for (;;) {
        const ssize_t n = ::recv(m_fd, &c, 1, MSG_PEEK);
        if (n >= 0)
            return qsizetype(n);
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return WouldBlock;
        m_error = errno;
        return Failed;
    }
}

void StreamSocket::setReadEnabled(bool enabled)
{
    if (enabled == m_readEnabled || !m_readNotifier)
        return;
    m_readEnabled = enabled;
    m_readNotifier->setEnabled(enabled);
}

void StreamSocket::append(QByteArrayView bytes)
{
    if (bytes.isEmpty())
        return;
    if (qsizetype(m_segments.size()) >= kMaxSegments && !flush())
        return;
    if (m_staging.capacity() == 0)
        m_staging = BufferPool::local().take(std::max(kStagingBytes, bytes.size()));
    // Adjacent owned bytes extend the last segment: a head built in pieces is one iovec.
    if (!m_segments.empty() && !m_segments.back().data &&
        m_segments.back().offset + m_segments.back().size == m_staging.size()) {
        m_segments.back().size += bytes.size();
    } else {
        addSegment({nullptr, m_staging.size(), bytes.size()});
    }
    m_staging.append(bytes);
    m_queued += bytes.size();
}

QByteArray& StreamSocket::beginStaged(qsizetype expected)
{
    if (qsizetype(m_segments.size()) >= kMaxSegments)
        flush();
    if (m_staging.capacity() == 0)
        m_staging = BufferPool::local().take(std::max(kStagingBytes, expected));
    m_stagedFrom = m_staging.size();
    return m_staging;
}

void StreamSocket::commitStaged()
{
    const qsizetype from = m_stagedFrom;
    const qsizetype size = m_staging.size() - from;
    if (size <= 0)
        return;
    if (m_writeFailed || m_fd < 0) { // as append() after a failed write: dropped
        m_staging.resize(from);
        return;
    }
    if (!m_segments.empty() && !m_segments.back().data && m_segments.back().offset + m_segments.back().size == from)
        m_segments.back().size += size;
    else
        addSegment({nullptr, from, size});
    m_queued += size;
}

void StreamSocket::appendView(QByteArrayView bytes)
{
    if (bytes.isEmpty())
        return;
    if (qsizetype(m_segments.size()) >= kMaxSegments && !flush())
        return;
    addSegment({bytes.data(), 0, bytes.size()});
    m_queued += bytes.size();
}

bool StreamSocket::flush()
{
    if (m_writeFailed || m_fd < 0) {
        giveSegments();
        m_queued = 0;
        if (m_staging.capacity() > 0)
            BufferPool::local().give(m_staging);
        return false;
    }
    if (m_segments.empty())
        return true;
    if (m_connecting || m_backlogPos < m_backlog.size()) { // order: behind what already waits
        keepUnsent(0);
        return true;
    }
    iovec iov[kMaxSegments];
    int count = 0;
    for (const Segment& s : m_segments) {
        iov[count].iov_base = const_cast<char*>(s.data ? s.data : m_staging.constData() + s.offset);
        iov[count].iov_len = size_t(s.size);
        ++count;
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = size_t(count);
    ssize_t n;
    do {
        n = ::sendmsg(m_fd, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            failWrite(errno);
            return false;
        }
        n = 0;
    }
    keepUnsent(qsizetype(n));
    return true;
}

void StreamSocket::keepUnsent(qsizetype written)
{
    // Copies what the kernel did not take, in order, into the backlog: views die at the next flush.
    qsizetype skip = written;
    for (const Segment& s : m_segments) {
        if (skip >= s.size) {
            skip -= s.size;
            continue;
        }
        const char* p = s.data ? s.data : m_staging.constData() + s.offset;
        if (m_backlog.capacity() == 0)
            m_backlog = BufferPool::local().take(s.size - skip);
        m_backlog.append(p + skip, s.size - skip);
        skip = 0;
    }
    giveSegments();
    m_queued = 0;
    BufferPool::local().give(m_staging);
    const bool waiting = m_backlogPos < m_backlog.size();
    if (!waiting && m_backlog.capacity() > 0) {
        m_backlogPos = 0;
        BufferPool::local().give(m_backlog);
    }
    if (!m_connecting)
        setWriteWanted(waiting);
}

void StreamSocket::onWriteReady()
{
    if (m_connecting) {
        m_handler->onWritable(this);
        return;
    }
    while (m_backlogPos < m_backlog.size()) {
        const ssize_t n =
            ::send(m_fd, m_backlog.constData() + m_backlogPos, size_t(m_backlog.size() - m_backlogPos), MSG_NOSIGNAL);
        if (n > 0) {
            m_backlogPos += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return; // the notifier stays on
        failWrite(n < 0 ? errno : EPIPE);
        return;
    }
    m_backlogPos = 0;
    BufferPool::local().give(m_backlog);
    setWriteWanted(false);
    m_handler->onWritable(this);
}

void StreamSocket::failWrite(int error)
{
    m_writeFailed = true;
    m_error = error;
    giveSegments();
    m_queued = 0;
    releaseBuffers();
    setWriteWanted(false);
    m_handler->onWriteFailed(this, error);
}

void StreamSocket::discardInput()
{
    if (m_fd < 0)
        return;
    char scrap[4096];
    for (qsizetype total = 0; total < kDiscardBytes;) {
        const ssize_t n = ::recv(m_fd, scrap, sizeof scrap, 0);
        if (n <= 0)
            return;
        total += n;
    }
}

void StreamSocket::releaseBuffers()
{
    BufferPool& pool = BufferPool::local();
    pool.give(m_staging);
    m_backlogPos = 0;
    pool.give(m_backlog);
}

void StreamSocket::close()
{
    // Possibly from inside a notifier's own activation: disabled now, deleted once it has returned.
    for (QSocketNotifier* n : {m_readNotifier, m_writeNotifier}) {
        if (n) {
            n->setEnabled(false);
            n->deleteLater();
        }
    }
    m_readNotifier = m_writeNotifier = nullptr;
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
    giveSegments();
    m_queued = 0;
    releaseBuffers();
}

// ---- BufferPool ----------------------------------------------------------------------------------

BufferPool& BufferPool::local()
{
    thread_local BufferPool pool;
    return pool;
}

QByteArray BufferPool::take(qsizetype capacity)
{
    // The smallest buffer that is big enough: a small staging buffer must not take the large buffer a
    // read needs next, or every request would allocate one anew.
    // The capacities are kept beside the buffers, so the search reads one array and touches no buffer's
    // memory (reading each QByteArray's capacity was a cache miss per free buffer: 0.9 % of a worker).
    qsizetype best = -1;
    for (qsizetype i = qsizetype(m_free.size()) - 1; i >= 0; --i) {
        const qsizetype c = m_free[size_t(i)].capacity;
        if (c >= capacity && (best < 0 || c < m_free[size_t(best)].capacity)) {
            best = i;
            if (c == capacity)
                break;
        }
    }
    if (best >= 0) {
        QByteArray b = std::move(m_free[size_t(best)].buffer);
        m_free[size_t(best)] = std::move(m_free.back());
        m_free.pop_back();
        return b;
    }
    QByteArray b;
    b.reserve(capacity);
    return b;
}

void BufferPool::give(QByteArray& buffer)
{
    if (buffer.capacity() == 0)
        return;
    if (m_free.size() >= size_t(kKeep) || buffer.capacity() > kMaxKeptBytes || !buffer.isDetached()) {
        buffer = QByteArray();
        return;
    }
    if (m_free.capacity() == 0)
        m_free.reserve(size_t(kKeep));
    buffer.resize(0);
    const qsizetype capacity = buffer.capacity();
    m_free.push_back({capacity, std::move(buffer)});
    buffer = QByteArray();
}

} // namespace lab
