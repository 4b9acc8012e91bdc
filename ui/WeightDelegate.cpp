#include "WeightDelegate.h"

#include "config/ConfigSchema.h"

#include <QSpinBox>

namespace lab {

QWidget* WeightDelegate::createEditor(QWidget* parent, const QStyleOptionViewItem&, const QModelIndex&) const
{
    const schema::Range weights = schema::rangeOf(&BackendConfig::weight);
    auto* editor = new QSpinBox(parent);
    editor->setObjectName(QStringLiteral("weightEditor"));
    editor->setFrame(false);
    editor->setRange(int(weights.min), int(weights.max));
    return editor;
}

} // namespace lab
