#pragma once

#include <QObject>

class QAbstractScrollArea;
class QPushButton;

namespace lab {

// Keeps a list that grows at the bottom (the Events log, the trace list) scrolled to its newest line while
// the user has not scrolled up, and says what arrived meanwhile when they have: a "N new ↓" button that
// jumps back to the end and follows again. The list's own auto-scroll is not trusted: QPlainTextEdit stops
// following as soon as its last (wrapped) line is not wholly in view, which left the log on an old event
// while a backend's circuit opened (trial 5). Whether the user scrolled away is read from the scroll bar's
// value after every change the owner did not make; the owner brackets its own appends with
// aboutToAdd()/added() so a clamp or a layout pass is never taken for the user's choice.
class FollowTail final : public QObject {
    Q_OBJECT
public:
    // `jump` is shown only while there are unseen lines; clicking it scrolls to the end.
    FollowTail(QAbstractScrollArea* area, QPushButton* jump);
    Q_DISABLE_COPY_MOVE(FollowTail)

    void aboutToAdd();
    // `count` lines were added at the end.
    void added(int count);
    bool isFollowing() const { return m_following; }
    int unseen() const { return m_unseen; }
    void scrollToEnd();

private:
    void userMoved(int value);
    void updateJump();

    QAbstractScrollArea* m_area;
    QPushButton* m_jump;
    bool m_following = true;
    bool m_ours = false; // inside the owner's append: scroll bar moves are not the user's
    int m_unseen = 0;
};

} // namespace lab
