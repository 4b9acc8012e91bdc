#include "FontZoom.h"

#include <QMenu>
#include <QSettings>
#include <QWidget>
#include <algorithm>
#include <cmath>

namespace lab {

namespace {
const QString kKey = QStringLiteral("view/zoom");
}

FontZoom::FontZoom(QWidget* window)
    : m_window(window)
    , m_base(window->font())
{
}

double FontZoom::step(double factor)
{
    return std::round(factor * 20) / 20;
}

void FontZoom::set(double factor)
{
    m_factor = std::clamp(factor, kMin, kMax);
    QFont f = m_base;
    f.setPointSizeF(m_base.pointSizeF() * m_factor);
    for (QMenu* menu : m_window->findChildren<QMenu*>())
        menu->setAttribute(Qt::WA_WindowPropagation);
    m_window->setFont(f);
    QSettings().setValue(kKey, m_factor);
}

void FontZoom::restore()
{
    set(QSettings().value(kKey, 1.0).toDouble());
}

} // namespace lab
