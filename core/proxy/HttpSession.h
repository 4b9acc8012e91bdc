#pragma once

#include "ConnectionGate.h"
#include "backend/BackendPool.h"
#include "http/HeaderRules.h"
#include "http/HttpParser.h"
#include "proxy/ProxySettings.h"

#include <QElapsedTimer>
#include <QObject>
#include <QVarLengthArray>

class QTcpSocket;
class QTimer;

namespace lab {

class ProxyWorker;
struct TrafficCounters;

// One client connection through the proxy, on one worker thread. Owns the client socket and, during an
// exchange, one upstream socket (fresh or from the worker's keep-alive pool).
//
// Requests are handled one at a time in arrival order (pipelined ones wait in the socket buffer), and
// bodies stream both ways with backpressure: the proxy stops reading one side while the other side has
// more than kHighWaterBytes unsent. A request's first kReplayBytes are kept so that it can be replayed
// on another backend after a failure that happened before any response byte reached the client
// (cascading failover); past that it is streamed and no longer retried.
class HttpSession final : public QObject, private http::HttpParserHandler {
    Q_OBJECT
public:
    static constexpr qsizetype kHighWaterBytes = 256 * 1024;
    static constexpr qsizetype kReplayBytes = 1024 * 1024;

    HttpSession(qintptr socketDescriptor, ProxyWorker* worker);
    ~HttpSession() override;
    Q_DISABLE_COPY_MOVE(HttpSession)

private:
    enum class Failure { ConnectRefused, ConnectTimeout, Reset, ResponseTimeout, BadResponse, Status };
    class ResponseHandler;
    friend class ResponseHandler;

    // client side
    void processClientInput();
    bool wantClientInput() const;
    void onClientBytesWritten();
    void onClientGone();
    void onClientTimer();
    void armIdleTimer();
    bool onHead(http::HttpHead& head) override;
    void onBody(QByteArrayView data) override;
    void onMessageComplete() override;
    void rejectRequest(int status, const QByteArray& reason, const QByteArray& extraHeaders = {});

    // upstream side
    void startAttempt();
    void connectTo(AttemptTicket attempt);
    void onUpstreamConnected();
    void onUpstreamError();
    void onUpstreamEnded();
    void onUpstreamReadyRead();
    void onUpstreamBytesWritten();
    void processUpstreamInput();
    void onUpstreamTimer();
    void appendRequestBytes(QByteArrayView bytes);
    void flushReplay();
    void failAttempt(Failure failure, const QString& reason);
    bool mayReplay() const;
    void releaseUpstream(bool reusable);
    void onResponseHead(http::HttpHead& head);
    void onResponseBody(QByteArrayView data);
    void onResponseComplete();
    void onResponseFinished(bool reusable);

    // ending
    void sendProxyError(int status, const QByteArray& json, const QByteArray& extraHeaders = {});
    void finishExchange(int status);
    void writeClient(QByteArrayView bytes);
    void closeClientAfterFlush();
    void logAndTrace(int status);

    ProxyWorker* m_worker;
    std::shared_ptr<const ProxySettings> m_settingsRef; // refreshed per exchange: settings change live
    const ProxySettings* m_settings;
    QTcpSocket* m_client;
    QTimer* m_clientTimer;
    QTimer* m_upstreamTimer;
    http::HttpParser m_requestParser;
    std::unique_ptr<ResponseHandler> m_responseHandler;
    http::HttpParser m_responseParser;
    QByteArray m_clientIn;
    ConnectionGate::HeadReservation m_headBytes; // an unfinished request head, counted against the listener's cap
    qsizetype m_clientInPos = 0;
    QByteArray m_clientAddress;
    bool m_closing = false;
    bool m_firstRequest = true;
    bool m_headerTimerArmed = false;
    bool m_processingInput = false; // processClientInput is on the stack

    // the current exchange
    bool m_inExchange = false;
    http::HttpHead m_request;
    bool m_requestComplete = false;
    bool m_idempotent = true;
    bool m_clientKeepAlive = true;
    http::NextHopFraming m_upFraming = http::NextHopFraming::None;
    QByteArray m_replay; // request bytes as sent upstream (head + framed body), while replayable
    qsizetype m_replaySent = 0;
    bool m_replayOverflow = false;
    QVarLengthArray<int, 8> m_tried;
    QString m_attempts;
    QString m_traceToken; // X-Lab-Trace of the current request
    bool m_sampled = false; // this exchange goes into the trace (decided at its start)
    QString m_why; // the balancer's explanations, one per pick (sampled exchanges only)
    QString m_stickyName; // the backend the request's sticky cookie names
    AttemptTicket pickBackend();
    void explain(const QString& text);
    int m_attemptCount = 0;
    AttemptTicket m_attempt; // the current attempt's outcome goes here, exactly once (abandoned if none)
    BackendPtr m_backend;
    QTcpSocket* m_upstream = nullptr;
    bool m_upstreamConnected = false;
    bool m_upstreamFromPool = false;
    bool m_upstreamBytesSeen = false;
    bool m_upstreamEnded = false; // the backend closed; its last bytes still wait for a slow client
    bool m_responseStarted = false; // head sent to the client: no more retries
    http::HttpHead m_response;
    http::NextHopFraming m_downFraming = http::NextHopFraming::None;
    bool m_discardResponse = false; // a status we retry on: drop this response, go to m_nextAttempt
    int m_discardStatus = 0;
    AttemptTicket m_nextAttempt; // picked while discarding a response, taken up by failAttempt
    bool m_interimResponse = false;
    QByteArray m_badResponse; // why a response head was refused (an unasked-for 101)
    bool m_responseDone = false;
    int m_finalStatus = 0;
    QElapsedTimer m_exchangeTimer;
    QElapsedTimer m_attemptTimer;
};

} // namespace lab
