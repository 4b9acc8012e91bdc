#include "ScriptedBackend.h"

#include <QMutexLocker>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace lab::test {

ScriptedBackend::ScriptedBackend(std::function<Reply(const QByteArray&)> answer)
    : m_answer(std::move(answer))
{
    m_thread.start();
    m_server = new QTcpServer;
    m_server->moveToThread(&m_thread);
    QMetaObject::invokeMethod(
        m_server,
        [this] {
            m_server->listen(QHostAddress::LocalHost, 0);
            m_port = m_server->serverPort();
            QObject::connect(m_server, &QTcpServer::newConnection, m_server, [this] {
                while (QTcpSocket* s = m_server->nextPendingConnection()) {
                    ++m_connections;
                    auto buffer = std::make_shared<QByteArray>();
                    QObject::connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
                    QObject::connect(s, &QTcpSocket::readyRead, s, [this, s, buffer] {
                        buffer->append(s->readAll());
                        qsizetype end;
                        while ((end = buffer->indexOf("\r\n\r\n")) >= 0) {
                            const QByteArray head = buffer->left(end + 4);
                            buffer->remove(0, end + 4);
                            ++m_requests;
                            {
                                QMutexLocker lock(&m_mutex);
                                m_lastHead = head;
                            }
                            const Reply r = m_answer(head);
                            auto send = [s, r] {
                                s->write(r.bytes);
                                if (r.closeAfter)
                                    s->disconnectFromHost();
                            };
                            if (r.delayMs > 0)
                                QTimer::singleShot(r.delayMs, s, send);
                            else
                                send();
                        }
                    });
                }
            });
        },
        Qt::BlockingQueuedConnection);
}

ScriptedBackend::~ScriptedBackend()
{
    QMetaObject::invokeMethod(
        m_server, [this] { delete m_server; }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

QByteArray ScriptedBackend::lastHead() const
{
    QMutexLocker lock(&m_mutex);
    return m_lastHead;
}

} // namespace lab::test
