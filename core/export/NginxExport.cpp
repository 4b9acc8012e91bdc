// The nginx writer (open source 1.22, Debian 12's nginx-light plus libnginx-mod-stream for TCP
// listeners). One upstream per listener kind, one server block per listener. Checked by `nginx -t` in
// tst_configexport for every built-in lesson's lab and every algorithm.
#include "ConfigExport.h"
#include "ExportText.h"

#include <algorithm>
#include <cmath>

namespace lab {

using exporting::ExportText;

namespace {

QString hashExpression(const LabConfig& c, bool tcp, ExportText& out)
{
    const HashKeySpec key = exporting::hashKeyFor(c, tcp, out);
    const QString name = QString::fromLatin1(key.name);
    switch (key.source) {
    case HashKeySpec::Source::Client: return QStringLiteral("$remote_addr");
    case HashKeySpec::Source::Path: return QStringLiteral("$uri");
    case HashKeySpec::Source::Header:
        return QStringLiteral("$http_") + QString(name).toLower().replace(QLatin1Char('-'), QLatin1Char('_'));
    case HashKeySpec::Source::Cookie: return QStringLiteral("$cookie_") + name;
    }
    return QStringLiteral("$remote_addr");
}

void writeMethod(const LabConfig& c, bool tcp, ExportText& out)
{
    const QString& a = c.algorithm;
    if (a == QLatin1String("round-robin") || a == QLatin1String("weighted-round-robin")) {
        out.comment(QStringLiteral("(smooth weighted) round robin: nginx's default method."), 4);
    } else if (a == QLatin1String("least-connections")) {
        out.line(QStringLiteral("    least_conn;"));
    } else if (a == QLatin1String("least-latency")) {
        out.warn(QStringLiteral("least-latency"),
                 QStringLiteral("least_time is nginx Plus only: it becomes least_conn, which also steers away "
                                "from a slow server as its requests pile up"),
                 4);
        out.line(QStringLiteral("    least_conn;"));
    } else if (a == QLatin1String("power-of-two-choices")) {
        out.line(QStringLiteral("    random two least_conn;"));
    } else if (a == QLatin1String("random")) {
        out.line(QStringLiteral("    random;"));
    } else if (a == QLatin1String("ip-hash")) {
        // Not ip_hash: nginx's ip_hash keys on the first three octets of an IPv4 address only
        // (ngx_http_upstream_module docs: "The first three octets of the client IPv4 address, or the entire
        // IPv6 address, are used as a hashing key"), so every 127.0.0.x client of the lab would land on one
        // backend. A hash of the whole address keeps the lab's behaviour: one client, one backend.
        out.comment(QStringLiteral("ip-hash as a hash of the whole client address: nginx's ip_hash would use only "
                                   "the first\nthree octets of an IPv4 address (all 127.0.0.x clients on one "
                                   "backend)."),
                    4);
        out.line(QStringLiteral("    hash $remote_addr consistent;"));
    } else if (a == QLatin1String("ring-hash") || a == QLatin1String("maglev")) {
        if (a == QLatin1String("maglev"))
            out.warn(QStringLiteral("maglev"),
                     QStringLiteral("nginx has no Maglev table: it becomes consistent hashing (ketama) on the same "
                                    "key: the same minimal movement when a server leaves, a less even spread"),
                     4);
        out.line(QStringLiteral("    hash %1 consistent;").arg(hashExpression(c, tcp, out)));
    } else {
        out.warn(QStringLiteral("algorithm"), QStringLiteral("\"%1\" has no nginx counterpart: round robin").arg(a), 4);
    }
}

void writeUpstream(const LabConfig& c, bool tcp, ExportText& out)
{
    out.line(QStringLiteral("    upstream %1 {").arg(tcp ? QStringLiteral("lab_tcp") : QStringLiteral("lab_http")));
    writeMethod(c, tcp, out);
    const bool roundRobin = c.algorithm == QLatin1String("round-robin");
    if (roundRobin &&
        std::any_of(c.backends.begin(), c.backends.end(), [](const BackendConfig& b) { return b.weight != 1; }))
        out.comment(QStringLiteral("round-robin ignores weights in the lab: every server gets weight 1 here."), 8);
    // Passive checks: nginx takes a server out for fail_timeout after max_fails failures within
    // fail_timeout. The closest to the lab's outlier ejection (consecutive failures, base ejection time).
    const int maxFails = c.outlier.enabled ? c.outlier.consecutiveFailures : 0;
    const int failTimeoutS = std::max(1, c.outlier.baseEjectionMs / 1000);
    if (c.outlier.enabled)
        out.comment(QStringLiteral("outlier ejection: max_fails=%1 fail_timeout=%2s (passive, on real traffic).")
                        .arg(maxFails)
                        .arg(failTimeoutS),
                    4);
    for (const BackendConfig& b : c.backends) {
        QString s =
            QStringLiteral("        server %1:%2 weight=%3").arg(b.host).arg(b.port).arg(roundRobin ? 1 : b.weight);
        s += QStringLiteral(" max_fails=%1").arg(maxFails);
        if (c.outlier.enabled)
            s += QStringLiteral(" fail_timeout=%1s").arg(failTimeoutS);
        out.line(s + QLatin1Char(';'));
    }
    if (!tcp)
        out.line(QStringLiteral("        keepalive %1;").arg(std::max(1, c.proxy.upstreamMaxIdlePerBackend)));
    out.line(QStringLiteral("    }"));
}

void warnUnsupported(const LabConfig& c, ExportText& out)
{
    bool checked = false;
    bool slowStart = false;
    for (const BackendConfig& b : c.backends) {
        checked = checked || c.healthFor(b).enabled;
        slowStart = slowStart || c.healthFor(b).slowStartMs > 0;
    }
    if (checked)
        out.warn(QStringLiteral("active health checks"),
                 QStringLiteral("nginx open source has none (health_check is nginx Plus): a down backend is found "
                                "by failing real requests (max_fails) and retried on the next server"));
    if (slowStart)
        out.warn(QStringLiteral("slow start"),
                 QStringLiteral("nginx open source has none (slow_start is nginx Plus): a recovered backend gets "
                                "its full share at once"));
    if (c.sticky.enabled)
        out.warn(QStringLiteral("sticky cookie"),
                 QStringLiteral("nginx open source cannot set a cookie naming the backend (sticky is nginx Plus): "
                                "requests are balanced by the algorithm alone; a hash of a client cookie "
                                "(ring-hash with key cookie:NAME) is the open-source substitute"));
    if (c.outlier.enabled)
        out.warn(QStringLiteral("outlier ejection times"),
                 QStringLiteral("nginx ejects for a fixed fail_timeout (no growing ejection up to %1 ms, no %2% cap)")
                     .arg(c.outlier.maxEjectionMs)
                     .arg(c.outlier.maxEjectionPercent));
    if (c.breaker.enabled)
        out.warn(QStringLiteral("circuit breaker"),
                 QStringLiteral("nginx has no per-server breaker: max_fails/fail_timeout is its closest"));
}

void writeRateLimitZone(const LabConfig& c, ExportText& out)
{
    const RateLimitConfig& r = c.rateLimit;
    QString key = QStringLiteral("$binary_remote_addr");
    if (r.key.startsWith(QLatin1String("header:"))) {
        const QString var =
            QStringLiteral("$http_") + r.key.mid(7).toLower().replace(QLatin1Char('-'), QLatin1Char('_'));
        // A request without the header is keyed by its address, as in the lab.
        out.line(QStringLiteral("    map %1 $lab_rate_key {").arg(var));
        out.line(QStringLiteral("        \"\" $binary_remote_addr;"));
        out.line(QStringLiteral("        default %1;").arg(var));
        out.line(QStringLiteral("    }"));
        key = QStringLiteral("$lab_rate_key");
    }
    // nginx takes whole requests per second or per minute.
    const double rps = r.requestsPerSecond;
    const bool whole = std::abs(rps - std::round(rps)) < 1e-9;
    const QString rate = whole ? QStringLiteral("%1r/s").arg(qint64(std::round(rps)))
                               : QStringLiteral("%1r/m").arg(qint64(std::max(1.0, std::round(rps * 60))));
    out.line(QStringLiteral("    limit_req_zone %1 zone=lab_rate:10m rate=%2;").arg(key, rate));
}

void writeHttpServer(const LabConfig& c, const ListenerConfig& l, ExportText& out)
{
    out.line(QStringLiteral("    server {"));
    if (exporting::listenerHasTls(l)) {
        out.line(QStringLiteral("        listen %1:%2 ssl;").arg(l.address).arg(l.port));
        out.line(QStringLiteral("        ssl_certificate %1;").arg(l.tls.cert));
        out.line(QStringLiteral("        ssl_certificate_key %1;").arg(l.tls.key));
    } else {
        out.line(QStringLiteral("        listen %1:%2;").arg(l.address).arg(l.port));
    }
    if (c.proxy.maxConnectionsPerClient > 0)
        out.line(QStringLiteral("        limit_conn lab_conn %1;").arg(c.proxy.maxConnectionsPerClient));
    if (c.rateLimit.enabled()) {
        // The lab's bucket holds `burst` requests; nginx lets 1 + burst through at once.
        out.line(QStringLiteral("        limit_req zone=lab_rate burst=%1 nodelay;")
                     .arg(std::max(0, c.rateLimit.effectiveBurst() - 1)));
        out.line(QStringLiteral("        limit_req_status 429;"));
    }
    out.line(QStringLiteral("        location / {"));
    out.line(QStringLiteral("            proxy_pass http://lab_http;"));
    out.line(QStringLiteral("            proxy_http_version 1.1;"));
    out.line(QStringLiteral("            proxy_set_header Connection \"\";"));
    out.line(QStringLiteral("            proxy_set_header Host $host;"));
    out.line(QStringLiteral("            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"));
    out.line(QStringLiteral("            proxy_set_header X-Forwarded-Proto $scheme;"));
    out.line(
        QStringLiteral("            proxy_connect_timeout %1;").arg(exporting::durationText(c.timeouts.connectMs)));
    out.line(QStringLiteral("            proxy_read_timeout %1;")
                 .arg(exporting::durationText(c.timeouts.upstreamResponseMs)));
    out.line(QStringLiteral("            proxy_send_timeout %1;")
                 .arg(exporting::durationText(c.timeouts.upstreamResponseMs)));
    QStringList next;
    if (c.retry.retryOn.contains(QStringLiteral("connect-failure")))
        next << QStringLiteral("error");
    if (c.retry.retryOn.contains(QStringLiteral("timeout")))
        next << QStringLiteral("timeout");
    for (int code : exporting::retryStatuses(c.retry.retryOn))
        next << QStringLiteral("http_%1").arg(code);
    if (c.retry.retries == 0 || next.isEmpty()) {
        out.line(QStringLiteral("            proxy_next_upstream off;"));
    } else {
        if (c.retry.retryNonIdempotent)
            next << QStringLiteral("non_idempotent");
        out.line(QStringLiteral("            proxy_next_upstream %1;").arg(next.join(QLatin1Char(' '))));
        out.line(QStringLiteral("            proxy_next_upstream_tries %1;").arg(c.retry.retries + 1));
        // nginx's next upstream is always one this request has not tried: retry.avoid "tried".
        if (c.retry.avoid != QLatin1String("tried"))
            out.warn(QStringLiteral("retry.avoid"),
                     QStringLiteral("nginx never gives one request the same server twice (proxy_next_upstream), "
                                    "so it behaves as retry.avoid \"tried\", not \"%1\"; a retry never returns "
                                    "to a server that already failed")
                         .arg(c.retry.avoid),
                     12);
    }
    if (c.proxy.addServedBy)
        out.line(QStringLiteral("            add_header X-Served-By $lab_served_by always;"));
    out.line(QStringLiteral("        }"));
    out.line(QStringLiteral("    }"));
}

} // namespace

ExportResult exportNginx(const LabConfig& c, const ExportOptions& options)
{
    ExportText out(QStringLiteral("nginx"));
    const bool custom = !options.runtimeDir.isEmpty();
    const QString dir = custom ? options.runtimeDir : QStringLiteral("/run");
    const QString logDir = custom ? options.runtimeDir : QStringLiteral("/var/log/nginx");
    bool anyTcp = false;
    bool anyHttp = false;
    for (const ListenerConfig& l : c.listeners) {
        anyTcp = anyTcp || l.kind == ListenerKind::Tcp;
        anyHttp = anyHttp || l.kind == ListenerKind::Http;
    }
    if (anyTcp)
        out.line(QStringLiteral("load_module /usr/lib/nginx/modules/ngx_stream_module.so;"));
    out.line(c.proxy.workers > 0 ? QStringLiteral("worker_processes %1;").arg(c.proxy.workers)
                                 : QStringLiteral("worker_processes auto;"));
    out.line(QStringLiteral("pid %1/nginx.pid;").arg(dir));
    out.line(QStringLiteral("error_log %1/error.log;").arg(logDir));
    out.line(QStringLiteral("events {"));
    if (c.proxy.maxConnections > 0)
        out.comment(QStringLiteral("maxConnections %1: per worker in nginx (client and upstream connections).")
                        .arg(c.proxy.maxConnections),
                    4);
    out.line(
        QStringLiteral("    worker_connections %1;").arg(c.proxy.maxConnections > 0 ? c.proxy.maxConnections : 1024));
    out.line(QStringLiteral("}"));
    out.line();
    warnUnsupported(c, out);
    out.line(QStringLiteral("http {"));
    out.line(c.proxy.accessLog ? QStringLiteral("    access_log %1/access.log;").arg(logDir)
                               : QStringLiteral("    access_log off;"));
    if (custom) {
        for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"})
            out.line(QStringLiteral("    %1_temp_path %2/%1;").arg(QLatin1String(t), dir));
    }
    out.line(QStringLiteral("    client_header_timeout %1;").arg(exporting::durationText(c.timeouts.headerReadMs)));
    out.line(QStringLiteral("    keepalive_timeout %1;").arg(exporting::durationText(c.timeouts.clientIdleMs)));
    out.line(QStringLiteral("    client_max_body_size %1;").arg(c.limits.maxBodyBytes));
    out.line(QStringLiteral("    large_client_header_buffers 4 %1k;")
                 .arg(std::max(1, (std::max(c.limits.maxRequestLineBytes, 1024) + 1023) / 1024)));
    out.line(c.proxy.underscoresInHeaders ? QStringLiteral("    underscores_in_headers on;")
                                          : QStringLiteral("    ignore_invalid_headers on;"));
    if (c.proxy.maxConnectionsPerClient > 0)
        out.line(QStringLiteral("    limit_conn_zone $binary_remote_addr zone=lab_conn:10m;"));
    if (c.rateLimit.enabled())
        writeRateLimitZone(c, out);
    if (c.proxy.addServedBy) {
        // nginx names the upstream by address only; the map turns the last one tried into the lab's name.
        out.line(QStringLiteral("    map $upstream_addr $lab_served_by {"));
        out.line(QStringLiteral("        default \"\";"));
        for (const BackendConfig& b : c.backends)
            out.line(QStringLiteral("        \"~(^|, )%1:%2$\" \"%3\";")
                         .arg(QString(b.host).replace(QLatin1Char('.'), QStringLiteral("\\.")))
                         .arg(b.port)
                         .arg(b.name));
        out.line(QStringLiteral("    }"));
    }
    if (anyHttp || c.listeners.isEmpty())
        writeUpstream(c, false, out);
    for (const ListenerConfig& l : c.listeners)
        if (l.kind == ListenerKind::Http)
            writeHttpServer(c, l, out);
    if (options.metrics) {
        out.warn(QStringLiteral("admin endpoint"),
                 QStringLiteral("nginx open source has no Prometheus exposition and no per-backend counters: "
                                "the lab's /metrics becomes stub_status (active connections, accepted and handled "
                                "connections, requests, in nginx's own text format); the lab's JSON API has no "
                                "counterpart"),
                 4);
        out.line(QStringLiteral("    server {"));
        out.line(QStringLiteral("        listen %1:%2;").arg(options.metrics->address).arg(options.metrics->port));
        out.line(QStringLiteral("        location = /metrics { stub_status; }"));
        out.line(QStringLiteral("    }"));
    }
    out.line(QStringLiteral("}"));
    if (anyTcp) {
        out.line();
        out.line(QStringLiteral("stream {"));
        writeUpstream(c, true, out);
        for (const ListenerConfig& l : c.listeners) {
            if (l.kind != ListenerKind::Tcp)
                continue;
            out.line(QStringLiteral("    server {"));
            out.line(QStringLiteral("        listen %1:%2;").arg(l.address).arg(l.port));
            out.line(QStringLiteral("        proxy_pass lab_tcp;"));
            out.line(
                QStringLiteral("        proxy_connect_timeout %1;").arg(exporting::durationText(c.timeouts.connectMs)));
            out.line(QStringLiteral("        proxy_timeout %1;").arg(exporting::durationText(c.timeouts.tcpIdleMs)));
            out.line(QStringLiteral("    }"));
        }
        out.line(QStringLiteral("}"));
    }
    return {out.finish(options.sourceName), out.warnings()};
}

} // namespace lab
