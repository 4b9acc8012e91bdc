#pragma once

#include "FaultProfile.h"
#include "http/HttpParser.h"

#include <QObject>

class QTcpSocket;
class QTimer;

namespace lab {

class FakeBackend;

// One client connection of a fake backend. Requests are answered strictly one at a time, in order: the
// parser is not fed past a request until its answer is written, so pipelined requests stay queued in the
// socket buffer and keep-alive connections behave like a real server's.
class FakeBackendConnection final : public QObject, private http::HttpParserHandler {
    Q_OBJECT
public:
    FakeBackendConnection(qintptr socketDescriptor, FakeBackend* backend, QObject* parent);
    ~FakeBackendConnection() override;
    Q_DISABLE_COPY_MOVE(FakeBackendConnection)

    bool isValid() const;
    void abort();

private:
    enum class Verdict { Answer, Health, NotFound, InjectedError, OverCapacity, Hang };

    bool onHead(http::HttpHead& head) override;
    void onBody(QByteArrayView data) override;
    void onMessageComplete() override;

    void processInput();
    void respond();
    void writeResponse(int status, const QByteArray& body);
    void writeParseError();

    FakeBackend* m_backend;
    QTcpSocket* m_socket;
    QTimer* m_delay;
    http::HttpParser m_parser;
    QByteArray m_input;

    // the request being answered
    http::HttpHead m_head;
    QByteArray m_body;
    FaultProfile m_faults;
    Verdict m_verdict = Verdict::Answer;
    bool m_counted = false; // counted in activeRequests
    bool m_busy = false; // a complete request is waiting for its answer
    bool m_registered = false; // counted in activeConnections
};

} // namespace lab
