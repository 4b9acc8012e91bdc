#include "ExportMenu.h"

#include "ChartsPanel.h"
#include "TraceModel.h"
#include "metrics/Export.h"

#include <QAction>
#include <QFileInfo>
#include <QMenu>
#include <QSaveFile>

namespace lab {

ExportMenu::ExportMenu(const MetricsHistory* board, TraceModel* trace, ChartsPanel* charts, QWidget* window)
    : QObject(window)
    , m_board(board)
    , m_trace(trace)
    , m_charts(charts)
    , m_menu(new QMenu(tr("E&xport"), window))
    , m_prompt(fileDialogPrompt(window))
    , m_history(qint64(ChartsPanel::kSpanSeconds) * 1000 + 500)
{
    QAction* png = m_menu->addAction(tr("&Charts as PNG…"), this, &ExportMenu::saveCharts);
    png->setObjectName(QStringLiteral("exportChartsPng"));
    png->setToolTip(tr("The three charts and their legend, as they are on screen."));
    m_menu->addSeparator();
    const QString csv = tr("CSV (*.csv)");
    const QString json = tr("JSON (*.json)");
    auto series = [this](bool asJson) {
        return [this, asJson] {
            return asJson ? exports::timeSeriesJson(m_history) : exports::timeSeriesCsv(m_history);
        };
    };
    addExport(tr("&Time series as CSV…"), QStringLiteral("exportTimeSeriesCsv"), QStringLiteral("timeseries.csv"), csv,
              series(false));
    addExport(tr("Time series as &JSON…"), QStringLiteral("exportTimeSeriesJson"), QStringLiteral("timeseries.json"),
              json, series(true));
    auto entries = [this] {
        QList<TraceEntry> out;
        for (int row = 0; row < m_trace->rowCount(); ++row)
            out << m_trace->entry(row);
        return out;
    };
    addExport(tr("T&race as CSV…"), QStringLiteral("exportTraceCsv"), QStringLiteral("trace.csv"), csv,
              [entries] { return exports::traceCsv(entries()); });
    addExport(tr("Trace as J&SON…"), QStringLiteral("exportTraceJson"), QStringLiteral("trace.json"), json,
              [entries] { return exports::traceJson(entries()); });
    addExport(tr("&Summary as CSV…"), QStringLiteral("exportSummaryCsv"), QStringLiteral("summary.csv"), csv,
              [this] { return exports::summaryCsv(*m_board); });
    addExport(tr("Summary as JS&ON…"), QStringLiteral("exportSummaryJson"), QStringLiteral("summary.json"), json,
              [this] { return exports::summaryJson(*m_board); });
}

void ExportMenu::setSavePathPrompt(SavePathPrompt prompt)
{
    m_prompt = prompt;
    m_charts->setSavePathPrompt(std::move(prompt));
}

void ExportMenu::record(const MetricsHistory& history)
{
    if (!history.isEmpty())
        m_history.push(history.latest());
}

void ExportMenu::setBaseline(const MetricsHistory& board)
{
    record(board);
    m_history.setBaseline();
}

void ExportMenu::addExport(const QString& text, const QString& objectName, const QString& suggested,
                           const QString& filter, std::function<QByteArray()> bytes)
{
    QAction* a = m_menu->addAction(text, this, [this, text, suggested, filter, bytes = std::move(bytes)] {
        const QString path =
            m_prompt(QString(text).remove(QLatin1Char('&')).remove(QStringLiteral("…")), suggested, filter);
        if (!path.isEmpty() && write(path, bytes()))
            Q_EMIT message(tr("exported to %1").arg(QFileInfo(path).absoluteFilePath()));
    });
    a->setObjectName(objectName);
}

void ExportMenu::saveCharts()
{
    const QString path = m_prompt(tr("Save the charts as PNG"), QStringLiteral("charts.png"), tr("PNG images (*.png)"));
    if (path.isEmpty())
        return;
    QString error;
    if (m_charts->savePanelPng(path, &error))
        Q_EMIT message(tr("charts saved to %1").arg(QFileInfo(path).absoluteFilePath()));
    else
        Q_EMIT message(error);
}

bool ExportMenu::write(const QString& path, const QByteArray& bytes)
{
    QSaveFile file(path);
    if (file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size() && file.commit())
        return true;
    Q_EMIT message(tr("cannot write %1: %2").arg(path, file.errorString()));
    return false;
}

} // namespace lab
