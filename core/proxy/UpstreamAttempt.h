#pragma once

#include "ConnectionDeadlines.h"
#include "StreamSocket.h"
#include "backend/BackendPool.h"
#include "http/HeaderRules.h"
#include "http/HttpParser.h"

#include <QElapsedTimer>
#include <QObject>

namespace lab {

class ProxyWorker;
struct ProxySettings;

// One request's trip to one backend at a time, for an HttpSession: connect (or take an idle keep-alive
// connection from the worker's UpstreamPool), send the request, replay it on the next backend after a
// failure, parse the response and stream it back through the session, with the connect and response
// timeouts. A session holds one only while it has an exchange in flight: it takes one from its worker's
// free list when a request head arrives and gives it back when the exchange ends (ProxyWorker::takeAttempt),
// so an idle keep-alive connection holds no attempt, no response parser and no response head, and a
// request in steady state allocates none. The session decides what a failure means (retry, 502, 504) and
// writes the client's response head.
//
// The connect and response timeouts are an entry on the worker's ConnectionDeadlines, not a QTimer:
// re-arming one per read is an O(1) relink, not a timer registration. Backend connections are children
// of the worker's UpstreamPool for their whole life, taken and given back by plain pointer (no setParent
// per request).
//
// The request bytes sent upstream (head + framed body) are kept up to kReplayBytes so that a failure
// before any response byte reached the client can be replayed elsewhere (cascading failover); past that
// the rest is streamed and the request is no longer replayable. Backpressure: the session stops reading
// its client while requestRoom() is false and this stops reading the backend while the client has more
// than kHighWaterBytes unsent.
//
// The backend connection is a StreamSocket on its raw descriptor. A response is read into a buffer
// borrowed from the thread's BufferPool, parsed in place, and its body pieces go to the client as views
// into that buffer: the client's head and body leave in one writev per read, and the buffer goes back
// to the pool before the next read (no allocation per request).
class UpstreamAttempt final : public QObject,
                              private http::HttpParserHandler,
                              private StreamSocket::Handler,
                              private ConnectionDeadlines::Handler {
    Q_OBJECT
public:
    static constexpr qsizetype kHighWaterBytes = 256 * 1024;
    static constexpr qsizetype kReplayBytes = 1024 * 1024;

    enum class Failure { ConnectRefused, ConnectTimeout, Reset, ResponseTimeout, BadResponse, Status };

    // What the attempt needs from the client side; HttpSession implements it.
    class Exchange {
    public:
        virtual const ProxySettings& settings() const = 0;
        virtual const http::HttpHead& request() const = 0;
        virtual bool requestComplete() const = 0;
        virtual void writeClient(QByteArrayView bytes) = 0;
        // As writeClient, without a copy: `bytes` stays valid until flushClient(), which the attempt
        // calls before it reuses the buffer they are in.
        virtual void writeClientView(QByteArrayView bytes) = 0;
        virtual void flushClient() = 0;
        virtual qint64 clientBytesToWrite() const = 0;
        // Room for more request bytes upstream: the client may be read again.
        virtual void requestBytesDrained() = 0;
        // The attempt is over without a whole response: the session decides (retry, 502, 504).
        virtual void attemptFailed(Failure failure, const BackendPtr& backend, const QString& reason) = 0;
        // A final response head arrived. True: drop it and move on to the next backend (retry on status).
        virtual bool discardResponse(int status) = 0;
        // The response head goes to the client now (down = framing towards the client).
        virtual void responseStarting(const http::HttpHead& head, http::NextHopFraming down) = 0;
        // The whole response reached the client (or its buffer).
        virtual void responseFinished(int status) = 0;
        // Cut mid-response (backend closed, timed out): the client must see the failure.
        virtual void cutClient() = 0;
        // The request body stalled (no bytes for the response timeout): the session answers 408.
        virtual void requestStalled() = 0;
        // The proxy itself has no socket for a connection: not the backend's fault.
        virtual void outOfSockets(const BackendPtr& backend, const QString& error) = 0;
        // A pooled connection was already closed by the backend: the same attempt again, on a fresh one.
        virtual void retryFresh(AttemptTicket ticket) = 0;

    protected:
        ~Exchange() = default;
    };

    UpstreamAttempt(ProxyWorker* worker, QObject* parent);
    ~UpstreamAttempt() override;
    Q_DISABLE_COPY_MOVE(UpstreamAttempt)

    // The session this attempt works for until it is given back. The pointer is kept after that: a
    // session that ends its exchange from inside one of this attempt's calls (the response finished)
    // is still alive while that call unwinds.
    void attach(Exchange* exchange) { m_exchange = exchange; }

    // A new request: `head` is its head as serialized for the backend; `replayAllowed` whether its
    // method may be sent again after a failure. endRequest() lets the request's bytes and ticket go.
    void beginRequest(QByteArray head, bool replayAllowed);
    void endRequest();
    void appendRequestBytes(QByteArrayView bytes);
    // Request bytes may still be replayed on another backend.
    bool mayReplay() const { return !m_replayOverflow && m_replayAllowed; }
    // False while more than kHighWaterBytes of the request wait to go upstream.
    bool requestRoom() const;

    // Starts this attempt on the ticket's backend (the caller counted it in the trail and metrics).
    void start(AttemptTicket ticket);
    // The session ends the attempt without the backend's verdict (client gone, request refused).
    void abandon() { m_ticket.abandon(); }
    // Closes the upstream socket (or gives it to the keep-alive pool when `reusable`).
    void release(bool reusable);
    // The client drained its buffer: continue streaming the response.
    void clientDrained();
    // The backend of the current (or last) attempt; kept after release() until forget().
    const BackendPtr& backend() const { return m_backend; }
    void forget() { m_backend.reset(); }
    bool active() const { return m_socket != nullptr; }

    static constexpr qsizetype kReadChunk = 32 * 1024;

private:
    // Where this attempt is; release() returns it to Idle.
    enum class Phase {
        Idle, // no upstream socket
        Connecting, // a fresh connection is being made
        AwaitingResponse, // connected; the request is going out, no final response head yet
        Interim, // a 1xx response is being parsed; the final one follows
        Discarding, // a status the session retries on: this response is dropped
        Streaming, // the response head went to the client; the body follows
        Complete, // the parser saw the whole response
    };

    bool onHead(http::HttpHead& head) override;
    void onBody(QByteArrayView data) override;
    void onMessageComplete() override;
    void onReadable(StreamSocket*) override { processInput(); }
    void onWritable(StreamSocket* socket) override;
    void onWriteFailed(StreamSocket* socket, int error) override;
    void connectTo(const QHostAddress& address);
    void onConnected();
    void connectFailed(int error);
    void onEnded();
    void onDeadline() override { onTimer(); }
    void onTimer();
    void armTimer(qint64 ms);
    // Reads once (more while the buffer fills up); `untilEnd`: until the kernel has nothing left.
    void processInput(bool untilEnd = false);
    // Feeds one read to the parser; false when the attempt ended in there.
    bool parseRead(qsizetype n);
    void flushReplay();
    void fail(Failure failure, const QString& reason);
    void finishResponse(bool reusable);
    bool responseStarted() const { return m_phase == Phase::Streaming || m_phase == Phase::Complete; }

    ProxyWorker* m_worker;
    Exchange* m_exchange;
    // Connect timeout, then response timeout; 0 ms: a deferred error is handled from the event loop.
    ConnectionDeadlines::Entry m_deadline;
    http::HttpParser m_parser;
    Phase m_phase = Phase::Idle;
    AttemptTicket m_ticket; // this attempt's outcome goes here, exactly once (abandoned if none)
    BackendPtr m_backend;
    StreamSocket* m_socket = nullptr;
    QByteArray m_in; // the read being parsed (borrowed from the BufferPool while it is)
    bool m_fromPool = false;
    bool m_bytesSeen = false;
    bool m_ended = false; // the backend closed its side (read 0, or a reset)
    int m_deferredError = 0; // a connect that failed at once, or a write that failed: handled on m_deadline
    quint64 m_lookup = 0; // the host name lookup a fresh connect waits for (0: none)
    QByteArray m_replay; // request bytes as sent upstream (head + framed body), while replayable
    qsizetype m_replaySent = 0;
    bool m_replayOverflow = false;
    bool m_replayAllowed = true;
    http::HttpHead m_response;
    http::NextHopFraming m_downFraming = http::NextHopFraming::None;
    int m_discardStatus = 0;
    QByteArray m_badResponse; // why a response head was refused (an unasked-for 101)
    QElapsedTimer m_sinceStart; // this attempt's latency
};

} // namespace lab
