#pragma once

#include "AdminApi.h"

#include <QHostAddress>
#include <QObject>
#include <QString>

class QTcpServer;

namespace lab {

class Lab;
class AdminConnection;

// The admin listener: HTTP/1.1 on its own port, answering AdminApi's routes (JSON and Prometheus
// /metrics). It runs on the lab's thread and calls the lab directly, like the window does; it reads
// only snapshots and the pool's atomics, never a data-path socket, so a scrape costs the proxy nothing
// but the shard sums a window refresh also costs.
//
// Strict and small: requests are parsed by http::HttpParser and checked by checkAndNormalizeRequest (the
// proxy's own rules: one Host, no CONNECT, no ambiguous framing); heads are capped at 16 KiB and bodies at
// kMaxBodyBytes (413 past it); at most kMaxConnections are open at once (more are closed at accept), and a
// connection idle for kIdleMs is closed. Keep-alive and pipelining are honoured one request at a time.
//
// Where it listens is the caller's choice (serve's --admin or the config's "admin", the window's free
// loopback port); listen() refuses nothing that is an IP address, so keeping it on loopback unless an
// operator wrote another address is the callers' rule (app/AdminOption, docs/admin.md).
class AdminServer final : public QObject {
    Q_OBJECT
public:
    static constexpr int kMaxConnections = 32;
    static constexpr int kIdleMs = 30'000;
    static constexpr qsizetype kMaxBodyBytes = 64 * 1024;

    explicit AdminServer(Lab& lab, QObject* parent = nullptr);
    ~AdminServer() override;
    Q_DISABLE_COPY_MOVE(AdminServer)

    // Listens on address:port (0: any free port). False with a sentence naming the address in *error.
    bool listen(const QString& address, int port, QString* error);
    void close();
    bool isListening() const;
    QHostAddress address() const;
    quint16 port() const;
    // "http://127.0.0.1:9901" ("[::1]" for IPv6); empty when not listening.
    QString url() const;
    int openConnections() const { return m_open; }
    AdminApi& api() { return m_api; }

private:
    friend class AdminConnection;
    void onNewConnection();
    void connectionClosed() { --m_open; }

    QTcpServer* m_server;
    AdminApi m_api;
    int m_open = 0;
};

} // namespace lab
