#include "WeightDelegate.h"

#include "config/ConfigSchema.h"

#include <QPainter>
#include <QSpinBox>

namespace lab {

QWidget* WeightDelegate::createEditor(QWidget* parent, const QStyleOptionViewItem&, const QModelIndex&) const
{
    const schema::Range weights = schema::rangeOf(&BackendConfig::weight);
    auto* editor = new QSpinBox(parent);
    editor->setObjectName(QStringLiteral("weightEditor"));
    editor->setRange(int(weights.min), int(weights.max));
    editor->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    editor->setToolTip(
        tr("Weight %1-%2: Enter applies it to the next pick, Esc cancels.").arg(weights.min).arg(weights.max));
    return editor;
}

void WeightDelegate::updateEditorGeometry(QWidget* editor, const QStyleOptionViewItem& option, const QModelIndex&) const
{
    // As wide as the spin box needs for its largest value and its arrows, over the next cells if the
    // column is narrower; kept inside the view.
    QRect r = option.rect;
    const int need = editor->sizeHint().width();
    if (r.width() < need)
        r.setWidth(need);
    if (const QWidget* area = editor->parentWidget(); area && r.right() > area->width())
        r.moveRight(area->width() - 1);
    editor->setGeometry(r);
}

void WeightDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    QStyledItemDelegate::paint(painter, option, index);
    // An input field's look: a light frame and a pencil at the left, so the cell reads "click to change".
    painter->save();
    const bool selected = option.state & QStyle::State_Selected;
    const QColor ink = selected ? option.palette.color(QPalette::HighlightedText) : QColor(0x2f, 0x6f, 0xd0);
    painter->setPen(QPen(ink, 1, Qt::DotLine));
    painter->setBrush(Qt::NoBrush);
    painter->drawRoundedRect(QRectF(option.rect).adjusted(1.5, 2.5, -1.5, -2.5), 2, 2);
    painter->setPen(ink);
    QFont small = option.font;
    small.setPointSizeF(small.pointSizeF() * 0.8);
    painter->setFont(small);
    painter->drawText(option.rect.adjusted(3, 0, 0, 0), Qt::AlignLeft | Qt::AlignVCenter, QStringLiteral("✎"));
    painter->restore();
}

} // namespace lab
