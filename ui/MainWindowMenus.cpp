#include "MainWindow.h"

// The menus (MainWindow::buildMenus), apart from the window's layout.

#include "ExportMenu.h"
#include "Glossary.h"
#include "TraceModel.h"
#include "backend/Backend.h"
#include "lab/Lab.h"

#include <QAction>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>

namespace lab {

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open lab…"), this, [this] {
        const QString name = QFileDialog::getOpenFileName(this, tr("Open lab config"), QFileInfo(m_currentFile).path(),
                                                          tr("Lab configs (*.json);;All files (*)"));
        if (!name.isEmpty())
            openConfigFile(name);
    });
    open->setShortcut(QKeySequence::Open);
    m_recentMenu = file->addMenu(tr("Open &recent"));
    rebuildRecentMenu();
    file->addAction(tr("Open the &default lab"), this, &MainWindow::openDefaultLab)
        ->setToolTip(tr("The built-in lab: the proxy on 127.0.0.1:8000, embedded backends on ports 8001-8003."));
    QAction* save = file->addAction(tr("&Save lab"), this, &MainWindow::saveLab);
    save->setShortcut(QKeySequence::Save);
    file->addAction(tr("Save lab &as…"), this, [this] {
        const QString name = QFileDialog::getSaveFileName(
            this, tr("Save lab config"), m_currentFile.isEmpty() ? QStringLiteral("lab.json") : m_currentFile,
            tr("Lab configs (*.json)"));
        if (!name.isEmpty())
            saveConfigFile(name);
    });
    addReloadAndCertificateActions(file);
    file->addMenu(m_export->menu());
    addProductionActions(file);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* labMenu = menuBar()->addMenu(tr("&Lab"));
    labMenu->addAction(tr("Add &embedded backend"), this, &MainWindow::addEmbedded);
    labMenu->addAction(tr("Add e&xternal backend…"), this, &MainWindow::addExternal);
    labMenu->addAction(tr("&Remove selected backend"), this, &MainWindow::removeSelected);
    QAction* toggle = labMenu->addAction(tr("&Start or stop selected backend"), this, [this] {
        const BackendId id = selectedBackend();
        if (m_lab->embeddedBackend(id))
            toggleBackend(id);
        else
            showMessage(tr("Select an embedded backend on the board first."));
    });
    toggle->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_B));
    labMenu->addSeparator();
    labMenu->addAction(tr("Reset &counters and charts"), this, &MainWindow::resetCounters);
    labMenu->addAction(tr("Clear &trace"), m_traceModel, &TraceModel::clear);

    buildLessonsMenu();

    QMenu* view = menuBar()->addMenu(tr("&View"));
    // The zoom enlarges what a projector audience looks at, the views (flow, charts, hash); the panels and
    // the board keep their size: zooming the whole window collapsed the cards to one line and clipped the
    // side panel and the status bar at 1366x768 (trial 5).
    QAction* in = view->addAction(tr("Zoom &in (flow view and charts)"), this, &MainWindow::zoomIn);
    in->setShortcuts({QKeySequence::ZoomIn, QKeySequence(Qt::CTRL | Qt::Key_Equal)}); // + is Shift+= on many keyboards
    view->addAction(tr("Zoom &out (flow view and charts)"), this, &MainWindow::zoomOut)
        ->setShortcut(QKeySequence::ZoomOut);
    view->addAction(tr("&Actual size"), this, [this] { setZoom(1); })->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* glossary = help->addAction(tr("&Glossary"), this, [this] {
        if (!m_glossary)
            m_glossary = makeGlossaryDialog(this);
        m_glossary->show();
        m_glossary->raise();
    });
    glossary->setObjectName(QStringLiteral("glossaryAction"));
    glossary->setToolTip(tr("The words the window uses: p50/p95/p99, P2C, drain vs stop, ejection, breaker …"));
    help->addAction(tr("&About Balancer Lab"), this, [this] {
        QMessageBox::about(this, tr("About Balancer Lab"),
                           tr("<b>Balancer Lab %1</b><p>A real HTTP load balancer with live views of what it does. "
                              "Stop a backend, add latency, switch the algorithm, send traffic, and watch.</p>"
                              "<p>Every column, knob and chart has a tooltip that explains it.</p>")
                               .arg(QStringLiteral(LAB_VERSION)));
    });
}

} // namespace lab
