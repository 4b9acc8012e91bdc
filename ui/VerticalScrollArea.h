#pragma once

#include <QScrollArea>

namespace lab {

// A tab page that scrolls up and down rather than set the window's minimum height: the Backend tab's
// knobs alone need ~520 px at 1.3x zoom, more than the tabs get in a 720 px high window beside the event
// log. Sideways it never scrolls (a knob cut off at the right edge would go unseen): the area is at
// least as wide as its page needs beside the scroll bar, at any zoom.
class VerticalScrollArea final : public QScrollArea {
public:
    explicit VerticalScrollArea(QWidget* page, QWidget* parent = nullptr);
    QSize minimumSizeHint() const override;
};

} // namespace lab
