#pragma once

#include <QByteArray>
#include <QMutex>
#include <QThread>
#include <atomic>
#include <functional>

class QTcpServer;

namespace lab::test {

// A raw TCP backend on its own thread for protocol edge cases: after each request head (blank line) it
// sends the bytes `answer` returns (then closes if closeAfter). It never parses bodies: use it with
// bodiless requests. Counts connections and requests.
class ScriptedBackend final {
public:
    struct Reply {
        QByteArray bytes;
        bool closeAfter = false;
        int delayMs = 0;
    };
    explicit ScriptedBackend(std::function<Reply(const QByteArray& head)> answer);
    ~ScriptedBackend();
    quint16 port() const { return m_port; }
    int connections() const { return m_connections.load(); }
    int requests() const { return m_requests.load(); }
    QByteArray lastHead() const;

private:
    QThread m_thread;
    QTcpServer* m_server = nullptr;
    quint16 m_port = 0;
    std::function<Reply(const QByteArray&)> m_answer;
    std::atomic<int> m_connections{0};
    std::atomic<int> m_requests{0};
    mutable QMutex m_mutex;
    QByteArray m_lastHead;
};

} // namespace lab::test
