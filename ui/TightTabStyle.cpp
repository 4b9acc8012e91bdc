#include "TightTabStyle.h"

#include <QTabBar>
#include <QTabWidget>

namespace lab {

void TightTabStyle::apply(QTabWidget* tabs)
{
    auto* style = new TightTabStyle;
    style->setParent(tabs->tabBar());
    tabs->tabBar()->setStyle(style);
}

int TightTabStyle::pixelMetric(PixelMetric metric, const QStyleOption* option, const QWidget* widget) const
{
    if (metric == PM_TabBarTabHSpace)
        return qMin(QProxyStyle::pixelMetric(metric, option, widget), kTitlePaddingPx);
    return QProxyStyle::pixelMetric(metric, option, widget);
}

} // namespace lab
