// MainWindow's lab files: open, save, the default lab, recent files and the title that names the lab.
#include "BackendPanel.h"
#include "BackendTableModel.h"
#include "ChartsPanel.h"
#include "ConsolePanel.h"
#include "ExportMenu.h"
#include "FlowView.h"
#include "FlowViewTab.h"
#include "HealthTimeline.h"
#include "LessonPanel.h"
#include "MainWindow.h"
#include "ProxyPanel.h"
#include "TraceModel.h"
#include "TrafficPanel.h"
#include "VerticalScrollArea.h"
#include "WeightDelegate.h"
#include "config/ConfigSchema.h"
#include "fakebackend/FakeBackend.h"
#include "lab/Lab.h"
#include "loadgen/LoadGenerator.h"
#include "metrics/RequestTrace.h"
#include "proxy/Proxy.h"
#include "proxy/SelfSignedCertificate.h"
#include "teach/ScenarioPlayer.h"
#include "teach/ScenarioRecorder.h"
#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QShortcut>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace lab {

namespace {
constexpr int kMaxRecent = 8; // File > Open recent
} // namespace

namespace {
// The same lab, but for the ports the lab picked itself: a backend or listener saved with port 0 gets a
// free one when it starts, which is not a change anybody made.
bool sameLab(const LabConfig& saved, LabConfig now)
{
    for (qsizetype i = 0; i < now.backends.size() && i < saved.backends.size(); ++i) {
        if (saved.backends[i].port == 0 && saved.backends[i].name == now.backends[i].name)
            now.backends[i].port = 0;
    }
    for (qsizetype i = 0; i < now.listeners.size() && i < saved.listeners.size(); ++i) {
        if (saved.listeners[i].port == 0)
            now.listeners[i].port = 0;
    }
    return now == saved;
}
} // namespace

bool MainWindow::labModified() const
{
    // A lesson's lab and what its steps do to it were nobody's work to save.
    return !m_labIsLesson && !sameLab(m_savedConfig, m_lab->config());
}

void MainWindow::markSaved()
{
    m_savedConfig = m_lab->config();
    m_labIsLesson = false;
}

bool MainWindow::mayReplaceLab(const QString& question)
{
    if (!labModified() || !m_unsavedPrompt)
        return true;
    switch (m_unsavedPrompt(question)) {
    case UnsavedAnswer::Save: return saveLab();
    case UnsavedAnswer::Discard: return true;
    case UnsavedAnswer::Cancel: return false;
    }
    return false;
}

bool MainWindow::saveLab()
{
    if (!m_currentFile.isEmpty())
        return saveConfigFile(m_currentFile);
    const QString name = QFileDialog::getSaveFileName(this, tr("Save lab config"), QStringLiteral("lab.json"),
                                                      tr("Lab configs (*.json)"));
    return !name.isEmpty() && saveConfigFile(name);
}

void MainWindow::openDefaultLab()
{
    if (!mayReplaceLab(tr("The lab has changed since it was opened or saved. Save it before opening the default "
                          "lab?")))
        return;
    closeLesson();
    m_generator->stop();
    m_lab->load(LabConfig::defaultLab());
    QString why;
    if (!m_lab->start(&why))
        showMessage(why);
    m_currentFile.clear();
    QSettings().remove(QStringLiteral("files/current"));
    markSaved();
    updateTitle();
    m_lab->events().append(LabEvent::Kind::Config, tr("the default lab is open"));
}

bool MainWindow::openConfigFile(const QString& fileName, QString* error)
{
    const LabConfigResult r = loadLabConfig(fileName);
    if (!r.ok()) {
        if (error)
            *error = r.error;
        if (isVisible())
            QMessageBox::warning(this, tr("Cannot open lab"), r.error);
        showMessage(r.error.section(QLatin1Char('\n'), 0, 0));
        return false;
    }
    if (!mayReplaceLab(tr("The lab has changed since it was opened or saved. Save it before opening %1?")
                           .arg(QFileInfo(fileName).fileName()))) {
        if (error)
            *error = tr("not opened: the changed lab was kept");
        return false;
    }
    closeLesson();
    m_generator->stop();
    m_lab->load(r.config);
    QString why;
    if (!m_lab->start(&why))
        showMessage(why);
    m_currentFile = QFileInfo(fileName).absoluteFilePath();
    addRecent(m_currentFile);
    markSaved();
    updateTitle();
    updateStatus(); // the status bar names the new file now, not at the next refresh
    return true;
}

bool MainWindow::saveConfigFile(const QString& fileName, QString* error)
{
    QString why;
    if (!saveLabConfig(m_lab->config(), fileName, &why)) {
        if (error)
            *error = why;
        showMessage(why);
        return false;
    }
    m_currentFile = QFileInfo(fileName).absoluteFilePath();
    addRecent(m_currentFile);
    markSaved();
    updateTitle();
    m_lab->events().append(LabEvent::Kind::Config, tr("lab saved to %1").arg(m_currentFile));
    return true;
}

void MainWindow::updateTitle()
{
    // The lab's name is its file's (or the lesson's); the built-in lab has none.
    setWindowTitle(tr("Balancer Lab — %1")
                       .arg(!m_lessonTitle.isEmpty()      ? tr("lesson %1").arg(m_lessonTitle)
                                : m_currentFile.isEmpty() ? tr("default lab")
                                                          : QFileInfo(m_currentFile).fileName()));
}

