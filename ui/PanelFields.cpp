#include "PanelFields.h"

#include <QCheckBox>
#include <QCoreApplication>
#include <QSpinBox>

namespace lab {

QSpinBox* makeSpinBox(int min, int max, int value, const QString& suffix, const QString& tip)
{
    auto* s = new QSpinBox;
    s->setRange(min, max);
    s->setValue(value);
    s->setSuffix(suffix);
    s->setToolTip(tip);
    s->setKeyboardTracking(false); // valueChanged on Enter / arrows / focus out, not on every digit
    s->setAccelerated(true);
    return s;
}

QCheckBox* makeCheckBox(const QString& text, const QString& tip)
{
    auto* c = new QCheckBox(text);
    c->setToolTip(tip);
    return c;
}

QString noHttpListenerText()
{
    return QCoreApplication::translate("lab::Panels",
                                       "<b>No HTTP listener</b> in this lab (its listeners relay TCP): the "
                                       "console and the traffic generator send HTTP. Add a listener with "
                                       "\"kind\": \"http\" to the lab's config to use them.");
}

} // namespace lab
