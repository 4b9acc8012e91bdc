#pragma once

#include "MetricsHistory.h"
#include "RequestTrace.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

namespace lab::exports {

// The window's File > Export writers, as pure functions from the metrics history and the trace to the
// bytes of a file, so that every format is testable headless and the same bytes come out of any caller.
// CSV follows RFC 4180: CRLF line ends, a header row, a field quoted when it holds a comma, a quote, CR
// or LF, and a quote inside a quoted field doubled. JSON is one object with a "format" and a "version"
// key, so a reader can tell the files apart. docs/exports.md documents every column and key.
// Figures count from the history's baseline (the window's Reset) when it has one, never from before it.

inline constexpr int kFormatVersion = 1;

// One interval between two consecutive snapshots of the history, for one backend (id >= 0) or for the
// listener (id -1, name "listener"): what happened in that interval only.
struct TimeSeriesRow {
    qint64 endMs = 0; // the interval's end on the snapshots' steady clock
    double seconds = 0; // the end relative to the latest snapshot (<= 0), as on the charts' x axis
    qint64 intervalMs = 0;
    int backendId = -1;
    QString backend;
    std::uint64_t requests = 0;
    double requestsPerSecond = 0;
    double p50Ms = 0; // 0 for an interval without requests
    double p99Ms = 0;
    std::uint64_t errors = 0; // 5xx or no response
};

// Rows interval by interval (the listener first, then the backends in the snapshot's order); intervals
// that end at or before the baseline are left out, and one that straddles it starts at the baseline.
QList<TimeSeriesRow> timeSeries(const MetricsHistory& history);
QByteArray timeSeriesCsv(const MetricsHistory& history);
QByteArray timeSeriesJson(const MetricsHistory& history);

QByteArray traceCsv(const QList<TraceEntry>& entries);
QByteArray traceJson(const QList<TraceEntry>& entries);

// Totals, each backend's share of the backends' requests, percentiles and errors by class, since the
// baseline (or since the counters started without one).
QByteArray summaryCsv(const MetricsHistory& history);
QByteArray summaryJson(const MetricsHistory& history);

// One CSV field, quoted only when RFC 4180 requires it.
QByteArray csvField(const QString& value);
QByteArray csvRow(const QStringList& fields);
// Splits RFC 4180 text into rows of fields (quoted fields may hold CRLF); for the tests and for readers.
QList<QStringList> parseCsv(const QByteArray& text);

} // namespace lab::exports