void MainWindow::resetCounters()
{
    m_history.setBaseline();
    m_export->setBaseline(m_history);
    m_charts->reset();
    m_model->refresh(m_history);
    m_charts->addSample(m_history, double(m_clock.elapsed()) / 1000.0); // the share empties at once
    updateStatus();
}

void MainWindow::addRecent(const QString& fileName)
{
    QSettings settings;
    QStringList recent = settings.value(QStringLiteral("files/recent")).toStringList();
    recent.removeAll(fileName);
    recent.prepend(fileName);
    while (recent.size() > kMaxRecent)
        recent.removeLast();
    settings.setValue(QStringLiteral("files/recent"), recent);
    settings.setValue(QStringLiteral("files/current"), fileName);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(QStringLiteral("files/recent")).toStringList();
    for (const QString& f : recent)
        m_recentMenu->addAction(QFileInfo(f).fileName() + QStringLiteral("  (") + QFileInfo(f).path() +
                                    QLatin1Char(')'),
                                this, [this, f] { openConfigFile(f); });
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::addReloadAndCertificateActions(QMenu* file)
{
    QAction* reload = file->addAction(tr("&Reload lab file"), this, [this] { reloadConfigFile(); });
    reload->setShortcut(QKeySequence::Refresh);
    reload->setToolTip(tr("Apply the open file to the running lab without dropping a connection: backends "
                          "added, removed and changed, algorithm and settings, listener addresses."));
    file->addAction(tr("Make a &certificate…"), this,
                    [this] {
                        const QString dir = QFileDialog::getExistingDirectory(
                            this, tr("Directory for cert.pem and key.pem"), QFileInfo(m_currentFile).path());
                        if (!dir.isEmpty())
                            makeCertificate(dir);
                    })
        ->setToolTip(tr("A self-signed certificate for localhost, 127.0.0.1 and ::1, for a listener's \"tls\"."));
    file->addSeparator();
}

bool MainWindow::reloadConfigFile(QString* error)
{
    QString why;
    QString summary;
    bool labSaid = false; // Lab::reload writes its own event line, refused or not
    if (m_currentFile.isEmpty()) {
        why = tr("Reload reads the lab's file, and this lab has none yet: save it first (File > Save lab as).");
    } else {
        const LabConfigResult r = loadLabConfig(m_currentFile);
        labSaid = r.ok();
        if (!r.ok())
            why = r.error;
        else if (m_lab->reload(r.config, &summary, &why))
            markSaved(); // what runs is the file now
    }
    if (why.isEmpty()) {
        statusBar()->showMessage(summary, 10000);
        updateTitle();
        return true;
    }
    if (error)
        *error = why;
    if (isVisible())
        QMessageBox::warning(this, tr("Cannot reload the lab"), tr("%1\n\nThe running lab stays as it was.").arg(why));
    const QString line = tr("reload refused: %1").arg(why.section(QLatin1Char('\n'), 0, 0));
    if (labSaid)
        statusBar()->showMessage(line, 10000);
    else
        showMessage(line);
    return false;
}

bool MainWindow::makeCertificate(const QString& dir, QString* error)
{
    SelfSignedCertificate made;
    QString why;
    if (!SelfSignedCertificate::write(dir, &made, &why)) {
        if (error)
            *error = why;
        if (isVisible())
            QMessageBox::warning(this, tr("Cannot make a certificate"), why);
        showMessage(why);
        return false;
    }
    const QString text = tr("Certificate %1 and key %2 for localhost, 127.0.0.1 and ::1, valid until %3.\n\n"
                            "Serve HTTPS: add \"tls\": {\"cert\": \"%1\", \"key\": \"%2\"} to a listener of the "
                            "lab file and reload it.\nTrust it: curl --cacert %1 https://localhost:PORT/")
                             .arg(made.certFile, made.keyFile, made.notAfter.toString(QStringLiteral("yyyy-MM-dd")));
    m_lab->logEvent(LabEvent::Kind::Config, tr("certificate made: %1 (key %2)").arg(made.certFile, made.keyFile));
    if (isVisible())
        QMessageBox::information(this, tr("Certificate made"), text);
    showMessage(tr("certificate made: %1").arg(made.certFile));
    return true;
}

void MainWindow::addProductionActions(QMenu* file)
{
    file->addAction(tr("Export to &HAProxy / nginx…"), this,
                    [this] { openProduction(ProductionDialog::Page::Export); });
    file->addAction(tr("&Prove against HAProxy / nginx…"), this,
                    [this] { openProduction(ProductionDialog::Page::Prove); });
}

// A modeless dialog over a copy of the lab's config as it runs now (what File > Save would write). Prove's
// requests ask for what the lab's traffic asks for: the playing lesson's first traffic step (lesson 5's
// /c/page: only one backend has it), else the Traffic tab's path.
void MainWindow::openProduction(ProductionDialog::Page page)
{
    auto* dialog = new ProductionDialog(m_lab->config(), page, this);
    QString path = m_trafficPanel->pathEdit()->text();
    QString origin = tr("the Traffic tab's path");
    if (const ScenarioPlayer* player = m_lessonPanel->player()) {
        for (const ScenarioStep& step : player->scenario().steps) {
            if (step.action == StepAction::Traffic) {
                path = QString::fromUtf8(step.traffic.path);
                origin = tr("what the lesson's traffic asks for");
                break;
            }
        }
    }
    dialog->setProvePath(path, origin);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ProductionDialog::message, this, &MainWindow::showMessage);
    dialog->show();
}

} // namespace lab
