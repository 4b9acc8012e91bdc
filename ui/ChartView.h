#pragma once

#include <QChartView>
#include <QList>
#include <QRectF>
#include <QString>

class QValueAxis;

namespace lab {

// A moment worth a vertical line on the time charts: the algorithm, a weight, a fault or a backend's
// state changed. `seconds` is on the charts' clock (ChartsPanel::addSample's).
struct ChartMarker {
    double seconds = 0;
    QString label;
    bool operator==(const ChartMarker&) const = default;
};

// A span the charts have no samples for (the window was paused): shaded, never bridged by a line.
struct ChartGap {
    double from = 0;
    double to = 0;
    bool operator==(const ChartGap&) const = default;
};

// A chart view that draws what a QChart has no item for: dashed vertical markers with a short label
// (written down along the line; a label that would touch a newer one is left out, its line kept and its
// text in the line's tooltip, so labels never print over each other), and, when
// the chart has nothing to show, one sentence in the middle instead of a misleading shape. Both are
// painted in the foreground, over the series, at the positions of the chart's x axis.
class ChartView final : public QChartView {
    Q_OBJECT
public:
    explicit ChartView(QChart* chart, QValueAxis* xAxis = nullptr, QWidget* parent = nullptr);

    // Markers at x = seconds - now (the charts show -60 s .. 0); those outside the axis are not drawn.
    void setMarkers(const QList<ChartMarker>& markers, double now);
    // Gaps at x = seconds - now, shaded and labelled "paused" (with the same `now` as the markers).
    void setGaps(const QList<ChartGap>& gaps);
    void setEmptyText(const QString& text);
    QString emptyText() const { return m_emptyText; }

    // Where each marker is drawn: its line's x, and the box of its label in viewport pixels (empty when
    // the label was left out because a newer one took its place). Newest first. Hovering a line shows
    // its full label, so a marker without one (or with an elided one) still says what it marks.
    struct Placed {
        double x = 0;
        QRectF labelBox;
        QString label;
    };
    QList<Placed> placedMarkers() const;

protected:
    void drawForeground(QPainter* painter, const QRectF& rect) override;
    bool viewportEvent(QEvent* event) override;

private:
    QValueAxis* m_x;
    QList<ChartMarker> m_markers;
    QList<ChartGap> m_gaps;
    double m_now = 0;
    QString m_emptyText;
};

} // namespace lab
