#include "VerticalScrollArea.h"

#include <QScrollBar>

namespace lab {

VerticalScrollArea::VerticalScrollArea(QWidget* page, QWidget* parent)
    : QScrollArea(parent)
{
    setWidget(page);
    setWidgetResizable(true);
    setFrameShape(QFrame::NoFrame);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
}

QSize VerticalScrollArea::minimumSizeHint() const
{
    const QSize area = QScrollArea::minimumSizeHint();
    const int page = widget()->minimumSizeHint().width() + verticalScrollBar()->sizeHint().width();
    return {qMax(area.width(), page), area.height()};
}

GiveWayArea::GiveWayArea(QWidget* page, int minimumWidth, QWidget* parent)
    : QScrollArea(parent)
    , m_minimumWidth(minimumWidth)
{
    setWidget(page);
    setWidgetResizable(true);
    setFrameShape(QFrame::NoFrame);
}

QSize GiveWayArea::minimumSizeHint() const
{
    const QSize page = widget()->minimumSizeHint();
    return {qMin(page.width(), m_minimumWidth), page.height() + horizontalScrollBar()->sizeHint().height()};
}

QSize GiveWayArea::sizeHint() const
{
    return widget()->sizeHint();
}

} // namespace lab
