#pragma once

#include "http/HttpMessage.h"

#include <QByteArray>
#include <QList>
#include <QMutex>
#include <QThread>
#include <atomic>

class QTcpServer;

namespace lab::test {

// A backend on its own thread that records what reaches it: every byte, and each complete request as
// its own parser read it (head and decoded body). Answers each request "200 ok" with Content-Length.
// For tests that ask "what did the backend see?", and "did anything reach it at all?".
class RecordingBackend final {
public:
    struct Request {
        http::HttpHead head;
        QByteArray body;
    };

    RecordingBackend();
    ~RecordingBackend();
    Q_DISABLE_COPY_MOVE(RecordingBackend)

    quint16 port() const { return m_port; }
    int connections() const { return m_connections.load(); }
    QByteArray received() const; // every byte, all connections, in arrival order
    QList<Request> requests() const;

private:
    class Connection;
    void record(QByteArrayView bytes);
    void record(Request request);

    QThread m_thread;
    QTcpServer* m_server = nullptr;
    quint16 m_port = 0;
    std::atomic<int> m_connections{0};
    mutable QMutex m_mutex;
    QByteArray m_received;
    QList<Request> m_requests;
};

} // namespace lab::test
