#include "PrometheusExposition.h"

#include "AdminView.h"
#include "metrics/Metrics.h"

#include <cmath>

namespace lab {

namespace {

using Labels = PrometheusWriter::Labels;

constexpr int kFirstEdgePower = 8; // 2^8 µs = 256 µs
constexpr int kLastEdgePower = 25; // 2^25 µs = 33.6 s

const char* codeClassName(size_t index)
{
    static const char* const names[] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
    return names[index];
}

QByteArray formatDouble(double v)
{
    if (std::isinf(v))
        return v > 0 ? QByteArrayLiteral("+Inf") : QByteArrayLiteral("-Inf");
    return QByteArray::number(v, 'g', 15);
}

Labels withListener(const AdminListenerView& l, Labels more = {})
{
    more.prepend({"listener", l.name});
    return more;
}

// Per-listener families: what clients sent and got, and the proxy's own answers.
void writeListenerFamilies(PrometheusWriter& w, const AdminView& v)
{
    w.family("balancer_lab_listener_up", "gauge", "1 while the listener accepts connections.");
    for (const AdminListenerView& l : v.listeners)
        w.sample("balancer_lab_listener_up",
                 withListener(l, {{"kind", QLatin1String(l.kind == ListenerKind::Tcp ? "tcp" : "http")}}),
                 std::uint64_t(l.listening ? 1 : 0));
    w.family("balancer_lab_listener_requests_total", "counter",
             "Requests read from clients (TCP listeners: connections relayed).");
    for (const AdminListenerView& l : v.listeners)
        w.sample("balancer_lab_listener_requests_total", withListener(l), l.metrics.listener.requests);
    w.family("balancer_lab_listener_responses_total", "counter",
             "Responses written to clients by status class, the proxy's own answers included; none = the "
             "exchange ended without a response.");
    for (const AdminListenerView& l : v.listeners) {
        for (size_t c = 0; c < l.metrics.listener.responsesByClass.size(); ++c)
            w.sample("balancer_lab_listener_responses_total",
                     withListener(l, {{"code_class", QLatin1String(codeClassName(c))}}),
                     l.metrics.listener.responsesByClass[c]);
    }
    w.family("balancer_lab_proxy_responses_total", "counter",
             "Responses the proxy wrote itself (429, 503 no backend, 400, 408, 431, 502/504 after failed "
             "attempts); also in balancer_lab_listener_responses_total.");
    for (const AdminListenerView& l : v.listeners)
        w.sample("balancer_lab_proxy_responses_total", withListener(l), l.metrics.listener.answeredByProxy);
    w.family("balancer_lab_rate_limited_total", "counter", "Requests answered 429 by the rate limiter.");
    for (const AdminListenerView& l : v.listeners)
        w.sample("balancer_lab_rate_limited_total", withListener(l), l.metrics.listener.rateLimited);
    w.family("balancer_lab_retries_total", "counter", "Attempts on another backend after a failed one.");
    for (const AdminListenerView& l : v.listeners)
        w.sample("balancer_lab_retries_total", withListener(l), l.metrics.listener.retries);
    w.family("balancer_lab_listener_request_duration_seconds", "histogram",
             "Time from a request's head to the end of its response, as the client sees it (HTTP listeners).");
    for (const AdminListenerView& l : v.listeners)
        w.histogram("balancer_lab_listener_request_duration_seconds", withListener(l), l.metrics.listener.latency);
    w.family("balancer_lab_received_bytes_total", "counter", "Bytes read from clients.");
    for (const AdminListenerView& l : v.listeners)
        w.sample("balancer_lab_received_bytes_total", withListener(l), l.metrics.listener.bytesIn);
    w.family("balancer_lab_sent_bytes_total", "counter", "Bytes written to clients.");
    for (const AdminListenerView& l : v.listeners)
        w.sample("balancer_lab_sent_bytes_total", withListener(l), l.metrics.listener.bytesOut);
    w.family("balancer_lab_connections_total", "counter", "Client connections accepted.");
    for (const AdminListenerView& l : v.listeners)
        w.sample("balancer_lab_connections_total", withListener(l), l.metrics.listener.connections);
    w.family("balancer_lab_active_connections", "gauge", "Client connections open now.");
    for (const AdminListenerView& l : v.listeners)
        w.sample("balancer_lab_active_connections", withListener(l), double(l.metrics.listener.activeConnections));
    w.family("balancer_lab_refused_connections_total", "counter",
             "Client connections closed at accept by a connection cap.");
    for (const AdminListenerView& l : v.listeners)
        w.sample("balancer_lab_refused_connections_total", withListener(l), l.metrics.listener.refusedConnections);
    w.family("balancer_lab_tcp_relay_buffered_bytes", "gauge",
             "TCP listeners: bytes the relays hold in user space now (bounded by backpressure).");
    for (const AdminListenerView& l : v.listeners) {
        if (l.kind == ListenerKind::Tcp)
            w.sample("balancer_lab_tcp_relay_buffered_bytes", withListener(l), double(l.relayBufferedBytes));
    }
}

// Per TLS listener: the handshakes the terminators did, the connections they hold, the bytes they relay.
// Written only when a listener terminates TLS, so a plain lab's exposition carries no empty families.
void writeTlsFamilies(PrometheusWriter& w, const AdminView& v)
{
    QList<const AdminListenerView*> tls;
    for (const AdminListenerView& l : v.listeners) {
        if (l.tls)
            tls << &l;
    }
    if (tls.isEmpty())
        return;
    w.family("balancer_lab_tls_handshakes_total", "counter", "TLS handshakes completed (each then carries HTTP).");
    for (const AdminListenerView* l : tls)
        w.sample("balancer_lab_tls_handshakes_total", withListener(*l), std::uint64_t(l->tlsStats.handshakes));
    w.family("balancer_lab_tls_handshake_failures_total", "counter",
             "Connections closed before their TLS handshake completed, by reason: plain_http (an HTTP request "
             "to the TLS port), protocol (no common version or cipher, a rejected certificate, not TLS), "
             "timeout, client_closed (the client went away).");
    for (const AdminListenerView* l : tls) {
        for (size_t i = 0; i < kTlsFailureClasses; ++i)
            w.sample("balancer_lab_tls_handshake_failures_total",
                     withListener(*l, {{"reason", QLatin1String(tlsFailureName(TlsFailure(i)))}}),
                     std::uint64_t(l->tlsStats.failures[i]));
    }
    w.family("balancer_lab_tls_handshakes_in_progress", "gauge", "TLS connections accepted and still handshaking.");
    for (const AdminListenerView* l : tls)
        w.sample("balancer_lab_tls_handshakes_in_progress", withListener(*l), double(l->tlsStats.handshaking));
    w.family("balancer_lab_tls_active_connections", "gauge", "TLS connections past their handshake and open now.");
    for (const AdminListenerView* l : tls)
        w.sample("balancer_lab_tls_active_connections", withListener(*l), double(l->tlsStats.established));
    w.family("balancer_lab_tls_decrypted_bytes_total", "counter",
             "Application bytes decrypted from TLS clients (what the proxy then reads as HTTP).");
    for (const AdminListenerView* l : tls)
        w.sample("balancer_lab_tls_decrypted_bytes_total", withListener(*l), std::uint64_t(l->tlsStats.decryptedBytes));
    w.family("balancer_lab_tls_encrypted_bytes_total", "counter",
             "Application bytes encrypted for TLS clients (the proxy's HTTP responses).");
    for (const AdminListenerView* l : tls)
        w.sample("balancer_lab_tls_encrypted_bytes_total", withListener(*l), std::uint64_t(l->tlsStats.encryptedBytes));
}

// Per listener and backend: what the proxy sent each backend and what came back.
void writeUpstreamFamilies(PrometheusWriter& w, const AdminView& v)
{
    auto each = [&](const char* name, auto value) {
        for (const AdminListenerView& l : v.listeners) {
            for (const BackendStats& b : l.metrics.backends)
                w.sample(name, withListener(l, {{"backend", b.name}}), value(b.traffic));
        }
    };
    w.family("balancer_lab_requests_total", "counter",
             "Attempts sent to a backend by the class of its answer; none = refused, reset or timed out "
             "without a response (TCP listeners: relayed connections, none = connect failed).");
    for (const AdminListenerView& l : v.listeners) {
        for (const BackendStats& b : l.metrics.backends) {
            for (size_t c = 0; c < b.traffic.responsesByClass.size(); ++c)
                w.sample("balancer_lab_requests_total",
                         withListener(l, {{"backend", b.name}, {"code_class", QLatin1String(codeClassName(c))}}),
                         b.traffic.responsesByClass[c]);
        }
    }
    w.family("balancer_lab_request_duration_seconds", "histogram",
             "Time from an attempt's start to the end of the backend's response.");
    for (const AdminListenerView& l : v.listeners) {
        for (const BackendStats& b : l.metrics.backends)
            w.histogram("balancer_lab_request_duration_seconds", withListener(l, {{"backend", b.name}}),
                        b.traffic.latency);
    }
    w.family("balancer_lab_upstream_connect_failures_total", "counter",
             "Connections to a backend that failed (refused, unreachable, connect timeout).");
    each("balancer_lab_upstream_connect_failures_total", [](const TrafficStats& t) { return t.connectFailures; });
    w.family("balancer_lab_upstream_sent_bytes_total", "counter", "Bytes written to a backend.");
    each("balancer_lab_upstream_sent_bytes_total", [](const TrafficStats& t) { return t.bytesOut; });
    w.family("balancer_lab_upstream_received_bytes_total", "counter", "Bytes read from a backend.");
    each("balancer_lab_upstream_received_bytes_total", [](const TrafficStats& t) { return t.bytesIn; });
    w.family("balancer_lab_upstream_connections_total", "counter",
             "Connections opened to a backend (TCP listeners: one per relayed client connection).");
    each("balancer_lab_upstream_connections_total", [](const TrafficStats& t) { return t.connections; });
    w.family("balancer_lab_upstream_active_connections", "gauge",
             "Connections to a backend open now (HTTP: busy and idle keep-alive ones).");
    each("balancer_lab_upstream_active_connections", [](const TrafficStats& t) { return double(t.activeConnections); });
}

// Per backend, over the whole pool: the verdicts and gauges the board shows.
void writeBackendFamilies(PrometheusWriter& w, const AdminView& v)
{
    auto each = [&](const char* name, const char* help, auto value) {
        w.family(name, "gauge", help);
        for (const AdminBackendView& b : v.backends)
            w.sample(name, {{"backend", b.name}}, double(value(b)));
    };
    each("balancer_lab_backend_up", "1 when the active health checks pass (or are off).",
         [](const AdminBackendView& b) { return b.healthy ? 1 : 0; });
    each("balancer_lab_backend_enabled", "0 while the operator drains the backend.",
         [](const AdminBackendView& b) { return b.enabled ? 1 : 0; });
    each("balancer_lab_backend_ejected", "1 while outlier detection holds the backend out.",
         [](const AdminBackendView& b) { return b.ejected ? 1 : 0; });
    each("balancer_lab_backend_eligible", "1 when the next pick may choose the backend at its full or ramping share.",
         [](const AdminBackendView& b) { return pickTier(b.eligibility) == PickTier::Preferred ? 1 : 0; });
    each("balancer_lab_backend_weight", "The backend's weight for the weighted algorithms.",
         [](const AdminBackendView& b) { return b.weight; });
    each("balancer_lab_active_requests", "Requests the proxy has in flight on the backend now.",
         [](const AdminBackendView& b) { return b.inFlight; });
    w.family("balancer_lab_backend_circuit_state", "gauge",
             "1 for the circuit breaker's current state (closed, open, half_open), 0 for the others.");
    for (const AdminBackendView& b : v.backends) {
        for (const CircuitBreaker::State s :
             {CircuitBreaker::State::Closed, CircuitBreaker::State::Open, CircuitBreaker::State::HalfOpen})
            w.sample("balancer_lab_backend_circuit_state",
                     {{"backend", b.name}, {"state", QLatin1String(breakerStateName(s))}},
                     std::uint64_t(b.breaker == s ? 1 : 0));
    }
    w.family("balancer_lab_backend_queued_requests", "gauge",
             "Embedded backends: requests waiting for one of the backend's workers now.");
    for (const AdminBackendView& b : v.backends) {
        if (b.queued >= 0)
            w.sample("balancer_lab_backend_queued_requests", {{"backend", b.name}}, double(b.queued));
    }
}

} // namespace

QByteArray PrometheusWriter::escapeLabelValue(const QString& value)
{
    QByteArray out;
    const QByteArray utf8 = value.toUtf8();
    out.reserve(utf8.size());
    for (const char c : utf8) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

QList<quint64> PrometheusWriter::latencyEdgesMicros()
{
    QList<quint64> edges;
    for (int p = kFirstEdgePower; p <= kLastEdgePower; ++p)
        edges << (quint64(1) << p);
    return edges;
}

void PrometheusWriter::family(const char* name, const char* type, const char* help)
{
    m_out += "# HELP ";
    m_out += name;
    m_out += ' ';
    m_out += help;
    m_out += "\n# TYPE ";
    m_out += name;
    m_out += ' ';
    m_out += type;
    m_out += '\n';
}

void PrometheusWriter::writeSeries(const char* name, const Labels& labels, const char* extraName,
                                   const QByteArray& extraValue)
{
    m_out += name;
    if (!labels.isEmpty() || extraName) {
        m_out += '{';
        bool first = true;
        for (const auto& [key, value] : labels) {
            if (!first)
                m_out += ',';
            first = false;
            m_out += key;
            m_out += "=\"";
            m_out += escapeLabelValue(value);
            m_out += '"';
        }
        if (extraName) {
            if (!first)
                m_out += ',';
            m_out += extraName;
            m_out += "=\"";
            m_out += extraValue;
            m_out += '"';
        }
        m_out += '}';
    }
    m_out += ' ';
}

void PrometheusWriter::sample(const char* name, const Labels& labels, double value)
{
    writeSeries(name, labels);
    m_out += formatDouble(value);
    m_out += '\n';
}

void PrometheusWriter::sample(const char* name, const Labels& labels, std::uint64_t value)
{
    writeSeries(name, labels);
    m_out += QByteArray::number(quint64(value));
    m_out += '\n';
}

void PrometheusWriter::histogram(const char* name, const Labels& labels, const LatencySummary& latency)
{
    const QByteArray base(name);
    const QByteArray bucketName = QByteArray(base + "_bucket");
    // Cumulative counts: the buckets that end at or below each edge hold the values shorter than it.
    std::uint64_t cumulative = 0;
    int bucket = 0;
    for (const quint64 edge : latencyEdgesMicros()) {
        while (bucket < LatencyHistogram::kBuckets && LatencyHistogram::bucketUpperMicros(bucket) <= edge)
            cumulative += latency.buckets[size_t(bucket++)];
        writeSeries(bucketName.constData(), labels, "le", formatDouble(double(edge) / 1e6));
        m_out += QByteArray::number(quint64(cumulative));
        m_out += '\n';
    }
    writeSeries(bucketName.constData(), labels, "le", "+Inf");
    m_out += QByteArray::number(quint64(latency.total));
    m_out += '\n';
    writeSeries(QByteArray(base + "_sum").constData(), labels);
    m_out += formatDouble(double(latency.sumMicros) / 1e6);
    m_out += '\n';
    writeSeries(QByteArray(base + "_count").constData(), labels);
    m_out += QByteArray::number(quint64(latency.total));
    m_out += '\n';
}

QByteArray prometheusExposition(const AdminView& view)
{
    PrometheusWriter w;
    w.family("balancer_lab_algorithm_info", "gauge", "The balancing algorithm the next pick uses (always 1).");
    w.sample("balancer_lab_algorithm_info", {{"algorithm", view.algorithm}}, std::uint64_t(1));
    w.family("balancer_lab_panic_routing", "gauge",
             "1 while fewer than half the enabled backends pass their probes and every one is used.");
    w.sample("balancer_lab_panic_routing", {}, std::uint64_t(view.panic ? 1 : 0));
    writeListenerFamilies(w, view);
    writeTlsFamilies(w, view);
    writeUpstreamFamilies(w, view);
    writeBackendFamilies(w, view);
    return w.take();
}

} // namespace lab
