#pragma once

#include <QStyledItemDelegate>

namespace lab {

// Edits a backend's weight on the board with a spin box that offers exactly the config schema's range,
// so the board cannot be given a weight the config would refuse to load.
class WeightDelegate final : public QStyledItemDelegate {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WeightDelegate)
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

} // namespace lab
