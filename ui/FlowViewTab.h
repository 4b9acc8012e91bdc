#pragma once

#include "lab/BackendId.h"

#include <QWidget>

namespace lab {

class BackendTableModel;
class FlowView;
class Lab;
class LoadGenerator;
class TimeControls;

// The window's Flow tab: the time controls above the flow view, wired to one lab. It knows where the lab
// keeps the HTTP proxy's lifecycle stream and trace, and turns the pool's backend ids (what the events
// carry) into the lab's BackendIds, so the window only forwards its refresh tick and answers backendClicked.
class FlowViewTab final : public QWidget {
    Q_OBJECT
public:
    FlowViewTab(Lab* lab, LoadGenerator* generator, QWidget* parent = nullptr);

    // One tick of the window's timer, with the board's freshly refreshed rows (the cards read them).
    void refresh(const BackendTableModel& board);
    bool isPaused() const;
    FlowView* view() const { return m_view; }
    TimeControls* controls() const { return m_controls; }

Q_SIGNALS:
    void pausedChanged(bool paused);
    // A backend node was clicked.
    void backendClicked(BackendId id);

private:
    Lab* m_lab;
    TimeControls* m_controls;
    FlowView* m_view;
};

} // namespace lab
