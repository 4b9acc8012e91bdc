#pragma once

#include "fakebackend/FaultProfile.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

namespace lab {

enum class ListenerKind { Http, Tcp };

// TLS termination on an HTTP listener: PEM files (config/TlsCredentials checks them). Both empty = plain.
struct TlsConfig {
    QString cert;
    QString key;
    bool enabled() const { return !cert.isEmpty(); }
    bool operator==(const TlsConfig&) const = default;
};

struct ListenerConfig {
    QString name;
    ListenerKind kind = ListenerKind::Http;
    QString address = QStringLiteral("127.0.0.1");
    int port = 8000; // 0 = any free port
    TlsConfig tls;
    bool operator==(const ListenerConfig&) const = default;
};

struct HealthConfig {
    bool enabled = true;
    QString type = QStringLiteral("http"); // http | tcp
    QString path = QStringLiteral("/health");
    int intervalMs = 2000;
    int timeoutMs = 1000;
    int rise = 2;
    int fall = 3;
    int expectStatusMin = 200;
    int expectStatusMax = 399;
    QString expectBody; // optional substring the body must contain
    int slowStartMs = 0; // after coming up, the share ramps from 10% to 100% over this long; 0 = off
    bool operator==(const HealthConfig&) const = default;
};

// What an operator configures about a backend. Live state (health, counters) lives elsewhere.
struct BackendConfig {
    QString name;
    QString host = QStringLiteral("127.0.0.1");
    int port = 0; // 0 only for embedded backends: any free port
    int weight = 1;
    bool embedded = false; // started in-process by the lab (fake backend) rather than reached over the network
    FaultProfile faults; // applies to embedded backends
    std::optional<HealthConfig> health; // this backend's own active-check settings (else the lab's)
    bool operator==(const BackendConfig&) const = default;
};

// Passive checks on real traffic (Envoy's outlier detection): consecutive failures eject a backend.
struct OutlierConfig {
    bool enabled = true;
    int consecutiveFailures = 5; // refused, reset, timeout or 5xx in a row
    int baseEjectionMs = 30'000; // ejected for base x number of ejections so far
    int maxEjectionMs = 300'000;
    int maxEjectionPercent = 50; // never eject more than this share of the pool
    bool operator==(const OutlierConfig&) const = default;
};

// Per-backend circuit breaker: closed -> open on a high failure ratio, open -> half-open after openMs,
// half-open -> closed after halfOpenRequests successes (any failure opens it again).
struct BreakerConfig {
    bool enabled = true;
    int windowMs = 10'000;
    int minRequests = 20;
    int failurePercent = 50;
    int openMs = 10'000;
    int halfOpenRequests = 3;
    bool operator==(const BreakerConfig&) const = default;
};

struct RetryConfig {
    int retries = 2; // extra attempts on other backends
    QStringList retryOn = {QStringLiteral("connect-failure"), QStringLiteral("timeout")};
    bool retryNonIdempotent = false;
    // Which backends a retry may not pick (retryAvoidRules()): "tried" = none this request already tried
    // (nginx's proxy_next_upstream), "previous" = only the one the last attempt failed on (HAProxy's
    // option redispatch), "none" = the balancer picks freely (Envoy without a retry host predicate).
    QString avoid = QStringLiteral("tried");
    bool operator==(const RetryConfig&) const = default;
};

struct LimitsConfig {
    int maxRequestLineBytes = 8 * 1024;
    int maxHeadBytes = 64 * 1024;
    int maxHeaderCount = 100;
    qint64 maxBodyBytes = 0; // 0 = unlimited (bodies stream, so this is policy, not memory)
    bool operator==(const LimitsConfig&) const = default;
};

struct TimeoutsConfig {
    int connectMs = 2000;
    int upstreamResponseMs = 30000;
    int clientIdleMs = 60000;
    int headerReadMs = 10000;
    int tcpIdleMs = 3'600'000; // TCP listeners: a relay with no bytes either way for this long is closed
    bool operator==(const TimeoutsConfig&) const = default;
};

struct ProxyConfig {
    int workers = 0; // 0 = one per CPU core
    bool addServedBy = true;
    bool accessLog = false;
    // Forward request header fields whose name contains '_'. Off (default): they are dropped, because a
    // backend may read Transfer_Encoding as Transfer-Encoding (see http::removeHeadersWithUnderscore).
    bool underscoresInHeaders = false;
    int upstreamMaxIdlePerBackend = 32; // per worker
    int upstreamIdleMs = 30000;
    int listenBacklog = 0; // 0 = the system's maximum (net.core.somaxconn)
    int maxConnections = 0; // per listener; 0 = derived from the descriptor limit
    int maxConnectionsPerClient = 0; // per listener and client address; 0 = none
    qint64 maxHeadBufferBytes = 64 * 1024 * 1024; // unfinished request heads held at once; 0 = no cap
    bool operator==(const ProxyConfig&) const = default;
};

// Sticky sessions: a mode on top of any algorithm. The first response sets a cookie naming the
// backend; later requests carrying it go to that backend while it is eligible.
struct StickyConfig {
    bool enabled = false;
    QString cookie = QStringLiteral("LABSRV");
    bool operator==(const StickyConfig&) const = default;
};

// The traffic generator's settings as a lab saves them (the window's Traffic tab), so a saved lab replays
// the same workload. users 0 or 1 is the single client; 2 and more are simulated users, each from its own
// loopback address with its own cookies (loadgen/UserTraffic.h). Only the generator reads it: the proxy
// never does.
struct TrafficConfig {
    int connections = 10;
    int ratePerSecond = 200; // 0: as fast as the connections go (the window has always opened at 200)
    int durationS = 30;
    QString method = QStringLiteral("GET");
    QString path = QStringLiteral("/");
    int users = 0;
    QString pathTemplate; // "/item/{1..100}"; empty: path
    QString arrival = QStringLiteral("constant"); // constant, poisson, bursts
    int burstSize = 10;
    int thinkMs = 0;
    int seed = 1;
    // Simulated users (UserSpec): their own cookie jars, an X-Lab-User header, their own 127.0.0.x address.
    bool cookies = true;
    bool userHeader = true;
    bool ownAddresses = true;
    bool operator==(const TrafficConfig&) const = default;
};

// Per-client token bucket on HTTP listeners (proxy/RateLimiter): each key may send `burst` requests at
// once and `requestsPerSecond` on average; past that the proxy answers 429 itself. The key is the client
// address ("client") or a request header's value ("header:NAME"; a request without it is keyed by its
// address).
struct RateLimitConfig {
    double requestsPerSecond = 0; // 0 = off
    int burst = 0; // 0 = one second's worth (requestsPerSecond rounded up, at least 1)
    QString key = QStringLiteral("client");
    bool enabled() const { return requestsPerSecond > 0; }
    int effectiveBurst() const;
    bool operator==(const RateLimitConfig&) const = default;
};
// What is wrong with a rate-limit key ("client" or "header:NAME"), or empty when it is fine.
QString rateLimitKeyProblem(const QString& key);
// "RPS[,BURST]" as `serve --rate-limit` takes it (the key stays as it is in *out). False with what is
// allowed in *error (the schema's ranges).
bool parseRateLimitSpec(const QString& text, RateLimitConfig* out, QString* error);

// The admin API (core/admin: JSON state and operations, Prometheus /metrics). `serve` runs it only when
// enabled (or given --admin); the window always runs one, here when enabled, else on a free loopback port.
// The address is loopback unless written here or on the command line: the API has no authentication, so
// an address that reaches other hosts must be an operator's explicit choice (docs/admin.md).
struct AdminConfig {
    bool enabled = false;
    QString address = QStringLiteral("127.0.0.1");
    int port = 9901; // 0 = any free port
    bool operator==(const AdminConfig&) const = default;
};

// A whole lab: what `balancer-lab --config FILE` loads and the window's File > Save writes.
struct LabConfig {
    QString algorithm = QStringLiteral("round-robin");
    QString hashKey = QStringLiteral("client"); // ring-hash / maglev key: client, path, header:NAME, cookie:NAME
    StickyConfig sticky;
    QList<ListenerConfig> listeners;
    QList<BackendConfig> backends;
    HealthConfig health;
    OutlierConfig outlier;
    BreakerConfig breaker;
    RetryConfig retry;
    LimitsConfig limits;
    TimeoutsConfig timeouts;
    ProxyConfig proxy;
    TrafficConfig traffic;
    RateLimitConfig rateLimit;
    AdminConfig admin;
    bool operator==(const LabConfig&) const = default;

