#pragma once

#include <QString>
#include <functional>

class QWidget;

namespace lab {

// What to do with a lab changed since it was opened or saved, before it is closed or replaced.
enum class UnsavedAnswer { Save, Discard, Cancel };

// Asks it: (the question, e.g. "The lab has changed since it was saved. Save it before quitting?") → the
// answer. The window asks with a message box; a test answers itself, so it can drive every branch of
// the real File actions and closeEvent without a dialog that would block it.
using UnsavedPrompt = std::function<UnsavedAnswer(const QString& question)>;

// A Save / Discard / Cancel message box over `parent`. On the offscreen platform or with CI set it asks
// nobody and answers Discard: no test run may wait on a dialog no one can see.
UnsavedPrompt messageBoxUnsavedPrompt(QWidget* parent);

} // namespace lab
