#pragma once

#include <QStyledItemDelegate>

namespace lab {

// Edits a backend's weight on the board with a spin box that offers exactly the config schema's range,
// so the board cannot be given a weight the config would refuse to load. The cell says it can be edited
// (a framed value with a pencil mark; one click opens the editor, the window wires that), and the editor
// is made wide enough that its arrows sit beside the value instead of over it (trial 5: "double-click
// only; the spinbox arrows cover the value" in the narrow Wt column).
class WeightDelegate final : public QStyledItemDelegate {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WeightDelegate)
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    void updateEditorGeometry(QWidget* editor, const QStyleOptionViewItem& option,
                              const QModelIndex& index) const override;
    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

} // namespace lab
