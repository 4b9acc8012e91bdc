#include "ProxySettings.h"

#include "ConnectionGate.h"
#include "config/TlsCredentials.h"

#include <QThread>

namespace lab {

namespace {

// The files' chain and key in the configuration every handshake on the listener uses.
std::shared_ptr<const QSslConfiguration> tlsConfiguration(const TlsConfig& tls, QString* problem)
{
    TlsCredentials credentials;
    if (!TlsCredentials::load(tls.cert, tls.key, &credentials, problem))
        return nullptr;
    return std::make_shared<const QSslConfiguration>(credentials.serverConfiguration());
}

} // namespace

RetryAvoid retryAvoidFromName(const QString& name)
{
    if (name == QLatin1String("previous"))
        return RetryAvoid::Previous;
    if (name == QLatin1String("none"))
        return RetryAvoid::None;
    return RetryAvoid::Tried;
}

ProxySettings ProxySettings::fromConfig(const LabConfig& c, const ListenerConfig& l)
{
    ProxySettings s;
    s.kind = l.kind;
    s.address = QHostAddress(l.address);
    s.port = quint16(l.port);
    s.workers = c.proxy.workers > 0 ? c.proxy.workers : qMax(1, QThread::idealThreadCount());
    s.limits = {c.limits.maxRequestLineBytes, c.limits.maxHeadBytes, c.limits.maxHeaderCount};
    s.maxBodyBytes = c.limits.maxBodyBytes;
    s.timeouts = c.timeouts;
    s.retries = c.retry.retries;
    s.retryOnConnectFailure = c.retry.retryOn.contains(QLatin1String("connect-failure"));
    s.retryOnTimeout = c.retry.retryOn.contains(QLatin1String("timeout"));
    s.retryOn5xx = c.retry.retryOn.contains(QLatin1String("5xx"));
    s.retryOn404 = c.retry.retryOn.contains(QLatin1String("404"));
    s.retryNonIdempotent = c.retry.retryNonIdempotent;
    s.retryAvoid = retryAvoidFromName(c.retry.avoid);
    s.addServedBy = c.proxy.addServedBy;
    s.stickyCookie = c.sticky.enabled ? c.sticky.cookie.toLatin1() : QByteArray();
    s.rateLimit = c.rateLimit;
    s.accessLog = c.proxy.accessLog;
    s.underscoresInHeaders = c.proxy.underscoresInHeaders;
    s.upstreamMaxIdlePerBackend = c.proxy.upstreamMaxIdlePerBackend;
    s.upstreamIdleMs = c.proxy.upstreamIdleMs;
    s.tcpIdleMs = c.timeouts.tcpIdleMs;
    s.listenBacklog = c.proxy.listenBacklog;
    // Every listener of the lab shares the process's descriptors.
    s.maxConnections = c.proxy.maxConnections > 0 ? c.proxy.maxConnections
                                                  : defaultMaxConnections(descriptorLimit(), int(c.listeners.size()));
    s.maxConnectionsPerClient = c.proxy.maxConnectionsPerClient;
    s.maxHeadBufferBytes = c.proxy.maxHeadBufferBytes;
    if (l.kind == ListenerKind::Http && l.tls.enabled())
        s.tls = tlsConfiguration(l.tls, &s.tlsProblem);
    return s;
}

} // namespace lab
