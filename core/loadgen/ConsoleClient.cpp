#include "ConsoleClient.h"

#include "http/HttpParser.h"

#include <QElapsedTimer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>

namespace lab {

bool ConsoleRequest::parseHeaders(const QString& text, QList<http::HttpHeader>* out, QString* error)
{
    out->clear();
    const QStringList lines = text.split(QLatin1Char('\n'));
    for (int i = 0; i < lines.size(); ++i) {
        const QString line = lines[i].trimmed();
        if (line.isEmpty())
            continue;
        const qsizetype colon = line.indexOf(QLatin1Char(':'));
        const QString name = colon > 0 ? line.left(colon).trimmed() : QString();
        static const QString tokenChars = QStringLiteral("!#$%&'*+-.^_`|~");
        bool validName = !name.isEmpty();
        for (QChar c : name)
            validName = validName && c.unicode() < 128 && (c.isLetterOrNumber() || tokenChars.contains(c));
        if (!validName) {
            *error = QStringLiteral(
                         "header line %1 (\"%2\"): expected Name: value, with a name made of letters, digits and -")
                         .arg(i + 1)
                         .arg(line);
            return false;
        }
        out->append({name.toLatin1(), line.mid(colon + 1).trimmed().toUtf8()});
    }
    return true;
}

// One request on one connection, on the console thread.
class ConsoleExchange final : public QObject, private http::HttpParserHandler {
public:
    ConsoleExchange(ConsoleClient* owner, QObject* home, ConsoleRequest request, ConsoleResponse response)
        : QObject(home)
        , m_owner(owner)
        , m_request(std::move(request))
        , m_response(std::move(response))
        , m_socket(new QTcpSocket(this))
        , m_parser(http::HttpParser::Kind::Response, this)
    {
        auto* timeout = new QTimer(this);
        timeout->setSingleShot(true);
        connect(timeout, &QTimer::timeout, this,
                [this] { done(QStringLiteral("no complete response within %1 ms").arg(m_request.timeoutMs)); });
        timeout->start(m_request.timeoutMs);
        connect(m_socket, &QTcpSocket::connected, this, &ConsoleExchange::sendRequest);
        connect(m_socket, &QTcpSocket::readyRead, this, &ConsoleExchange::onReadyRead);
        connect(m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
            if (e == QAbstractSocket::RemoteHostClosedError) {
                onReadyRead();
                if (m_parser.finish() && m_finished)
                    return;
                done(QStringLiteral("the proxy closed the connection before the response was complete"));
                return;
            }
            done(QStringLiteral("cannot reach the proxy at %1:%2: %3")
                     .arg(m_request.address.toString())
                     .arg(m_request.port)
                     .arg(m_socket->errorString()));
        });
        m_parser.setNextResponseHasNoBody(m_request.method == "HEAD");
        m_clock.start();
        m_socket->connectToHost(m_request.address, m_request.port);
    }

private:
    void sendRequest()
    {
        QByteArray head = m_request.method + ' ' + m_request.path +
            " HTTP/1.1\r\nHost: " + m_request.address.toString().toLatin1() + ':' + QByteArray::number(m_request.port) +
            "\r\n";
        for (const http::HttpHeader& h : std::as_const(m_request.headers)) {
            if (h.name.compare("Host", Qt::CaseInsensitive) == 0 ||
                h.name.compare("Content-Length", Qt::CaseInsensitive) == 0 ||
                h.name.compare("Connection", Qt::CaseInsensitive) == 0 ||
                h.name.compare("Transfer-Encoding", Qt::CaseInsensitive) == 0)
                continue;
            head += h.name + ": " + h.value + "\r\n";
        }
        head += "X-Lab-Trace: " + m_response.token.toLatin1() + "\r\nX-Lab-Client: console\r\nConnection: close\r\n";
        if (!m_request.body.isEmpty() || m_request.method == "POST" || m_request.method == "PUT" ||
            m_request.method == "PATCH")
            head += "Content-Length: " + QByteArray::number(m_request.body.size()) + "\r\n";
        m_socket->write(head + "\r\n" + m_request.body);
    }

    void onReadyRead()
    {
        const QByteArray data = m_socket->readAll();
        qsizetype pos = 0;
        while (pos < data.size() && !m_finished) {
            const qsizetype n = m_parser.feed(QByteArrayView(data).sliced(pos));
            if (n < 0) {
                done(QStringLiteral("unreadable response: %1").arg(QString::fromLatin1(m_parser.error().reason)));
                return;
            }
            pos += n;
        }
    }

    bool onHead(http::HttpHead& head) override
    {
        if (head.statusCode < 200)
            return true; // interim
        m_response.status = head.statusCode;
        m_response.reason = head.reason;
        m_response.headers = head.headers;
        m_response.servedBy = QString::fromUtf8(head.header("X-Served-By"));
        return true;
    }
    void onBody(QByteArrayView data) override
    {
        m_response.bodyBytes += data.size();
        const qsizetype room = ConsoleResponse::kMaxBody - m_response.body.size();
        if (room > 0)
            m_response.body.append(data.first(qMin(room, data.size())));
    }
    void onMessageComplete() override
    {
        if (m_response.status == 0)
            return; // end of an interim response
        m_finished = true;
        done({});
    }

    void done(const QString& error)
    {
        if (m_reported)
            return;
        m_reported = true;
        m_finished = true;
        m_response.error = error;
        m_response.elapsedMs = double(m_clock.nsecsElapsed()) / 1e6;
        m_socket->disconnect(this);
        m_socket->abort();
        Q_EMIT m_owner->finished(m_response);
        deleteLater();
    }

    ConsoleClient* m_owner;
    ConsoleRequest m_request;
    ConsoleResponse m_response;
    QTcpSocket* m_socket;
    http::HttpParser m_parser;
    QElapsedTimer m_clock;
    bool m_finished = false;
    bool m_reported = false;
};

ConsoleClient::ConsoleClient(QObject* parent)
    : QObject(parent)
    , m_thread(new QThread)
    , m_home(new QObject)
{
    qRegisterMetaType<ConsoleResponse>();
    m_thread->setObjectName(QStringLiteral("request console"));
    m_home->moveToThread(m_thread);
    m_thread->start();
}

ConsoleClient::~ConsoleClient()
{
    QObject* home = m_home;
    QMetaObject::invokeMethod(
        home, [home] { delete home; }, Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
}

quint64 ConsoleClient::send(const ConsoleRequest& request)
{
    ConsoleResponse response;
    response.id = ++m_nextId;
    response.token = QStringLiteral("console-%1-%2").arg(quintptr(this), 0, 16).arg(response.id);
    QObject* home = m_home;
    QMetaObject::invokeMethod(
        home, [this, home, request, response] { new ConsoleExchange(this, home, request, response); },
        Qt::QueuedConnection);
    return response.id;
}

} // namespace lab
