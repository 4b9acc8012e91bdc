#pragma once

#include "FaultProfile.h"
#include "http/HttpParser.h"

#include <QElapsedTimer>
#include <QObject>

class QTcpSocket;
class QTimer;

namespace lab {

class FakeBackend;

// One client connection of a fake backend. Requests are answered strictly one at a time, in order: the
// parser is not fed past a request until its answer is written, so pipelined requests stay queued in the
// socket buffer and keep-alive connections behave like a real server's. A request passes through the
// backend's ServiceQueue (wait for a worker, hold it for the service time) and then its latency, all on
// timers of the backend's thread: nothing ever sleeps.
class FakeBackendConnection final : public QObject, private http::HttpParserHandler {
    Q_OBJECT
public:
    FakeBackendConnection(qintptr socketDescriptor, FakeBackend* backend, QObject* parent);
    ~FakeBackendConnection() override;
    Q_DISABLE_COPY_MOVE(FakeBackendConnection)

    bool isValid() const;
    void abort();
    // Called by the ServiceQueue when this connection's waiting request gets a worker. lateMs: how late
    // the worker's previous service ended (ServiceQueue::release); this one starts that much "earlier".
    void beginService(double lateMs = 0);

private:
    enum class Verdict { Answer, Health, NotFound, InjectedError, OverCapacity, QueueFull, BadCost, Hang };
    // Where the request being answered is; Idle while reading the next one.
    enum class Phase { Idle, Waiting, InService, Delaying, Hanging };

    bool onHead(http::HttpHead& head) override;
    void onBody(QByteArrayView data) override;
    void onMessageComplete() override;

    void processInput();
    bool readCost(const QByteArray& value); // the X-Lab-Cost-Ms header: false when it is no valid ms
    void endService();
    void startDelay();
    void respond();
    void writeResponse(int status, const QByteArray& body);
    void writeParseError();

    FakeBackend* m_backend;
    QTcpSocket* m_socket;
    QTimer* m_service; // the request's service time, holding a worker
    QTimer* m_delay; // latency + jitter, holding none
    http::HttpParser m_parser;
    QByteArray m_input;

    // the request being answered
    http::HttpHead m_head;
    QByteArray m_body;
    FaultProfile m_faults;
    Verdict m_verdict = Verdict::Answer;
    Phase m_phase = Phase::Idle;
    double m_serviceMs = 0; // this request's service time
    // For the X-Lab-Wait-Ms answer header: the time in the queue, on the backend's clock.
    QElapsedTimer m_phaseClock;
    double m_waitedMs = 0;
    double m_serviceStartMs = 0; // on m_phaseClock: when this request's service began (or was due to)
    bool m_timed = false; // the capacity model was on for this request: the answer says its wait and service
    QByteArray m_badCost; // the X-Lab-Cost-Ms value that is no number of ms
    bool m_counted = false; // counted in activeRequests
    bool m_busy = false; // a complete request is waiting for its answer
    bool m_registered = false; // counted in activeConnections
};

} // namespace lab
