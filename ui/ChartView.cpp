#include "ChartView.h"

#include <QChart>
#include <QPainter>
#include <QValueAxis>

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
        for (const ChartMarker& m : std::as_const(m_markers)) {
            const double x = m.seconds - m_now;
            if (x < m_x->min() || x > m_x->max())
                continue;
            const double px = plot.left() + (x - m_x->min()) / span * plot.width();
            QPen pen(QColor(0x55, 0x55, 0x55));
            pen.setStyle(Qt::DashLine);
            pen.setWidthF(1);
            painter->setPen(pen);
            painter->drawLine(QPointF(px, plot.top()), QPointF(px, plot.bottom()));
            // The label runs down the right side of the line from the top of the plot.
            const QString text = fm.elidedText(m.label, Qt::ElideRight, plot.height() - 4);
            painter->save();
            painter->translate(px + 2, plot.top() + 2);
            painter->rotate(90);
            // On a translucent white ground, so the label reads over a coloured band too.
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
