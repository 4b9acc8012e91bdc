#include "Export.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace lab::exports {

namespace {

std::uint64_t minus(std::uint64_t now, std::uint64_t then)
{
    return now >= then ? now - then : 0; // a counter that went back (an id reused) reads 0, not 2^64
}

QString number(double value, int decimals)
{
    return QString::number(value, 'f', decimals);
}

// The intervals worth exporting: each pair of consecutive snapshots after the baseline; the first one
// after it starts at the baseline itself.
QList<std::pair<const MetricsSnapshot*, const MetricsSnapshot*>> intervals(const MetricsHistory& history)
{
    QList<std::pair<const MetricsSnapshot*, const MetricsSnapshot*>> out;
    const std::deque<MetricsSnapshot>& s = history.snapshots();
    const MetricsSnapshot* baseline = history.baseline();
    for (size_t i = 1; i < s.size(); ++i) {
        const MetricsSnapshot* from = &s[i - 1];
        const MetricsSnapshot* to = &s[i];
        if (baseline) {
            if (to->takenAtMs <= baseline->takenAtMs)
                continue;
            if (from->takenAtMs < baseline->takenAtMs)
                from = baseline;
        }
        if (to->takenAtMs > from->takenAtMs)
            out.append(std::pair{from, to});
    }
    return out;
}

TimeSeriesRow intervalRow(const TrafficStats& now, const TrafficStats* then, qint64 intervalMs)
{
    TimeSeriesRow row;
    row.intervalMs = intervalMs;
    row.requests = minus(now.requests, then ? then->requests : 0);
    row.errors = minus(now.errors(), then ? then->errors() : 0);
    row.requestsPerSecond = double(row.requests) * 1000.0 / double(intervalMs);
    LatencySummary latency = now.latency;
    if (then)
        latency.subtract(then->latency);
    row.p50Ms = latency.percentileMs(50);
    row.p99Ms = latency.percentileMs(99);
    return row;
}

struct SummaryRow {
    int id = -1;
    QString name;
    TrafficStats traffic;
    double share = 0; // of the backends' requests; 1 for the listener with any
};

QList<SummaryRow> summaryRows(const MetricsHistory& history)
{
    QList<SummaryRow> rows;
    if (history.isEmpty())
        return rows;
    rows.append({-1, QStringLiteral("listener"), history.sinceBaseline(-1), 0});
    std::uint64_t backendRequests = 0;
    for (const BackendStats& b : history.latest().backends) {
        rows.append({b.id, b.name, history.sinceBaseline(b.id), 0});
        backendRequests += rows.last().traffic.requests;
    }
    for (SummaryRow& r : rows) {
        if (r.id >= 0)
            r.share = backendRequests ? double(r.traffic.requests) / double(backendRequests) : 0;
        else
            r.share = backendRequests ? 1 : 0;
    }
    return rows;
}

const QStringList kClassKeys = {QStringLiteral("noResponse"), QStringLiteral("1xx"), QStringLiteral("2xx"),
                                QStringLiteral("3xx"),        QStringLiteral("4xx"), QStringLiteral("5xx")};

QJsonObject header(const char* kind, const MetricsHistory& history)
{
    QJsonObject o;
    o[QStringLiteral("format")] = QLatin1String(kind);
    o[QStringLiteral("version")] = kFormatVersion;
    o[QStringLiteral("sinceReset")] = history.hasBaseline();
    if (!history.isEmpty())
        o[QStringLiteral("takenAtMs")] = double(history.latest().takenAtMs);
    if (const MetricsSnapshot* b = history.baseline())
        o[QStringLiteral("resetAtMs")] = double(b->takenAtMs);
    return o;
}

QByteArray json(const QJsonObject& o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Indented);
}

} // namespace

QByteArray csvField(const QString& value)
{
    QByteArray bytes = value.toUtf8();
    if (!bytes.contains(',') && !bytes.contains('"') && !bytes.contains('\r') && !bytes.contains('\n'))
        return bytes;
    bytes.replace("\"", "\"\"");
    return '"' + bytes + '"';
}

QByteArray csvRow(const QStringList& fields)
{
    QByteArray row;
    for (qsizetype i = 0; i < fields.size(); ++i) {
        if (i)
            row += ',';
        row += csvField(fields[i]);
    }
    return row + "\r\n";
}

