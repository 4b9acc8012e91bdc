// The Experiments tab's saving: the PNG of the results drawn whole (ExperimentCharts.h), the two CSV
// files, their default names, and the line that says which files were written. The image says the
// verdict under its heading.
#include "ExperimentCharts.h"
#include "ExperimentResultsModel.h"
#include "ExperimentResultsView.h"
#include "ExperimentsTab.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMessageBox>
#include <QSaveFile>

namespace lab {

QString ExperimentsTab::defaultFileName(const QString& suffix) const
{
    const auto record = m_records.constFind(m_source);
    const QDateTime at = record != m_records.constEnd() ? record->finishedAt : QDateTime::currentDateTime();
    QString base = QFileInfo(m_source).completeBaseName();
    if (base.isEmpty())
        base = QStringLiteral("experiment");
    return base + at.toString(QStringLiteral("-yyyyMMdd-HHmmss.")) + suffix;
}

QImage ExperimentsTab::resultsImage() const
{
    const auto record = m_records.constFind(m_source);
    const WorkloadSpec& w = m_experiment.workload;
    QString subtitle = tr("%1 · seed %2, %3 requests/s, the same requests through every arm")
                           .arg(QFileInfo(m_source).fileName())
                           .arg(w.seed)
                           .arg(w.ratePerSecond);
    if (record != m_records.constEnd())
        subtitle += tr(" · %1, finished %2")
                        .arg(record->status, record->finishedAt.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
    // The verdict under the heading, as the tab shows it above the table.
    if (const QString verdict = verdictText(); !verdict.isEmpty())
        subtitle += QStringLiteral("\n\n") + tr("Verdict: %1").arg(verdict);
    return renderResultsImage(m_title->text(), subtitle, m_model, m_model->arms(), m_results->shown());
}

bool ExperimentsTab::exportPng(const QString& file, QString* error)
{
    if (resultsImage().save(file, "PNG")) {
        showSaved({file});
        return true;
    }
    if (error)
        *error = tr("%1: cannot write the image").arg(file);
    return false;
}

bool ExperimentsTab::exportCsv(const QString& file, QString* error, QStringList* written)
{
    const auto write = [error](const QString& name, const QByteArray& data) {
        QSaveFile f(name);
        if (f.open(QIODevice::WriteOnly) && f.write(data) >= 0 && f.commit())
            return true;
        if (error)
            *error = tr("%1: cannot write: %2").arg(name, f.errorString());
        return false;
    };
    QString backends = file;
    backends.insert(file.endsWith(QLatin1String(".csv")) ? file.size() - 4 : file.size(), QStringLiteral("-backends"));
    if (!backends.endsWith(QLatin1String(".csv")))
        backends += QStringLiteral(".csv");
    // Each file that was written is named, even when the second one fails.
    QStringList done;
    bool ok = write(file, armsCsv(m_model->arms()));
    if (ok)
        done << file;
    ok = ok && write(backends, backendsCsv(m_model->arms()));
    if (ok)
        done << backends;
    showSaved(done);
    if (written)
        *written = done;
    return ok;
}

void ExperimentsTab::showSaved(const QStringList& files)
{
    QStringList paths;
    for (const QString& f : files)
        paths << QDir::toNativeSeparators(QFileInfo(f).absoluteFilePath());
    m_saved->setText(paths.isEmpty() ? QString() : tr("Wrote %1").arg(paths.join(tr(" and "))));
    m_saved->setVisible(!paths.isEmpty());
}

void ExperimentsTab::savePng()
{
    const QString file = QFileDialog::getSaveFileName(this, tr("Save PNG"),
                                                      QDir(m_saveDir).filePath(defaultFileName(QStringLiteral("png"))),
                                                      tr("PNG images (*.png)"));
    if (file.isEmpty())
        return;
    m_saveDir = QFileInfo(file).absolutePath();
    QString error;
    if (!exportPng(file, &error))
        QMessageBox::warning(this, tr("Save PNG"), error);
}

void ExperimentsTab::saveCsv()
{
    const QString file = QFileDialog::getSaveFileName(this, tr("Save CSV"),
                                                      QDir(m_saveDir).filePath(defaultFileName(QStringLiteral("csv"))),
                                                      tr("CSV files (*.csv)"));
    if (file.isEmpty())
        return;
    m_saveDir = QFileInfo(file).absolutePath();
    QString error;
    if (!exportCsv(file, &error))
        QMessageBox::warning(this, tr("Save CSV"), error);
}

} // namespace lab
