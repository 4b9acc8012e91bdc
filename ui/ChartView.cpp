#include "ChartView.h"

#include <QChart>
#include <QHelpEvent>
#include <QPainter>
#include <QToolTip>
#include <QValueAxis>
#include <cmath>
#include <limits>

namespace lab {

ChartView::ChartView(QChart* chart, QValueAxis* xAxis, QWidget* parent)
    : QChartView(chart, parent)
    , m_x(xAxis)
{
    setRenderHint(QPainter::Antialiasing);
}

void ChartView::setMarkers(const QList<ChartMarker>& markers, double now)
{
    if (markers == m_markers && now == m_now)
        return;
    m_markers = markers;
    m_now = now;
    viewport()->update();
}

void ChartView::setGaps(const QList<ChartGap>& gaps)
{
    if (gaps == m_gaps)
        return;
    m_gaps = gaps;
    viewport()->update();
}

void ChartView::setEmptyText(const QString& text)
{
    if (text == m_emptyText)
        return;
    m_emptyText = text;
    viewport()->update();
}

namespace {
QFont markerFont(const QFont& base)
{
    QFont small = base;
    small.setPointSizeF(small.pointSizeF() * 0.8);
    return small;
}
} // namespace

QList<ChartView::Placed> ChartView::placedMarkers() const
{
    QList<Placed> out;
    if (!m_x || m_x->max() <= m_x->min())
        return out;
    const QRectF plot = mapFromScene(chart()->mapToScene(chart()->plotArea())).boundingRect();
    const double span = m_x->max() - m_x->min();
    const QFontMetricsF fm(markerFont(font()));
    constexpr double kGap = 4; // between two labels, so neighbours read as two
    // Newest first: when markers crowd (four backends going DOWN within a second), the newest label
    // is drawn and the ones it would touch keep their line only; the tooltip and event log have them.
    double labelLeft = std::numeric_limits<double>::max();
    for (auto it = m_markers.crbegin(); it != m_markers.crend(); ++it) {
        const double x = it->seconds - m_now;
        if (x < m_x->min() || x > m_x->max())
            continue;
        Placed p;
        p.x = plot.left() + (x - m_x->min()) / span * plot.width();
        p.label = it->label;
        // The label runs down the right side of the line from the top of the plot: rotated, its box is
        // fm.height() wide and as tall as its text.
        const double right = p.x + 2 + fm.height();
        if (right + kGap <= labelLeft) {
            const QString text = fm.elidedText(it->label, Qt::ElideRight, plot.height() - 4);
            p.labelBox = QRectF(p.x + 2, plot.top() + 2, fm.height(), fm.horizontalAdvance(text) + 2);
            labelLeft = p.labelBox.left();
        }
        out << p;
    }
    return out;
}

void ChartView::drawForeground(QPainter* painter, const QRectF& rect)
{
    QChartView::drawForeground(painter, rect);
    const QRectF plot = chart()->mapToScene(chart()->plotArea()).boundingRect();
    painter->save();
    const QFont small = markerFont(font());
    painter->setFont(small);
    if (!m_emptyText.isEmpty()) {
        painter->setPen(palette().color(QPalette::WindowText));
        painter->drawText(plot, Qt::AlignCenter | Qt::TextWordWrap, m_emptyText);
    }
    const QFontMetricsF fm(small);
    if (m_x && m_x->max() > m_x->min()) {
        // A paused span: hatched, named, and nothing drawn across it (the series have no points there).
        const double span = m_x->max() - m_x->min();
        for (const ChartGap& g : std::as_const(m_gaps)) {
            const double from = std::max(m_x->min(), g.from - m_now);
            const double to = std::min(m_x->max(), g.to - m_now);
            if (to <= from)
                continue;
            const QRectF box(plot.left() + (from - m_x->min()) / span * plot.width(), plot.top(),
                             (to - from) / span * plot.width(), plot.height());
            painter->fillRect(box, QBrush(QColor(0x90, 0x90, 0x90, 70), Qt::BDiagPattern));
            const QString label = tr("paused");
            if (fm.horizontalAdvance(label) + 4 <= box.width()) {
                painter->setPen(QColor(0x55, 0x55, 0x55));
                painter->drawText(box.adjusted(2, 2, -2, -2), Qt::AlignHCenter | Qt::AlignTop, label);
            }
        }
    }
    QPen pen(QColor(0x55, 0x55, 0x55));
    pen.setStyle(Qt::DashLine);
    pen.setWidthF(1);
    // placedMarkers() is in viewport pixels; the scene is drawn 1:1 from the view's origin.
    const QPointF toScene = mapToScene(QPoint(0, 0));
    for (const Placed& p : placedMarkers()) {
        const double px = p.x + toScene.x();
        painter->setPen(pen);
        painter->drawLine(QPointF(px, plot.top()), QPointF(px, plot.bottom()));
        if (p.labelBox.isEmpty())
            continue;
        // On a translucent white ground so it reads over a coloured band too.
        const QString text = fm.elidedText(p.label, Qt::ElideRight, plot.height() - 4);
        painter->fillRect(p.labelBox.translated(toScene), QColor(255, 255, 255, 190));
        painter->save();
        painter->translate(p.labelBox.left() + toScene.x(), p.labelBox.top() + toScene.y());
        painter->rotate(90);
        painter->setPen(QColor(0x33, 0x33, 0x33));
        painter->drawText(QPointF(1, -fm.descent()), text);
        painter->restore();
    }
    painter->restore();
}

bool ChartView::viewportEvent(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        const QPoint pos = static_cast<QHelpEvent*>(event)->pos();
        QStringList near;
        for (const Placed& p : placedMarkers())
            if (std::abs(p.x - pos.x()) <= 4 || p.labelBox.contains(pos))
                near << p.label;
        if (!near.isEmpty()) {
            QToolTip::showText(static_cast<QHelpEvent*>(event)->globalPos(), near.join(QLatin1Char('\n')), this);
            return true;
        }
    }
    return QChartView::viewportEvent(event);
}

} // namespace lab