QList<QStringList> parseCsv(const QByteArray& text)
{
    const QString s = QString::fromUtf8(text);
    QList<QStringList> rows;
    QStringList row;
    QString field;
    bool quoted = false;
    bool any = false; // the current row has begun
    for (qsizetype i = 0; i < s.size(); ++i) {
        const QChar c = s[i];
        if (quoted) {
            if (c == QLatin1Char('"')) {
                if (i + 1 < s.size() && s[i + 1] == QLatin1Char('"')) {
                    field += c;
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                field += c;
            }
            continue;
        }
        any = true;
        if (c == QLatin1Char('"')) {
            quoted = true;
        } else if (c == QLatin1Char(',')) {
            row << field;
            field.clear();
        } else if (c == QLatin1Char('\r') || c == QLatin1Char('\n')) {
            if (c == QLatin1Char('\r') && i + 1 < s.size() && s[i + 1] == QLatin1Char('\n'))
                ++i;
            row << field;
            rows << row;
            row.clear();
            field.clear();
            any = false;
        } else {
            field += c;
        }
    }
    if (any || !field.isEmpty() || !row.isEmpty()) {
        row << field;
        rows << row;
    }
    return rows;
}

QList<TimeSeriesRow> timeSeries(const MetricsHistory& history)
{
    QList<TimeSeriesRow> rows;
    if (history.isEmpty())
        return rows;
    const qint64 latestMs = history.latest().takenAtMs;
    for (const auto& [from, to] : intervals(history)) {
        const qint64 span = to->takenAtMs - from->takenAtMs;
        auto add = [&](int id, const QString& name, const TrafficStats& now) {
            TimeSeriesRow row = intervalRow(now, MetricsHistory::find(*from, id), span);
            row.endMs = to->takenAtMs;
            row.seconds = double(to->takenAtMs - latestMs) / 1000.0;
            row.backendId = id;
            row.backend = name;
            rows.append(row);
        };
        add(-1, QStringLiteral("listener"), to->listener);
        for (const BackendStats& b : to->backends)
            add(b.id, b.name, b.traffic);
    }
    return rows;
}

QByteArray timeSeriesCsv(const MetricsHistory& history)
{
    QByteArray out = csvRow({QStringLiteral("seconds"), QStringLiteral("end_ms"), QStringLiteral("interval_ms"),
                             QStringLiteral("backend_id"), QStringLiteral("backend"), QStringLiteral("requests"),
                             QStringLiteral("requests_per_s"), QStringLiteral("p50_ms"), QStringLiteral("p99_ms"),
                             QStringLiteral("errors")});
    for (const TimeSeriesRow& r : timeSeries(history))
        out +=
            csvRow({number(r.seconds, 3), QString::number(r.endMs), QString::number(r.intervalMs),
                    QString::number(r.backendId), r.backend, QString::number(r.requests),
                    number(r.requestsPerSecond, 2), number(r.p50Ms, 3), number(r.p99Ms, 3), QString::number(r.errors)});
    return out;
}

QByteArray timeSeriesJson(const MetricsHistory& history)
{
    QJsonObject o = header("balancer-lab-timeseries", history);
    QJsonArray rows;
    for (const TimeSeriesRow& r : timeSeries(history)) {
        QJsonObject row;
        row[QStringLiteral("seconds")] = r.seconds;
        row[QStringLiteral("endMs")] = double(r.endMs);
        row[QStringLiteral("intervalMs")] = double(r.intervalMs);
        row[QStringLiteral("backendId")] = r.backendId;
        row[QStringLiteral("backend")] = r.backend;
        row[QStringLiteral("requests")] = double(r.requests);
        row[QStringLiteral("requestsPerSecond")] = r.requestsPerSecond;
        row[QStringLiteral("p50Ms")] = r.p50Ms;
        row[QStringLiteral("p99Ms")] = r.p99Ms;
        row[QStringLiteral("errors")] = double(r.errors);
        rows.append(row);
    }
    o[QStringLiteral("rows")] = rows;
    return json(o);
}

QByteArray traceCsv(const QList<TraceEntry>& entries)
{
    QByteArray out = csvRow({QStringLiteral("sequence"), QStringLiteral("time"), QStringLiteral("client"),
                             QStringLiteral("method"), QStringLiteral("path"), QStringLiteral("status"),
                             QStringLiteral("latency_ms"), QStringLiteral("served_by"), QStringLiteral("attempts"),
                             QStringLiteral("why"), QStringLiteral("token")});
    for (const TraceEntry& e : entries)
        out += csvRow({QString::number(e.sequence), e.time.toString(Qt::ISODateWithMs), e.client, e.method, e.path,
                       QString::number(e.status), number(e.latencyMs, 3), e.servedBy, e.attempts, e.why, e.token});
    return out;
}

QByteArray traceJson(const QList<TraceEntry>& entries)
{
    QJsonObject o;
    o[QStringLiteral("format")] = QStringLiteral("balancer-lab-trace");
    o[QStringLiteral("version")] = kFormatVersion;
    QJsonArray list;
    for (const TraceEntry& e : entries) {
        QJsonObject j;
        j[QStringLiteral("sequence")] = double(e.sequence);
        j[QStringLiteral("time")] = e.time.toString(Qt::ISODateWithMs);
        j[QStringLiteral("client")] = e.client;
        j[QStringLiteral("method")] = e.method;
        j[QStringLiteral("path")] = e.path;
        j[QStringLiteral("status")] = e.status;
        j[QStringLiteral("latencyMs")] = e.latencyMs;
        j[QStringLiteral("servedBy")] = e.servedBy;
        j[QStringLiteral("attempts")] = e.attempts;
        j[QStringLiteral("why")] = e.why;
        j[QStringLiteral("token")] = e.token;
        list.append(j);
    }
    o[QStringLiteral("entries")] = list;
    return json(o);
}

QByteArray summaryCsv(const MetricsHistory& history)
{
    QStringList head = {QStringLiteral("backend_id"), QStringLiteral("backend"), QStringLiteral("requests"),
                        QStringLiteral("share"),      QStringLiteral("p50_ms"),  QStringLiteral("p90_ms"),
                        QStringLiteral("p99_ms"),     QStringLiteral("errors"),  QStringLiteral("no_response")};
    for (int c = 1; c <= 5; ++c)
        head << QStringLiteral("%1xx").arg(c);
    head << QStringLiteral("retries") << QStringLiteral("connect_failures");
    QByteArray out = csvRow(head);
    for (const SummaryRow& r : summaryRows(history)) {
        const TrafficStats& t = r.traffic;
        QStringList row = {QString::number(r.id),
                           r.name,
                           QString::number(t.requests),
                           number(r.share, 4),
                           number(t.latency.percentileMs(50), 3),
                           number(t.latency.percentileMs(90), 3),
                           number(t.latency.percentileMs(99), 3),
                           QString::number(t.errors())};
        for (std::uint64_t n : t.responsesByClass)
            row << QString::number(n);
        row << QString::number(t.retries) << QString::number(t.connectFailures);
        out += csvRow(row);
    }
    return out;
}

QByteArray summaryJson(const MetricsHistory& history)
{
    QJsonObject o = header("balancer-lab-summary", history);
    auto stats = [](const SummaryRow& r) {
        const TrafficStats& t = r.traffic;
        QJsonObject j;
        j[QStringLiteral("requests")] = double(t.requests);
        j[QStringLiteral("share")] = r.share;
        j[QStringLiteral("errors")] = double(t.errors());
        QJsonObject classes;
        for (size_t c = 0; c < t.responsesByClass.size(); ++c)
            classes[kClassKeys[qsizetype(c)]] = double(t.responsesByClass[c]);
        j[QStringLiteral("responsesByClass")] = classes;
        j[QStringLiteral("retries")] = double(t.retries);
        j[QStringLiteral("connectFailures")] = double(t.connectFailures);
        QJsonObject latency;
        latency[QStringLiteral("p50Ms")] = t.latency.percentileMs(50);
        latency[QStringLiteral("p90Ms")] = t.latency.percentileMs(90);
        latency[QStringLiteral("p99Ms")] = t.latency.percentileMs(99);
        j[QStringLiteral("latency")] = latency;
        return j;
    };
    QJsonArray backends;
    for (const SummaryRow& r : summaryRows(history)) {
        if (r.id < 0) {
            o[QStringLiteral("total")] = stats(r);
            continue;
        }
        QJsonObject b = stats(r);
        b[QStringLiteral("id")] = r.id;
        b[QStringLiteral("name")] = r.name;
        backends.append(b);
    }
    if (!o.contains(QStringLiteral("total")))
        o[QStringLiteral("total")] = stats(SummaryRow{});
    o[QStringLiteral("backends")] = backends;
    return json(o);
}

} // namespace lab::exports
