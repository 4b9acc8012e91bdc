#pragma once

#include <QList>
#include <QString>

class QDialog;
class QWidget;

namespace lab {

// The words the window uses without explaining them in place (p95, P2C, ejection, breaker …), each in a
// sentence or two, for Help > Glossary. A learner met them in tooltips and lessons with no one place to
// look them up (trial 3); the list is data so a test can check each term is there.
struct GlossaryEntry {
    QString term;
    QString meaning;
};
QList<GlossaryEntry> glossaryEntries();

// A non-modal dialog listing every entry, readable at any zoom (it scrolls). Owned by `parent`.
QDialog* makeGlossaryDialog(QWidget* parent);

} // namespace lab
