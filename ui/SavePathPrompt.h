#pragma once

#include <QString>
#include <functional>

class QWidget;

namespace lab {

// Asks where to save a file: (dialog title, suggested file name, name filter) → a path, or empty when the
// user cancels. The window asks with a file dialog; a test answers with a path, so that it can trigger
// the real menu actions and check the files they write.
using SavePathPrompt =
    std::function<QString(const QString& title, const QString& suggestedName, const QString& filter)>;

// The file dialog, over `parent`.
SavePathPrompt fileDialogPrompt(QWidget* parent);

} // namespace lab
