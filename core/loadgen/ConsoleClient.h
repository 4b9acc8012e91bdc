#pragma once

#include "http/HttpMessage.h"

#include <QHostAddress>
#include <QObject>

class QThread;

namespace lab {

class ConsoleExchange;

// One request typed by a person in the window's request console.
struct ConsoleRequest {
    QHostAddress address = QHostAddress::LocalHost;
    quint16 port = 8000;
    QByteArray method = "GET";
    QByteArray path = "/";
    QList<http::HttpHeader> headers; // extra headers; Host, Content-Length and Connection are set here
    QByteArray body;
    int timeoutMs = 30'000;

    // Parses "Name: value" lines; false with a sentence naming the bad line in *error.
    static bool parseHeaders(const QString& text, QList<http::HttpHeader>* out, QString* error);
};

struct ConsoleResponse {
    quint64 id = 0;
    QString token; // the X-Lab-Trace value sent, to find the proxy's trace of this request
    QString error; // empty when a response arrived
    int status = 0;
    QByteArray reason;
    QList<http::HttpHeader> headers;
    QByteArray body; // at most kMaxBody bytes kept
    qint64 bodyBytes = 0;
    double elapsedMs = 0;
    QString servedBy; // X-Served-By

    static constexpr qsizetype kMaxBody = 1024 * 1024;
};

// Sends console requests through the proxy from a thread of its own (the window owns no data-path
// socket), one connection per request, and reports each answer with finished(). Each request carries
// X-Lab-Trace so the proxy always records it in its trace, attempts chain included.
class ConsoleClient final : public QObject {
    Q_OBJECT
public:
    explicit ConsoleClient(QObject* parent = nullptr);
    ~ConsoleClient() override;
    Q_DISABLE_COPY_MOVE(ConsoleClient)

    // Returns the request's id (also in the response).
    quint64 send(const ConsoleRequest& request);

Q_SIGNALS:
    void finished(const lab::ConsoleResponse& response);

private:
    QThread* m_thread;
    QObject* m_home; // lives on m_thread; parent of the exchanges
    quint64 m_nextId = 0;
};

} // namespace lab

Q_DECLARE_METATYPE(lab::ConsoleResponse)
