#include "FollowTail.h"

#include <QAbstractScrollArea>
#include <QPushButton>
#include <QScrollBar>

namespace lab {

FollowTail::FollowTail(QAbstractScrollArea* area, QPushButton* jump)
    : QObject(area)
    , m_area(area)
    , m_jump(jump)
{
    QScrollBar* bar = m_area->verticalScrollBar();
    connect(bar, &QScrollBar::valueChanged, this, &FollowTail::userMoved);
    // The range grows after the append, when the list lays the new lines out: follow it there.
    connect(bar, &QScrollBar::rangeChanged, this, [this] {
        if (m_following)
            scrollToEnd();
    });
    m_jump->hide();
    connect(m_jump, &QPushButton::clicked, this, &FollowTail::scrollToEnd);
}

void FollowTail::aboutToAdd()
{
    m_ours = true;
}

void FollowTail::added(int count)
{
    m_ours = false;
    if (m_following) {
        scrollToEnd();
    } else {
        m_unseen += count;
        updateJump();
    }
}

void FollowTail::scrollToEnd()
{
    const bool was = m_ours;
    m_ours = true;
    QScrollBar* bar = m_area->verticalScrollBar();
    bar->setValue(bar->maximum());
    m_ours = was;
    m_following = true;
    m_unseen = 0;
    updateJump();
}

void FollowTail::userMoved(int value)
{
    if (m_ours)
        return;
    const QScrollBar* bar = m_area->verticalScrollBar();
    m_following = value >= bar->maximum();
    if (m_following)
        m_unseen = 0;
    updateJump();
}

void FollowTail::updateJump()
{
    const bool show = !m_following && m_unseen > 0;
    if (show)
        m_jump->setText(tr("%n new ↓", nullptr, m_unseen));
    if (m_jump->isVisibleTo(m_jump->parentWidget()) != show)
        m_jump->setVisible(show);
}

} // namespace lab
