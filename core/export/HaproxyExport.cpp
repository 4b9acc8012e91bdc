// The HAProxy writer (2.6, Debian 12). One frontend per listener, one backend per listener kind (http,
// tcp) holding every lab backend as a server. Checked by `haproxy -c -f` in tst_configexport for every
// built-in lesson's lab and every algorithm.
#include "ConfigExport.h"
#include "ExportText.h"

#include <algorithm>
#include <cmath>

namespace lab {

using exporting::ExportText;

namespace {

constexpr int kHaproxyMaxWeight = 256;

// HAProxy's `random` and `random(2)` draw from the consistent-hash tree (lb_chash.c), where a server gets
// 16 points per unit of weight: with weight 1 three servers hold 48 points on a 32-bit ring and their
// shares are far from even. The HAProxy list's note on it ("with the default weight of 1, each server only
// gets 16 points on the ring ... the same higher weight for all servers, such as 100, makes them almost
// even", haproxy@formilux.org msg47703) is why random exports scale weights up to the 256 maximum.
bool drawsFromHashTree(const QString& algorithm)
{
    return algorithm == QLatin1String("random") || algorithm == QLatin1String("power-of-two-choices") ||
        algorithm == QLatin1String("ring-hash") || algorithm == QLatin1String("maglev");
}

// Lab weights (1..1000) as HAProxy weights (1..256), keeping the ratios: scaled down when the largest is
// over 256, and up as far as it goes for the algorithms that draw from the hash tree.
QList<int> haproxyWeights(const LabConfig& c, ExportText& out)
{
    QList<int> weights;
    if (c.algorithm == QLatin1String("round-robin")) {
        // The lab's round robin ignores weights (a, b, c, a, b, c); HAProxy's roundrobin would not.
        for (qsizetype i = 0; i < c.backends.size(); ++i)
            weights << 1;
        if (std::any_of(c.backends.begin(), c.backends.end(), [](const BackendConfig& b) { return b.weight != 1; }))
            out.comment(QStringLiteral("round-robin ignores weights in the lab: every server gets weight 1 here."), 4);
        return weights;
    }
    int maxWeight = 1;
    for (const BackendConfig& b : c.backends)
        maxWeight = std::max(maxWeight, b.weight);
    double factor = 1;
    if (maxWeight > kHaproxyMaxWeight)
        factor = double(kHaproxyMaxWeight) / maxWeight;
    else if (drawsFromHashTree(c.algorithm))
        factor = double(kHaproxyMaxWeight / maxWeight);
    bool rounded = false;
    for (const BackendConfig& b : c.backends) {
        const double exact = b.weight * factor;
        const int w = std::max(1, int(std::lround(exact)));
        rounded = rounded || std::abs(exact - w) > 1e-9;
        weights << w;
    }
    if (factor != 1)
        out.comment(QStringLiteral("weights scaled by %1 (HAProxy weights are 1..256%2).")
                        .arg(factor, 0, 'g', 4)
                        .arg(drawsFromHashTree(c.algorithm)
                                 ? QStringLiteral("; this algorithm draws from the consistent-hash tree, 16 "
                                                  "points per unit of weight, so higher weights spread evenly")
                                 : QString()),
                    4);
    if (rounded)
        out.warn(
            QStringLiteral("weights"),
            QStringLiteral("the largest lab weight is %1 and HAProxy allows 256: ratios are rounded").arg(maxWeight),
            4);
    return weights;
}

QString hashBalance(const LabConfig& c, bool tcp, ExportText& out)
{
    const HashKeySpec key = exporting::hashKeyFor(c, tcp, out);
    const QString name = QString::fromLatin1(key.name);
    switch (key.source) {
    case HashKeySpec::Source::Client: return QStringLiteral("source");
    case HashKeySpec::Source::Path: return QStringLiteral("uri");
    case HashKeySpec::Source::Header: return QStringLiteral("hdr(%1)").arg(name);
    case HashKeySpec::Source::Cookie: return QStringLiteral("hash req.cook(%1)").arg(name);
    }
    return QStringLiteral("source");
}

void writeBalance(const LabConfig& c, bool tcp, ExportText& out)
{
    const QString& a = c.algorithm;
    if (a == QLatin1String("round-robin") || a == QLatin1String("weighted-round-robin")) {
        out.line(QStringLiteral("    balance roundrobin"));
    } else if (a == QLatin1String("least-connections")) {
        out.line(QStringLiteral("    balance leastconn"));
    } else if (a == QLatin1String("least-latency")) {
        out.warn(QStringLiteral("least-latency"),
                 QStringLiteral("HAProxy has no latency-based choice: it becomes leastconn (fewest connections "
                                "per unit of weight), which also steers away from a slow server as its "
                                "requests pile up"),
                 4);
        out.line(QStringLiteral("    balance leastconn"));
    } else if (a == QLatin1String("power-of-two-choices")) {
        out.line(QStringLiteral("    balance random(2)"));
    } else if (a == QLatin1String("random")) {
        out.line(QStringLiteral("    balance random"));
    } else if (a == QLatin1String("ip-hash")) {
        // The lab's ip-hash is hash mod N over the whole address; map-based is HAProxy's hash mod weight.
        out.line(QStringLiteral("    balance source"));
        out.line(QStringLiteral("    hash-type map-based"));
    } else if (a == QLatin1String("ring-hash") || a == QLatin1String("maglev")) {
        if (a == QLatin1String("maglev"))
            out.warn(QStringLiteral("maglev"),
                     QStringLiteral("HAProxy has no Maglev table: it becomes consistent hashing on the same key "
                                    "(hash-type consistent, a ring of points per server): the same minimal "
                                    "movement when a server leaves, a less even spread"),
                     4);
        out.line(QStringLiteral("    balance ") + hashBalance(c, tcp, out));
        out.line(QStringLiteral("    hash-type consistent"));
    } else {
        out.warn(QStringLiteral("algorithm"), QStringLiteral("\"%1\" has no HAProxy counterpart: round robin").arg(a),
                 4);
        out.line(QStringLiteral("    balance roundrobin"));
    }
}

// `http-check expect` for the lab's accepted status range: a regex over the three digits.
QString statusExpect(const HealthConfig& h)
{
    if (h.expectStatusMin % 100 == 0 && h.expectStatusMax % 100 == 99)
        return QStringLiteral("rstatus ^[%1-%2][0-9][0-9]$").arg(h.expectStatusMin / 100).arg(h.expectStatusMax / 100);
    if (h.expectStatusMin == h.expectStatusMax)
        return QStringLiteral("status %1").arg(h.expectStatusMin);
    QStringList codes;
    for (int s = h.expectStatusMin; s <= h.expectStatusMax; ++s)
        codes << QString::number(s);
    return QStringLiteral("rstatus ^(%1)$").arg(codes.join(QLatin1Char('|')));
}

void writeHealth(const LabConfig& c, bool tcp, ExportText& out)
{
    const HealthConfig& h = c.health;
    bool anyChecked = false;
    bool othersDiffer = false;
    for (const BackendConfig& b : c.backends) {
        const HealthConfig hb = c.healthFor(b);
        anyChecked = anyChecked || hb.enabled;
        othersDiffer = othersDiffer ||
            (hb.enabled &&
             (hb.type != h.type || hb.path != h.path || hb.expectStatusMin != h.expectStatusMin ||
              hb.expectStatusMax != h.expectStatusMax || hb.expectBody != h.expectBody || hb.timeoutMs != h.timeoutMs));
    }
    if (!anyChecked)
        return;
    if (othersDiffer)
        out.warn(QStringLiteral("per-backend health check"),
                 QStringLiteral("HAProxy sends one check request per backend section: every server is checked "
                                "with the lab's default type, path, timeout and expected status (its own "
                                "interval, rise and fall are kept)"),
                 4);
    out.line(QStringLiteral("    timeout check %1").arg(exporting::durationText(h.timeoutMs)));
    if (tcp || h.type == QLatin1String("tcp")) {
        out.comment(QStringLiteral("tcp health check: a connect that succeeds is a pass."), 4);
        return;
    }
    out.line(QStringLiteral("    option httpchk"));
    out.line(QStringLiteral("    http-check send meth GET uri %1 ver HTTP/1.1 hdr Host lab").arg(h.path));
    out.line(QStringLiteral("    http-check expect ") + statusExpect(h));
    if (!h.expectBody.isEmpty())
        out.line(QStringLiteral("    http-check expect string %1").arg(h.expectBody));
}

QString serverLine(const LabConfig& c, const BackendConfig& b, int weight, bool tcp)
{
    QString s = QStringLiteral("    server %1 %2:%3 weight %4")
                    .arg(exporting::safeName(b.name), b.host)
                    .arg(b.port)
                    .arg(weight);
    const HealthConfig h = c.healthFor(b);
    if (h.enabled) {
        s += QStringLiteral(" check inter %1 rise %2 fall %3")
                 .arg(exporting::durationText(h.intervalMs))
                 .arg(h.rise)
                 .arg(h.fall);
        if (c.outlier.enabled && !tcp)
            s += QStringLiteral(" observe layer7 error-limit %1 on-error mark-down").arg(c.outlier.consecutiveFailures);
        if (h.slowStartMs > 0)
            s += QStringLiteral(" slowstart %1").arg(exporting::durationText(h.slowStartMs));
    }
    if (c.sticky.enabled && !tcp)
        s += QStringLiteral(" cookie %1").arg(exporting::safeName(b.name));
    return s;
}

void writeBackend(const LabConfig& c, bool tcp, ExportText& out)
{
    out.line(QStringLiteral("backend %1").arg(tcp ? QStringLiteral("lab_tcp") : QStringLiteral("lab_http")));
    out.line(tcp ? QStringLiteral("    mode tcp") : QStringLiteral("    mode http"));
    writeBalance(c, tcp, out);
    if (tcp) {
        out.line(QStringLiteral("    timeout server %1").arg(exporting::durationText(c.timeouts.tcpIdleMs)));
    } else {
        // retry.avoid: "previous" is HAProxy's own rule (option redispatch 1: every retry re-runs the
        // balancer without the server that just failed, assign_server's prev_srv); without redispatch
        // HAProxy retries on the same server; no HAProxy setting avoids every tried server.
        const QString avoid = c.retry.avoid;
        out.line(QStringLiteral("    retries %1").arg(c.retry.retries));
        if (c.retry.retries > 0) {
            if (avoid != QLatin1String("none"))
                out.line(QStringLiteral("    option redispatch 1"));
            else
                out.warn(QStringLiteral("retry.avoid"),
                         QStringLiteral("\"none\" lets the lab's balancer pick any backend for a retry; HAProxy "
                                        "without option redispatch retries on the same server every time"),
                         4);
            QStringList on;
            if (c.retry.retryOn.contains(QStringLiteral("connect-failure")))
                on << QStringLiteral("conn-failure") << QStringLiteral("empty-response");
            if (c.retry.retryOn.contains(QStringLiteral("timeout")))
                on << QStringLiteral("response-timeout");
            for (int code : exporting::retryStatuses(c.retry.retryOn))
                on << QString::number(code);
            out.line(QStringLiteral("    retry-on ") +
                     (on.isEmpty() ? QStringLiteral("none") : on.join(QLatin1Char(' '))));
            // HAProxy's redispatch avoids only the server that just failed (assign_server's prev_srv); the
            // lab never gives one request the same backend twice. Two attempts are the same walk in both.
            if (avoid == QLatin1String("tried") && c.retry.retries >= 2 && c.backends.size() >= 3)
                out.warn(QStringLiteral("retries"),
                         QStringLiteral("a retry in HAProxy avoids only the server that just failed, so with %1 "
                                        "retries one request may return to a server it tried before (and fail "
                                        "there again) where the lab tries %2 different backends; under "
                                        "concurrent traffic more requests end on an error than in the lab "
                                        "(retry.avoid \"previous\" is HAProxy's rule)")
                             .arg(c.retry.retries)
                             .arg(std::min<qsizetype>(c.retry.retries + 1, c.backends.size())),
                         4);
            if (!c.retry.retryNonIdempotent && on.size() > 0)
                out.line(QStringLiteral("    http-request disable-l7-retry if !{ method %1 }")
                             .arg(exporting::idempotentMethods().join(QLatin1Char(' '))));
        }
        if (c.sticky.enabled)
            out.line(QStringLiteral("    cookie %1 insert indirect nocache").arg(c.sticky.cookie));
        if (c.proxy.addServedBy)
            out.line(QStringLiteral("    http-response set-header X-Served-By %[srv_name]"));
    }
    writeHealth(c, tcp, out);
    if (c.outlier.enabled && !tcp) {
        bool unchecked = false;
        for (const BackendConfig& b : c.backends)
            unchecked = unchecked || !c.healthFor(b).enabled;
        out.comment(QStringLiteral("outlier ejection: observe layer7 marks a server down after %1 errors in a row; "
                                   "its health check brings it back")
                        .arg(c.outlier.consecutiveFailures),
                    4);
        out.warn(QStringLiteral("outlier ejection times"),
                 QStringLiteral("HAProxy has no ejection period (base %1 ms, max %2 ms) nor a %3% cap on ejected "
                                "servers: a server marked down returns after `rise` good checks%4")
                     .arg(c.outlier.baseEjectionMs)
                     .arg(c.outlier.maxEjectionMs)
                     .arg(c.outlier.maxEjectionPercent)
                     .arg(unchecked ? QStringLiteral("; servers without health checks are never ejected") : QString()),
                 4);
    }
    if (c.breaker.enabled && !tcp)
        out.warn(QStringLiteral("circuit breaker"),
                 QStringLiteral("HAProxy has no per-server breaker (%1% failures in %2 ms opens it): its closest "
                                "is observe layer7 on each server line, which counts errors in a row")
                     .arg(c.breaker.failurePercent)
                     .arg(c.breaker.windowMs),
                 4);
    const QList<int> weights = haproxyWeights(c, out);
    for (qsizetype i = 0; i < c.backends.size(); ++i)
        out.line(serverLine(c, c.backends[i], weights[i], tcp));
    out.line();
}

void writeRateLimit(const LabConfig& c, ExportText& out)
{
    const RateLimitConfig& r = c.rateLimit;
    const int burst = r.effectiveBurst();
    // A token bucket of `burst` filling at rps lets at most `burst` requests through in any burst/rps
    // seconds: the same bound as HAProxy's sliding request rate over that period.
    const int periodMs = std::max(1, int(std::lround(1000.0 * burst / r.requestsPerSecond)));
    out.comment(QStringLiteral("rate limit: %1 requests/s, burst %2, keyed by %3. HAProxy counts a sliding window: "
                               "at most %2 requests in any %4 ms, then 429.")
                    .arg(r.requestsPerSecond)
                    .arg(burst)
                    .arg(r.key)
                    .arg(periodMs),
                4);
    out.line(QStringLiteral("    http-request set-var(txn.lab_rate_key) src,ipmask(32)"));
    if (r.key.startsWith(QLatin1String("header:")))
        out.line(QStringLiteral("    http-request set-var(txn.lab_rate_key) req.hdr(%1) if { req.hdr(%1) -m found }")
                     .arg(r.key.mid(7)));
    out.line(QStringLiteral("    http-request track-sc1 var(txn.lab_rate_key) table lab_rate_keys"));
    out.line(QStringLiteral("    http-request deny deny_status 429 if { sc_http_req_rate(1,lab_rate_keys) gt %1 }")
                 .arg(burst));
    out.line(QStringLiteral("    http-after-response set-header Retry-After 1 if { status 429 }"));
}

// HAProxy 2.6 reads a bind line's key from the certificate's own file, or from the same path with ".key"
// appended when the file has none ("crt" in configuration.txt; ssl-load-extra-files defaults to all). The
// lab takes two paths, and its `cert` command writes cert.pem and key.pem: unless the key already sits at
// one of HAProxy's two places, the file says how to put it there (a link keeps one copy of the key).
void writeTlsNote(const ListenerConfig& l, ExportText& out)
{
    const QString& cert = l.tls.cert;
    const QString& key = l.tls.key;
    if (key == cert) {
        out.comment(QStringLiteral("TLS: %1 holds the certificate and its key.").arg(cert), 4);
        return;
    }
    if (key == cert + QStringLiteral(".key")) {
        out.comment(QStringLiteral("TLS: HAProxy loads the key from %1 (the certificate's path + .key).").arg(key), 4);
        return;
    }
    out.warn(QStringLiteral("TLS"),
             QStringLiteral("HAProxy reads the key from the certificate's file or from the certificate's path + "
                            ".key, not from %1: before starting HAProxy run `ln -s %1 %2.key` (or `cat %2 %1 > "
                            "one.pem` and name that file on the bind line)")
                 .arg(key, cert),
             4);
}

void writeFrontend(const LabConfig& c, const ListenerConfig& l, ExportText& out)
{
    const bool tcp = l.kind == ListenerKind::Tcp;
    out.line(QStringLiteral("frontend %1").arg(exporting::safeName(l.name)));
    const bool tls = !tcp && exporting::listenerHasTls(l);
    if (tls) {
        writeTlsNote(l, out);
        out.line(QStringLiteral("    bind %1:%2 ssl crt %3").arg(l.address).arg(l.port).arg(l.tls.cert));
    } else {
        out.line(QStringLiteral("    bind %1:%2").arg(l.address).arg(l.port));
    }
    out.line(tcp ? QStringLiteral("    mode tcp") : QStringLiteral("    mode http"));
    if (c.proxy.maxConnections > 0)
        out.line(QStringLiteral("    maxconn %1").arg(c.proxy.maxConnections));
    if (c.proxy.maxConnectionsPerClient > 0) {
        out.line(QStringLiteral("    stick-table type ip size 100k expire 60s store conn_cur"));
        out.line(QStringLiteral("    tcp-request connection track-sc0 src"));
        out.line(QStringLiteral("    tcp-request connection reject if { sc_conn_cur(0) gt %1 }")
                     .arg(c.proxy.maxConnectionsPerClient));
    }
    if (tcp) {
        out.line(QStringLiteral("    timeout client %1").arg(exporting::durationText(c.timeouts.tcpIdleMs)));
        out.line(QStringLiteral("    default_backend lab_tcp"));
        out.line();
        return;
    }
    out.line(QStringLiteral("    option forwardfor"));
    out.line(tls ? QStringLiteral("    http-request set-header X-Forwarded-Proto https")
                 : QStringLiteral("    http-request set-header X-Forwarded-Proto http"));
    if (c.proxy.accessLog)
        out.line(QStringLiteral("    option httplog"));
    if (!c.proxy.underscoresInHeaders)
        out.line(QStringLiteral("    http-request del-header _ -m sub"));
    if (c.limits.maxBodyBytes > 0)
        out.line(QStringLiteral("    http-request deny deny_status 413 if { req.hdr_val(content-length) gt %1 }")
                     .arg(c.limits.maxBodyBytes));
    if (c.rateLimit.enabled())
        writeRateLimit(c, out);
    out.line(QStringLiteral("    default_backend lab_http"));
    out.line();
}

} // namespace

ExportResult exportHaproxy(const LabConfig& c, const ExportOptions& options)
{
    ExportText out(QStringLiteral("HAProxy"));
    const QString dir = options.runtimeDir.isEmpty() ? QStringLiteral("/run/haproxy") : options.runtimeDir;
    out.line(QStringLiteral("global"));
    out.line(QStringLiteral("    pidfile %1/haproxy.pid").arg(dir));
    if (c.proxy.workers > 0)
        out.line(QStringLiteral("    nbthread %1").arg(c.proxy.workers));
    if (c.proxy.maxConnections > 0)
        out.line(QStringLiteral("    maxconn %1").arg(c.proxy.maxConnections));
    out.line(QStringLiteral("    tune.http.maxhdr %1").arg(c.limits.maxHeaderCount));
    if (c.proxy.accessLog)
        out.line(QStringLiteral("    log stdout format raw local0"));
    out.line();
    out.line(QStringLiteral("defaults"));
    if (c.proxy.accessLog)
        out.line(QStringLiteral("    log global"));
    out.line(QStringLiteral("    timeout connect %1").arg(exporting::durationText(c.timeouts.connectMs)));
    out.line(QStringLiteral("    timeout server %1").arg(exporting::durationText(c.timeouts.upstreamResponseMs)));
    out.line(QStringLiteral("    timeout client %1").arg(exporting::durationText(c.timeouts.clientIdleMs)));
    out.line(QStringLiteral("    timeout http-keep-alive %1").arg(exporting::durationText(c.timeouts.clientIdleMs)));
    out.line(QStringLiteral("    timeout http-request %1").arg(exporting::durationText(c.timeouts.headerReadMs)));
    out.line();

    bool anyHttp = false;
    bool anyTcp = false;
    for (const ListenerConfig& l : c.listeners) {
        writeFrontend(c, l, out);
        anyHttp = anyHttp || l.kind == ListenerKind::Http;
        anyTcp = anyTcp || l.kind == ListenerKind::Tcp;
    }
    if (c.rateLimit.enabled() && anyHttp) {
        out.line(QStringLiteral("backend lab_rate_keys"));
        const int burst = c.rateLimit.effectiveBurst();
        const int periodMs = std::max(1, int(std::lround(1000.0 * burst / c.rateLimit.requestsPerSecond)));
        out.line(QStringLiteral("    stick-table type string len 64 size 100k expire %1 store http_req_rate(%2)")
                     .arg(exporting::durationText(std::max(periodMs * 2, 10'000)), exporting::durationText(periodMs)));
        out.line();
    }
    if (anyHttp || c.listeners.isEmpty())
        writeBackend(c, false, out);
    if (anyTcp)
        writeBackend(c, true, out);
    if (c.breaker.enabled && !anyHttp && !c.listeners.isEmpty())
        out.comment(QStringLiteral("circuit breaker: TCP relays do not use it in the lab either."));

    if (options.metrics) {
        out.line(QStringLiteral("frontend lab_metrics"));
        out.line(QStringLiteral("    bind %1:%2").arg(options.metrics->address).arg(options.metrics->port));
        out.line(QStringLiteral("    mode http"));
        // Debian 12's HAProxy 2.6 is built with USE_PROMEX (`haproxy -vv`: "Built with the Prometheus
        // exporter as a service").
        out.comment(QStringLiteral("the lab's admin endpoint: Prometheus metrics from HAProxy's exporter service."), 4);
        out.warn(QStringLiteral("admin endpoint"),
                 QStringLiteral("/metrics is HAProxy's Prometheus exporter, whose names are haproxy_frontend_*, "
                                "haproxy_backend_* and haproxy_server_* (not balancer_lab_*); the lab's JSON API "
                                "becomes the stats page at /stats (read only)"),
                 4);
        out.line(QStringLiteral("    http-request use-service prometheus-exporter if { path /metrics }"));
        out.line(QStringLiteral("    stats enable"));
        out.line(QStringLiteral("    stats uri /stats"));
        out.line();
    }
    return {out.finish(options.sourceName), out.warnings()};
}

} // namespace lab
