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

// A pane of the main splitter that lets the window be narrower than its page needs: below the page's
// minimum width it scrolls sideways instead of pushing the window past the screen. Without it the main
// area needed 976 px and a 1024 px window with the lesson dock grew to 1097 px (trial 3). Above the
// page's minimum it is the page, no scroll bar.
class GiveWayArea final : public QScrollArea {
public:
    GiveWayArea(QWidget* page, int minimumWidth, QWidget* parent = nullptr);
    QSize minimumSizeHint() const override;
    QSize sizeHint() const override;

private:
    int m_minimumWidth;
};

} // namespace lab
