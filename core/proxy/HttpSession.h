#pragma once

#include "AttemptTrail.h"
#include "ConnectionDeadlines.h"
#include "ConnectionGate.h"
#include "StreamSocket.h"
#include "UpstreamAttempt.h"
#include "backend/BackendPool.h"
#include "http/HeaderRules.h"
#include "http/HttpParser.h"
#include "proxy/ProxySettings.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QObject>

namespace lab {

class ProxyWorker;
struct TrafficCounters;
enum class ClientStream; // ProxyWorker.h

// One client connection through the proxy, on one worker thread: the client side. Owns the client
// socket, reads and checks requests, picks backends, decides what an attempt's failure means (retry on
// the next backend, 502, 504, 503 when none is left), writes the response head and keeps the
// connection alive between requests. The trip to a backend (connect, send, replay, parse, stream back)
// is its UpstreamAttempt's; what the request went through is its AttemptTrail.
//
// Requests are handled one at a time in arrival order (pipelined ones wait in the socket buffer), and
// bodies stream both ways with backpressure: the proxy stops reading one side while the other side has
// more than UpstreamAttempt::kHighWaterBytes unsent. A request's first UpstreamAttempt::kReplayBytes are
// kept so that it can be replayed on another backend after a failure that happened before any response
// byte reached the client (cascading failover); past that it is streamed and no longer retried. Step
// mode (StepGate) may hold a request in the Held phase, before its first pick.
//
// The client connection is a StreamSocket on its raw descriptor: one recv per readable event into a
// buffer borrowed from the thread's BufferPool (given back as soon as the parser has consumed it, so a
// connection between requests holds none), responses leave with one writev. The descriptor may be a
// TCP socket or an AF_UNIX pair carrying a TLS connection's plaintext (ClientStream::TlsPlaintext): the
// client's address is the one the worker was given, never getpeername's (the pair has none), and a TLS
// client's requests reach the backend with X-Forwarded-Proto: https. The pick context, the rate limiter,
// the access log, the trace and the flow view all name that address.
class HttpSession final : public QObject,
                          private http::HttpParserHandler,
                          private UpstreamAttempt::Exchange,
                          private StreamSocket::Handler,
                          private ConnectionDeadlines::Handler {
    Q_OBJECT
public:
    HttpSession(qintptr socketDescriptor, const QHostAddress& client, ClientStream stream, ProxyWorker* worker);
    ~HttpSession() override;
    Q_DISABLE_COPY_MOVE(HttpSession)

    // Step mode let the held request go (called by its worker): it is picked now, on this thread.
    void releaseFromHold(const QString& reason);
    // The proxy is stopping (called by its worker): an idle connection closes now, one mid-exchange
    // closes after it (a held request is let go at once).
    void beginShutdown();

private:
    using Failure = UpstreamAttempt::Failure;
    // Where the connection is. An exchange is one request and its response.
    enum class Phase {
        Idle, // between exchanges: reading the next request head (or waiting for one)
        Starting, // the head is in: the exchange begins once the parser has returned (beginExchange)
        Held, // step mode holds it before its pick (bounded by the gate's hold timeout)
        Forwarding, // a request is in; no response byte went to the client yet (a retry is still possible)
        Responding, // a response head went to the client: no more retries
        Closing, // flushing the last bytes before the close
        Closed, // onClientGone ran: the socket is closed and the session is being deleted
    };
    bool inExchange() const { return m_phase != Phase::Idle && m_phase < Phase::Closing; }
    // Step mode's say on the current request, decided when its head arrives.
    enum class StepHold : quint8 {
        None, // not held
        Wanted, // step mode wants it held before its pick (beginExchange holds it, in Phase::Held)
        Expired, // the hold limit answered it (503): it never reached a backend, its latency is not the proxy's
    };

    // client side
    void onReadable(StreamSocket*) override;
    void onWritable(StreamSocket*) override { onClientBytesWritten(); }
    void onWriteFailed(StreamSocket*, int) override;
    void processClientInput();
    bool wantClientInput() const;
    void onClientBytesWritten();
    void onClientGone();
    void onDeadline() override { onClientTimer(); }
    void onClientTimer();
    void armClientTimer(qint64 ms);
    void stopClientTimer();
    void armIdleTimer();
    bool onHead(http::HttpHead& head) override;
    void onBody(QByteArrayView data) override;
    void onMessageComplete() override;
    void rejectRequest(int status, const QByteArray& reason, const QByteArray& extraHeaders = {});

    // step mode (and the rate limiter, which is asked first: a refused request is never held)
    bool refusedByRateLimit();
    void beginExchange();
    void holdExpired();
    void dropHold(); // the held request ends otherwise (client gone, refused): out of the gate

    // picking and attempts
    AttemptTicket pickBackend();
    bool anyBackendLeft() const; // an untried backend a pick could still take
    QByteArray triedJson() const; // the names of the backends tried, as a JSON array
    void startAttempt();
    // `picked`: a new pick (a Picked event); false when the same attempt goes to a fresh connection.
    void connectTo(AttemptTicket attempt, bool picked = true);
    bool explaining() const { return m_sampled || m_trail.requestId() != 0; }

    // UpstreamAttempt::Exchange
    const ProxySettings& settings() const override { return *m_settings; }
    const http::HttpHead& request() const override { return m_request; }
    bool requestComplete() const override { return m_requestComplete; }
    void writeClient(QByteArrayView bytes) override;
    void writeClientView(QByteArrayView bytes) override;
    void flushClient() override { m_client->flush(); }
    qint64 clientBytesToWrite() const override;
    void requestBytesDrained() override { processClientInput(); }
    void attemptFailed(Failure failure, const BackendPtr& failed, const QString& reason) override;
    bool discardResponse(int status) override;
    void responseStarting(const http::HttpHead& head, http::NextHopFraming down) override;
    void responseFinished(int status) override;
    void cutClient() override;
    void requestStalled() override;
    void outOfSockets(const BackendPtr& backend, const QString& error) override;
    void retryFresh(AttemptTicket ticket) override;

    // ending
    void sendProxyError(int status, const QByteArray& json, const QByteArray& extraHeaders = {});
    void finishExchange(int status);
    // The worker's attempt for this exchange, taken when its head arrives and given back when it ends.
    void takeAttempt();
    void returnAttempt();
    void closeClientAfterFlush();
    // The trace entry's sequence, 0 when not sampled; `ms` is the exchange's latency, read once by the caller.
    quint64 logAndTrace(int status, double ms);
    double exchangeMs() const; // since the request head arrived
    // "held in step mode for 2.4 s": how long the current request waited for the user
    QString heldText() const;
    static QByteArray jsonString(QByteArrayView s); // a JSON string literal, quotes included

    ProxyWorker* m_worker;
    std::shared_ptr<const ProxySettings> m_settingsRef; // refreshed per exchange: settings change live
    const ProxySettings* m_settings;
    StreamSocket* m_client;
    // The header read, keep-alive idle, step-mode hold or closing flush deadline: on the worker's list,
    // not a QTimer of its own (an idle connection costs no timer).
    ConnectionDeadlines::Entry m_clientDeadline;
    http::HttpParser m_requestParser;
    UpstreamAttempt* m_upstream; // while an exchange is in flight (null between requests)
    QByteArray m_clientIn; // borrowed from the BufferPool while it holds unparsed bytes
    bool m_clientReadable = false; // the kernel may hold more client bytes (the notifier fired, not all read)
    ConnectionGate::HeadReservation m_headBytes; // an unfinished request head, counted against the listener's cap
    qsizetype m_clientInPos = 0;
    QHostAddress m_peer; // the client, as the worker was told (hash algorithms key on it)
    QByteArray m_clientAddress;
    const bool m_clientTls; // the client's bytes arrive through a TlsTerminator
    Phase m_phase = Phase::Idle;
    bool m_firstRequest = true;
    bool m_headerTimerArmed = false;
    bool m_processingInput = false; // processClientInput is on the stack

    // the current exchange
    http::HttpHead m_request;
    bool m_requestComplete = false;
    bool m_idempotent = true;
    bool m_clientKeepAlive = true;
    http::NextHopFraming m_upFraming = http::NextHopFraming::None;
    AttemptTrail m_trail;
    QString m_traceToken; // X-Lab-Trace of the current request
    StepHold m_hold = StepHold::None;
    bool m_sampled = false; // this exchange goes into the trace (decided at its start): picks explain
    QString m_stickyName; // the backend the request's sticky cookie names
    AttemptTicket m_nextAttempt; // picked while a retried status is discarded, taken up by attemptFailed
    int m_finalStatus = 0;
    QElapsedTimer m_exchangeTimer;
    // Step mode: when the hold began and how long it lasted, on m_exchangeTimer. The user's time, not the
    // proxy's: it stays out of the latency histogram (the window's latency chart), and a request the
    // hold limit answered is left out of it entirely (it never reached a backend).
    qint64 m_holdStartNs = 0;
    qint64 m_heldNs = 0;
};

} // namespace lab
