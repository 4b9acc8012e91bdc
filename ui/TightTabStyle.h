#pragma once

#include <QProxyStyle>

class QTabWidget;

namespace lab {

// The application's style with narrower padding beside a tab's title, for a tab row that must show
// every title whole in little width: the side tabs (Backend … Health) get ~310 px at 1024 px with the
// lesson dock, and the style's padding made them 328 px, "Healt" cut at the edge (re-trial). The title
// itself is never elided by it; only the space around it shrinks.
class TightTabStyle final : public QProxyStyle {
    Q_OBJECT
public:
    static constexpr int kTitlePaddingPx = 12; // both sides together; the common style's is 24

    // Installs the style on `tabs`' tab bar (owned by the bar).
    static void apply(QTabWidget* tabs);
    int pixelMetric(PixelMetric metric, const QStyleOption* option = nullptr,
                    const QWidget* widget = nullptr) const override;
};

} // namespace lab
