#include "ChartView.h"

#include <QChart>
#include <QPainter>
#include <QValueAxis>
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

void ChartView::setEmptyText(const QString& text)
{
    if (text == m_emptyText)
        return;
    m_emptyText = text;
    viewport()->update();
}

void ChartView::drawForeground(QPainter* painter, const QRectF& rect)
{
    QChartView::drawForeground(painter, rect);
    const QRectF plot = chart()->mapToScene(chart()->plotArea()).boundingRect();
    painter->save();
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.8);
    painter->setFont(small);
    if (!m_emptyText.isEmpty()) {
        painter->setPen(palette().color(QPalette::WindowText));
        painter->drawText(plot, Qt::AlignCenter | Qt::TextWordWrap, m_emptyText);
    }
    if (m_x && m_x->max() > m_x->min()) {
        const double span = m_x->max() - m_x->min();
        const QFontMetricsF fm(small);
        QPen pen(QColor(0x55, 0x55, 0x55));
        pen.setStyle(Qt::DashLine);
        pen.setWidthF(1);
        // Newest first: when markers crowd (four backends going DOWN within a second), the newest label
        // is drawn and the ones it would overwrite keep their line only; the event log has every one.
        double labelLeft = std::numeric_limits<double>::max();
        for (auto it = m_markers.crbegin(); it != m_markers.crend(); ++it) {
            const double x = it->seconds - m_now;
            if (x < m_x->min() || x > m_x->max())
                continue;
            const double px = plot.left() + (x - m_x->min()) / span * plot.width();
            painter->setPen(pen);
            painter->drawLine(QPointF(px, plot.top()), QPointF(px, plot.bottom()));
            if (px + fm.height() + 2 > labelLeft)
                continue;
            labelLeft = px;
            // The label runs down the right side of the line from the top of the plot, on a translucent
            // white ground so it reads over a coloured band too.
            const QString text = fm.elidedText(it->label, Qt::ElideRight, plot.height() - 4);
            painter->save();
            painter->translate(px + 2, plot.top() + 2);
            painter->rotate(90);
            const QRectF box(0, -fm.ascent() - 3, fm.horizontalAdvance(text) + 2, fm.height());
            painter->fillRect(box, QColor(255, 255, 255, 190));
            painter->setPen(QColor(0x33, 0x33, 0x33));
            painter->drawText(QPointF(1, -3), text);
            painter->restore();
        }
    }
    painter->restore();
}

} // namespace lab
