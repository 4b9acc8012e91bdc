#pragma once

#include <QString>

class QCheckBox;
class QSpinBox;

namespace lab {

// Small pieces the panels share: their spin boxes and check boxes are built the same way, and the
// console, the traffic generator and the proxy bar say the same thing in a lab without an HTTP listener.

// A spin box that reports a value once it is entered (Enter, arrows, focus out), not on every digit.
QSpinBox* makeSpinBox(int min, int max, int value, const QString& suffix, const QString& tip);
QCheckBox* makeCheckBox(const QString& text, const QString& tip);

// What the console, the traffic generator and the proxy bar say in a lab with TCP listeners only.
QString noHttpListenerText();

} // namespace lab
