#include "UnsavedPrompt.h"

#include <QGuiApplication>
#include <QMessageBox>

namespace lab {

UnsavedPrompt messageBoxUnsavedPrompt(QWidget* parent)
{
    return [parent](const QString& question) {
        if (QGuiApplication::platformName() == QLatin1String("offscreen") || qEnvironmentVariableIsSet("CI"))
            return UnsavedAnswer::Discard;
        QMessageBox box(QMessageBox::Warning, QObject::tr("Unsaved changes"), question,
                        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, parent);
        box.setDefaultButton(QMessageBox::Save);
        switch (box.exec()) {
        case QMessageBox::Save: return UnsavedAnswer::Save;
        case QMessageBox::Discard: return UnsavedAnswer::Discard;
        default: return UnsavedAnswer::Cancel;
        }
    };
}

} // namespace lab
