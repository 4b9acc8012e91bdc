#pragma once

#include <QObject>
#include <array>

class QTableView;
class QWidget;

namespace lab {

// Fits the trace list's columns to its width, so the list never scrolls sideways (trial 5: "Served by"
// was cut to "backend-1…" on every row in the side tab, and Ctrl+End scrolled the Time column out of
// view). The columns a reader identifies a request by keep their whole text: Time, Status, ms and Served
// by. Method comes next; the path takes what is left, elided in the middle; the attempts column (the
// details pane below says it whole) is hidden first when there is no room, then the method. Widths come
// from the widest value seen (measured once per new row, not per tick) and are set only when they change.
class TraceColumns final : public QObject {
    Q_OBJECT
public:
    // Takes over `view`'s horizontal header; `view` must have a TraceModel.
    explicit TraceColumns(QTableView* view);
    Q_DISABLE_COPY_MOVE(TraceColumns)

    void fit();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void measure(int first, int last);
    void remeasure();

    QTableView* m_view;
    QWidget* m_viewport; // kept for the event filter's comparison (the view may be half destroyed)
    std::array<int, 7> m_widest{}; // per TraceModel::Column, text only
};

} // namespace lab