    // Proxy on 127.0.0.1:8000, embedded backend-8001..8003 on 8001-8003, round robin.
    static LabConfig defaultLab();
    // The active-check settings that apply to a backend (its own, or the lab's).
    HealthConfig healthFor(const BackendConfig& b) const { return b.health.value_or(health); }
};

struct LabConfigResult {
    LabConfig config;
    QString error; // empty when ok; else one line per problem: "<file>: <json path>: <what is allowed>"
    bool ok() const { return error.isEmpty(); }
};

// Algorithm names and the hash-key grammar are not here: balancing/Registry.h (algorithmNames()) and
// HashKeySpec::parse() / problem() are the only sources, and the schema reads them.
bool validCookieName(const QString& name);
// Where an external backend may live: an IP address, or a host name of letters, digits, '-' (and '_',
// which container and internal names use) in dot-separated labels of 1-63 characters. No spaces.
bool validBackendHost(const QString& host);

struct HostPort {
    QString host;
    int port = 0;
};
// "HOST:PORT" as the command line and the window take an address: the port after the last ':' (an integer
// from 0 to 65535), the host before it, without the brackets of "[::1]:8000". Nothing when there is no
// host, no ':' or no such port. What the host must be, and whether port 0 will do, the caller decides.
std::optional<HostPort> parseHostPort(const QString& text);
QStringList knownRetryConditions();
QStringList retryAvoidRules(); // "tried", "previous", "none"

LabConfigResult parseLabConfig(const QByteArray& json, const QString& sourceName);
// What `balancer-lab serve` needs beyond a valid config: at least one listener and one backend. The window
// opens a lab without backends (one is added with + Embedded backend, and File > Save writes such a lab),
// so this is checked where a lab is served, after the command line's overrides. One line per problem,
// "<json path>: <what is needed>"; empty when the lab can serve.
QStringList problemsForServing(const LabConfig& config);
LabConfigResult loadLabConfig(const QString& fileName);
QByteArray labConfigToJson(const LabConfig& config);
bool saveLabConfig(const LabConfig& config, const QString& fileName, QString* error);

} // namespace lab
