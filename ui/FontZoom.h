#pragma once

#include <QFont>

class QWidget;

namespace lab {

// A zoom for a projector: a widget's font (the window's views) is its starting font times a factor, and
// every widget inside inherits it (menus too: they are windows of their own, so they are told to). Widgets
// that draw in a graphics scene or set a font of their own follow through QEvent::FontChange. The
// factor is kept in QSettings view/zoom and read back by the next window.
class FontZoom final {
public:
    static constexpr double kMin = 0.8;
    static constexpr double kMax = 2.5;

    explicit FontZoom(QWidget* window);

    double factor() const { return m_factor; }
    // Clamped to kMin..kMax; applied to the window and saved.
    void set(double factor);
    // Steps of ~15 % rounded to 5 %, so a few steps in and as many out meet at 1 again.
    void in() { set(step(m_factor * 1.15)); }
    void out() { set(step(m_factor / 1.15)); }
    // The saved factor (1 when none is saved).
    void restore();

private:
    static double step(double factor);

    QWidget* m_window;
    QFont m_base;
    double m_factor = 1;
};

} // namespace lab
