#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <cstdint>
#include <utility>

namespace lab {

struct AdminView;
struct LatencySummary;

// The Content-Type of GET /metrics: the Prometheus text format, version 0.0.4.
inline constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// The lab's metrics in the Prometheus text exposition format 0.0.4: every family with # HELP and # TYPE,
// base units (seconds, bytes), counters ending in _total, `promtool check metrics` clean. docs/admin.md
// lists every family. Counters are the proxy's own (per-worker shards summed at the moment the view was
// taken), so they only grow while the lab runs; Reset in the window or File > Open starts them again at 0,
// which Prometheus reads as a counter reset.
//
// Latency histograms use exact edges of LatencyHistogram's buckets (powers of two of microseconds, from
// 256 µs to 33.6 s), so every le is a true upper bound; a finer edge such as 1 ms would fall inside a
// bucket and could only be estimated.
QByteArray prometheusExposition(const AdminView& view);

// Writes one metric family at a time. Label values are escaped as the format requires (\\, \", \n).
class PrometheusWriter final {
public:
    using Labels = QList<std::pair<const char*, QString>>;

    // Starts a family; `type` is counter, gauge or histogram.
    void family(const char* name, const char* type, const char* help);
    void sample(const char* name, const Labels& labels, double value);
    void sample(const char* name, const Labels& labels, std::uint64_t value);
    // name_bucket{...,le=...}, name_sum (seconds), name_count from a latency summary.
    void histogram(const char* name, const Labels& labels, const LatencySummary& latency);
    QByteArray take() { return std::move(m_out); }

    static QByteArray escapeLabelValue(const QString& value);
    // The le edges of every latency histogram, in µs (each an edge of a LatencyHistogram bucket).
    static QList<quint64> latencyEdgesMicros();

private:
    void writeSeries(const char* name, const Labels& labels, const char* extraName = nullptr,
                     const QByteArray& extraValue = {});
    QByteArray m_out;
};

} // namespace lab
