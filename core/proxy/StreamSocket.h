#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QHostAddress>
#include <QObject>
#include <vector>

class QSocketNotifier;

namespace lab {

// One non-blocking stream socket on its raw descriptor, driven by QSocketNotifiers on the thread that
// owns it: the HTTP proxy's client and backend connections. Built on the descriptor, as TcpSession is,
// because QTcpSocket costs a FIONREAD per read and a write per write call, and copies everything twice
// (into its read buffer and out of its write buffer).
//
// Writing is gathered: append() copies bytes (heads, chunk framing) into a staging buffer, appendView()
// only remembers where they are (a body piece still in the reader's buffer), and flush() sends all of it
// in order with one writev(). What the kernel does not take is copied into the backlog, and the write
// notifier (made the first time it is needed) stays on until it is through (onWritable then). A view
// must therefore stay valid until the next flush(); callers flush before they reuse the buffer a view
// points into. Staging and backlog come from the thread's BufferPool and go back to it when empty, and
// the segment list is borrowed per thread likewise, so an idle connection holds no buffer.
//
// Reading is the caller's: read() into its own buffer. The read notifier stays enabled (toggling it
// would cost a system call with an epoll dispatcher); a caller that does not want input now turns it
// off with setReadEnabled(false) when it fires.
//
// Socket options are set once (TCP_NODELAY); a descriptor that is not TCP (an AF_UNIX pair carrying a
// TLS connection's plaintext) refuses them, which is fine. Not thread-safe.
class StreamSocket final : public QObject {
    Q_OBJECT
public:
    class Handler {
    public:
        // The descriptor is readable (data, end of stream, or an error: read() says which).
        virtual void onReadable(StreamSocket* socket) = 0;
        // A connect finished (connecting()), or the backlog was written out.
        virtual void onWritable(StreamSocket* socket) = 0;
        // A write failed (the peer reset or closed): the connection is unusable.
        virtual void onWriteFailed(StreamSocket* socket, int error) = 0;

    protected:
        ~Handler() = default;
    };

    enum : qsizetype { WouldBlock = -1, Failed = -2 };

    // Adopts a connected descriptor (an accepted client); closes it on destruction.
    StreamSocket(int fd, Handler* handler, QObject* parent);
    // A new non-blocking connect to `address`:`port`. Check ok(); the handler hears onWritable when the
    // connect is done, one way or the other (connectError() says which).
    StreamSocket(const QHostAddress& address, quint16 port, Handler* handler, QObject* parent);
    ~StreamSocket() override;
    Q_DISABLE_COPY_MOVE(StreamSocket)

    // False when the descriptor could not be made (connect: socket() or connect() failed at once).
    bool ok() const { return m_fd >= 0; }
    int error() const { return m_error; } // errno of the failure that made ok() false or a write fail
    bool connecting() const { return m_connecting; }
    // The connect's outcome (0 = connected; SO_ERROR otherwise); ends connecting().
    int finishConnect();
    int fd() const { return m_fd; }
    void setHandler(Handler* handler) { m_handler = handler; }
    // A number the owner keeps with the socket (the keep-alive pool: the backend's id).
    void setTag(int tag) { m_tag = tag; }
    int tag() const { return m_tag; }

    // Bytes read (> 0), 0 at the end of the stream, WouldBlock, or Failed (error() holds errno).
    qsizetype read(char* into, qsizetype capacity);
    // As read(), but leaves the byte in the kernel: tells data from the end of the stream.
    qsizetype peek();
    void setReadEnabled(bool enabled);
    bool readEnabled() const { return m_readEnabled; }

    void append(QByteArrayView bytes);
    void appendView(QByteArrayView bytes);
    // For bytes built in place (a response head) rather than built aside and copied in: the staging
    // buffer to append to (`expected` bytes reserved when it is new), then commitStaged() queues what was
    // appended since. Nothing else may use the socket in between, and the caller only appends.
    QByteArray& beginStaged(qsizetype expected);
    void commitStaged();
    // Sends what was appended. False when the write failed (the handler heard onWriteFailed too).
    bool flush();
    qsizetype bytesToWrite() const { return m_backlog.size() - m_backlogPos + m_queued; }
    bool writeFailed() const { return m_writeFailed; }

    // Reads and drops what the peer already sent (bounded), so that close() does not answer unread
    // bytes with a reset that could destroy the response still in flight.
    void discardInput();
    // Closes the descriptor now (pending bytes are lost); the object stays, inert.
    void close();

private:
    struct Segment {
        const char* data; // null: `offset` into m_staging
        qsizetype offset;
        qsizetype size;
    };
    static constexpr int kMaxSegments = 16;

    void setUp();
    void setWriteWanted(bool wanted); // the write notifier on or off (made when first wanted)
    void onWriteReady();
    void failWrite(int error);
    void keepUnsent(qsizetype written);
    void releaseBuffers();
    class Notifier;
    static std::vector<std::vector<Segment>>& freeSegmentLists();
    void addSegment(const Segment& segment);
    void giveSegments(); // empties the list and gives its memory back to the thread's free lists

    int m_fd = -1;
    Handler* m_handler;
    QSocketNotifier* m_readNotifier = nullptr;
    QSocketNotifier* m_writeNotifier = nullptr;
    QByteArray m_staging; // owned bytes of the queued segments
    std::vector<Segment> m_segments; // borrowed (per thread) while segments are queued
    qsizetype m_queued = 0; // bytes in m_segments
    qsizetype m_stagedFrom = 0; // m_staging's size at beginStaged()
    QByteArray m_backlog; // what the kernel did not take yet, in order
    qsizetype m_backlogPos = 0;
    int m_error = 0;
    int m_tag = -1;
    bool m_connecting = false;
    bool m_readEnabled = true;
    bool m_writeFailed = false;
};

// Buffers a worker thread's connections borrow while they have bytes, and give back when they are
// empty: a connection between requests holds none, and a request in steady state allocates none (the
// buffer comes from here, not from malloc). One per thread (thread_local): no lock. At most kKeep free
// buffers are kept, and none larger than kMaxKeptBytes (a 1 MiB backlog is given back to the system).
class BufferPool final {
public:
    static constexpr int kKeep = 256;
    static constexpr qsizetype kMaxKeptBytes = 256 * 1024;

    static BufferPool& local();
    // An empty buffer with at least `capacity` bytes reserved.
    QByteArray take(qsizetype capacity);
    // Empties `buffer` and keeps its memory for the next take() (when it is worth keeping).
    void give(QByteArray& buffer);

private:
    struct Free {
        qsizetype capacity;
        QByteArray buffer;
    };
    std::vector<Free> m_free;
};

} // namespace lab
