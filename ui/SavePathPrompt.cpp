#include "SavePathPrompt.h"

#include <QFileDialog>

namespace lab {

SavePathPrompt fileDialogPrompt(QWidget* parent)
{
    return [parent](const QString& title, const QString& suggested, const QString& filter) {
        return QFileDialog::getSaveFileName(parent, title, suggested, filter);
    };
}

} // namespace lab
