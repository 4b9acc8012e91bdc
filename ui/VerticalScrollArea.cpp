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

} // namespace lab
