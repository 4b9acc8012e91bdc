#pragma once

#include "ChartView.h"
#include "SavePathPrompt.h"
#include "metrics/Metrics.h"

#include <QHash>
#include <QList>
#include <QMap>
#include <QPen>
#include <QPointF>
#include <QWidget>
#include <deque>

class QAreaSeries;
class QChart;
class QLabel;
class QLineSeries;
class QPieSeries;
class QScatterSeries;
class QValueAxis;

namespace lab {

class MetricsHistory;

// Three live charts over the last 60 s, fed from the metrics history twice a second, drawn so that they
// cannot mislead:
// - requests/s per backend as stacked bands with the total on top: three equal rates are three equal
//   bands, not three lines drawn over each other in one colour;
// - the proxy's latency p50 and p99 over the last second, one segment per run of seconds with at least
//   kLineMinRequests requests: an idle gap has no latency, so no line is drawn across it. A sparser
//   second (1-5 req/s in slow motion) has no percentile worth a line: each of its requests is a dot at
//   its own latency, drawn once (from the requests new since the last sample), so a comb of one-sample
//   "percentiles" never appears. The time a request waited in step mode for the user is not in the
//   histogram (the proxy leaves it out) and the axis says so;
// - each backend's share of the requests since the history's baseline (the window's Reset); with none,
//   the chart says so instead of drawing a disc.
// A legend strip under the charts names every backend in full (it wraps; a chart legend elides), and
// markers (algorithm, weight, fault or state changed) are vertical lines on both time charts. The
// charts' fonts follow the panel's font, so the window's zoom scales them. Each chart's context menu
// saves it as a PNG (what is on screen, at the widget's size).
class ChartsPanel final : public QWidget {
    Q_OBJECT
public:
    static constexpr int kSpanSeconds = 60; // the most the time charts show; less while there is less data
    // Fewer requests than this in the last second: dots, one per request, instead of percentile lines.
    static constexpr int kLineMinRequests = 6;

    explicit ChartsPanel(QWidget* parent = nullptr);

    // Adds one sample at `seconds` (a monotonic clock in seconds).
    void addSample(const MetricsHistory& history, double seconds);
    // Clears the lines and the markers. The share counts from the history's baseline, which the owner of
    // the history sets (Reset asks it to, through resetRequested).
    void reset();
    // The share counts from now on, on top of the baseline: the pie is titled "Share since <label>" (a
    // lesson's step, so the pie counts what that step's checks count). reset() goes back to the baseline.
    void startShareAt(const QString& label);
    QString shareTitle() const;
    // A vertical line labelled `label` on the time charts at `seconds` (the addSample clock).
    void addMarker(double seconds, const QString& label);
    // The window stopped sampling (Pause): the next sample starts a new run, and the time between is a
    // gap, shaded and labelled on both time charts, with no band, line or area drawn across it.
    void pause();
    // The paused spans on the addSample clock, oldest first (those still within the charts' span).
    QList<ChartGap> gaps() const { return QList<ChartGap>(m_gaps.begin(), m_gaps.end()); }
    // The stacked bands' runs: one area series per backend and run between gaps.
    int rateRunCount() const;
    QList<ChartMarker> markers() const { return QList<ChartMarker>(m_markers.begin(), m_markers.end()); }

    // The seconds the time charts span now: 10, 20 or 30 while the samples cover less, then kSpanSeconds.
    double shownSpanSeconds() const;
    ChartView* rateView() const { return m_rateView; }
    int seriesCount() const { return int(m_bands.size()); }
    // The request count per backend name the share chart is showing.
    QHash<QString, quint64> shares() const;
    // What the share chart says instead of a pie (no requests); empty while it shows one.
    QString shareEmptyText() const;
    // The p50 (or p99) line's segments, points on the addSample clock.
    QList<QList<QPointF>> latencySegments(int percentile) const;
    // The sparse seconds' requests, one point each (its latency in ms), on the addSample clock.
    QList<QPointF> latencyDots() const { return m_dots; }
    // The stacked rate bands' upper edges by backend name, on the addSample clock.
    QList<QPointF> rateBandTop(const QString& backend) const;
    QWidget* legendStrip() const { return m_legend; }

    enum class Chart { Rate, Latency, Share };
    ChartView* chartView(Chart chart) const;
    // The chart (or the whole panel: the three charts and the legend) as drawn now, to a PNG file. False,
    // with the reason in *error, when the file cannot be written.
    bool saveChartPng(Chart chart, const QString& path, QString* error = nullptr);
    bool savePanelPng(const QString& path, QString* error = nullptr);
    // Where a chart's "Save as PNG…" writes; a file dialog by default.
    void setSavePathPrompt(SavePathPrompt prompt) { m_prompt = std::move(prompt); }

Q_SIGNALS:
    // The Reset button: whoever owns the history sets its baseline, then calls reset().
    void resetRequested();
    // "chart saved to …" or why not.
    void message(const QString& text);

protected:
    void changeEvent(QEvent* event) override;

private:
    struct Band {
        QString name;
        QList<QAreaSeries*> areas; // one per run of ticks between gaps; the first always exists
        QList<QPointF> top; // the band's upper edge, on the panel clock (every run, in order)
    };
    struct RateTick {
        double t = 0;
        QHash<int, double> rates; // by backend id
        bool runStart = false; // the first tick after a gap: no area joins it to the one before
    };
    struct LatencyLine {
        QPen pen;
        QList<QList<QPointF>> segments; // on the panel clock; the last one grows while requests arrive
        bool open = false; // the last sample had requests: the next one continues its segment
        QList<QLineSeries*> series; // one per segment; only the first has a legend entry
    };
    Band& bandFor(int id, const QString& name);
    QAreaSeries* makeArea(int id, const QString& name);
    QLineSeries* makeTotal();
    void updateRates(double t);
    void updateLatency(LatencyLine& line, double t);
    void updateDots(const MetricsHistory& history, bool sparse, double t);
    void updateShare(const MetricsHistory& history);
    void rebuildLegend();
    void applyFonts();
    void addSaveAction(Chart chart, const QString& suggested);

    QChart* m_rateChart;
    QValueAxis* m_rateX;
    QValueAxis* m_rateY;
    QList<QLineSeries*> m_totals; // the total's line, one per run; the first always exists
    QChart* m_latencyChart;
    QValueAxis* m_latencyX;
    QValueAxis* m_latencyY;
    QChart* m_shareChart;
    LatencyLine m_p50;
    LatencyLine m_p99;
    QScatterSeries* m_dotSeries;
    QList<QPointF> m_dots; // on the panel clock
    LatencySummary m_seen; // the proxy's histogram at the last sample: what is new since then is a dot
    QPieSeries* m_share;
    ChartView* m_rateView;
    ChartView* m_latencyView;
    ChartView* m_shareView;
    QWidget* m_legend;
    QString m_legendKey; // the names the legend shows, to rebuild it only when they change
    QMap<int, Band> m_bands; // by backend id: the stacking order
    std::deque<RateTick> m_ticks;
    std::deque<ChartMarker> m_markers;
    std::deque<ChartGap> m_gaps;
    bool m_paused = false; // pause() was called and no sample came since
    double m_now = 0;
    bool m_sinceReset = false;
    QString m_shareLabel; // startShareAt's label; empty: since the baseline
    bool m_shareOffsetPending = false; // the next sample sets m_shareOffset
    QHash<int, quint64> m_shareOffset; // by backend id: requests since the baseline when the label began
    SavePathPrompt m_prompt;
};

} // namespace lab
