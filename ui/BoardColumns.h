#pragma once

#include <QObject>

class QTableView;
class QWidget;

namespace lab {

// Fits the board's columns to its width, so a 1024 px window never scrolls the board sideways: each column
// gets what its header and widest value need, and when that is more than there is room for, the less
// important columns (connections, p95, errors, ...) give way first, down to their widest value
// (their header elides; its tooltip says it whole). The name takes what is left, at least its own text,
// elided in the middle ("back…8001") with the full name in the cell's tooltip. Recomputed when the view is
// resized, its font changes (zoom) or a value gets wider; sections are set only when a width changes.
class BoardColumns final : public QObject {
    Q_OBJECT
public:
    // Takes over `view`'s horizontal header (fixed sections); `view` must have its model set.
    explicit BoardColumns(QTableView* view);
    Q_DISABLE_COPY_MOVE(BoardColumns)

    void fit();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    QTableView* m_view;
    QWidget* m_viewport; // the view's viewport, kept for the event filter's comparison
};

} // namespace lab
