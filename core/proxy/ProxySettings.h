#pragma once

#include "config/LabConfig.h"
#include "http/HttpParser.h"

#include <QHostAddress>
#include <QSslConfiguration>
#include <memory>

namespace lab {

// Which backends a retry may not pick (the config's retry.avoid): every one this request tried, only the
// one the last attempt failed on, or none. Under Previous (HAProxy's rule) the avoided backend keeps its
// turn in round robin and weighted round robin, and the retry uses it up (PickContext::avoidedKeepTheirTurn);
// under Tried (nginx's) the tried ones are simply out of the pick.
enum class RetryAvoid { Tried, Previous, None };
RetryAvoid retryAvoidFromName(const QString& name); // an unknown name is Tried (the config rejects it first)

// Everything a proxy listener needs to know, fixed for its lifetime, shared read-only by its workers.
struct ProxySettings {
    ListenerKind kind = ListenerKind::Http;
    QHostAddress address = QHostAddress::LocalHost;
    quint16 port = 8000;
    int workers = 0; // 0 = one per core
    http::HttpLimits limits;
    qint64 maxBodyBytes = 0;
    TimeoutsConfig timeouts;
    int retries = 2;
    bool retryOnConnectFailure = true;
    bool retryOnTimeout = true;
    bool retryOn5xx = false;
    bool retryOn404 = false;
    bool retryNonIdempotent = false;
    RetryAvoid retryAvoid = RetryAvoid::Tried;
    bool addServedBy = true;
    RateLimitConfig rateLimit; // live: the proxy's RateLimiter is reconfigured by updateSettings
    QByteArray stickyCookie; // cookie name for sticky sessions; empty = off
    bool accessLog = false;
    bool underscoresInHeaders = false; // forward request header names with '_' (off: dropped, as nginx does)
    int upstreamMaxIdlePerBackend = 32;
    int upstreamIdleMs = 30000;
    int tcpIdleMs = 3'600'000; // a TCP relay with no bytes either way for this long is closed
    // Fixed at construction, like the limits above:
    int listenBacklog = 0; // 0 = the system's maximum (net.core.somaxconn)
    int maxConnections = 0; // 0 = derived from RLIMIT_NOFILE (see defaultMaxConnections)
    int maxConnectionsPerClient = 0; // 0 = no per-client cap
    qint64 maxHeadBufferBytes = 64 * 1024 * 1024; // unfinished request heads of all connections; 0 = no cap
    // TLS termination (the listener's "tls"): the certificate, key, protocols and ALPN every handshake uses;
    // null for plain HTTP. A listener whose files no longer load has tlsProblem instead, and Proxy refuses
    // to listen (or to take these settings) with it rather than serve plaintext on an https port.
    std::shared_ptr<const QSslConfiguration> tls;
    QString tlsProblem;

    static ProxySettings fromConfig(const LabConfig& config, const ListenerConfig& listener);
};

} // namespace lab
