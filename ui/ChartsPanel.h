#pragma once

#include <QHash>
#include <QWidget>

class QChart;
class QChartView;
class QLineSeries;
class QPieSeries;
class QValueAxis;

namespace lab {

class MetricsHistory;

// Three live charts over the last 60 s, fed from the metrics history twice a second: requests/s per
// backend, the proxy's latency p50 and p99, and each backend's share of requests since the last reset.
class ChartsPanel final : public QWidget {
    Q_OBJECT
public:
    static constexpr int kSpanSeconds = 60;

    explicit ChartsPanel(QWidget* parent = nullptr);

    // Adds one point per series at `seconds` (a monotonic clock in seconds).
    void addSample(const MetricsHistory& history, double seconds);
    // Clears the lines and starts counting the share from now.
    void reset();

    int seriesCount() const { return int(m_rateSeries.size()); }
    // The request count per backend name the share chart is showing.
    QHash<QString, quint64> shares() const;

private:
    struct Line {
        QLineSeries* series = nullptr;
        QList<QPointF> points;
    };
    QLineSeries* rateSeriesFor(int id, const QString& name);
    static void trim(QList<QPointF>& points, double from);

    QChart* m_rateChart;
    QValueAxis* m_rateX;
    QValueAxis* m_rateY;
    QChart* m_latencyChart;
    QValueAxis* m_latencyX;
    QValueAxis* m_latencyY;
    Line m_p50;
    Line m_p99;
    QPieSeries* m_share;
    QHash<int, Line> m_rateSeries; // by backend id
    QHash<int, quint64> m_baseline; // requests per backend id at the last reset
    QHash<int, QString> m_names;
    bool m_needBaseline = true;
    QWidget* m_resetButton;
};

} // namespace lab
