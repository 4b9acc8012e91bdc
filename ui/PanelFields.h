#pragma once

#include "config/ConfigSchema.h"

#include <QSpinBox>
#include <QString>

class QCheckBox;

namespace lab {

// Small pieces the panels share: their spin boxes and check boxes are built the same way, and the
// console, the traffic generator and the proxy bar say the same thing in a lab without an HTTP listener.

// A spin box that reports a value once it is entered (Enter, arrows, focus out), not on every digit.
QSpinBox* makeSpinBox(int min, int max, int value, const QString& suffix, const QString& tip);
// A spin box for a config setting: the schema's range, the setting's default, the key's name as object name.
template <typename Section> QSpinBox* makeSpinBox(int Section::*member, const QString& suffix, const QString& tip)
{
    const schema::Key<Section>& key = schema::keyOf(member);
    QSpinBox* s = makeSpinBox(int(key.range.min), int(key.range.max), Section{}.*member, suffix, tip);
    s->setObjectName(QLatin1String(key.name));
    return s;
}
QCheckBox* makeCheckBox(const QString& text, const QString& tip);

// What the console, the traffic generator and the proxy bar say in a lab with TCP listeners only.
QString noHttpListenerText();

} // namespace lab
