#pragma once

// What the main window's offscreen test executables share: the window sizes the trials used, and showing
// the window at one of them with or without a lesson in the dock.
#include "LessonPanel.h"
#include "MainWindow.h"

#include <QAction>
#include <QDockWidget>
#include <QTest>

namespace lab::test {

// The rows of a test run at each trial size, with and without the lesson dock: columns size, dock.
inline void windowSizes()
{
    QTest::addColumn<QSize>("size");
    QTest::addColumn<bool>("dock");
    for (const QSize size : {QSize(1366, 768), QSize(1024, 768)}) {
        const QString name = QStringLiteral("%1x%2").arg(size.width()).arg(size.height());
        QTest::newRow(qPrintable(name)) << size << false;
        QTest::newRow(qPrintable(name + QStringLiteral(" lesson dock"))) << size << true;
    }
}

// A window of that size on its lab, shown, with a lesson in the dock (paused) when `dock`.
inline bool showWindow(MainWindow& w, QSize size, bool dock)
{
    if (QAction* anyPorts = w.findChild<QAction*>(QStringLiteral("lessonAnyPorts")); anyPorts && !anyPorts->isChecked())
        anyPorts->trigger();
    w.resize(size);
    w.show();
    if (!QTest::qWaitForWindowExposed(&w))
        return false;
    if (dock) {
        if (!w.openLesson(QStringLiteral(":/lessons/02-the-slow-backend.json")))
            return false;
        if (!QTest::qWaitFor([&w, size] { return w.lessonDock()->isVisible() && w.width() == size.width(); }))
            return false;
        w.lessonPanel()->pause(); // its traffic is not what these tests look at
    }
    QCoreApplication::processEvents();
    return true;
}

} // namespace lab::test
