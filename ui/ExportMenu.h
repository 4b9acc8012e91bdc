#pragma once

#include "SavePathPrompt.h"
#include "metrics/MetricsHistory.h"

#include <QByteArray>
#include <QObject>

class QMenu;
class QWidget;

namespace lab {

class ChartsPanel;
class TraceModel;

// File > Export: the charts as one PNG, and the time series, the trace and the run summary as CSV or
// JSON, written by core/metrics/Export (docs/exports.md has the formats). The board's history keeps ~10 s
// of snapshots at 10 a second; the time series covers the charts' 60 s, so this keeps its own history of
// the snapshots the charts sample, twice a second (~30 KB per sample with three backends: under 4 MB). Reset
// and a new lab reach it through setBaseline() and clear(), as they reach the board's history. The summary
// reads the board's history itself, so that it says what the board says at that moment.
class ExportMenu final : public QObject {
    Q_OBJECT
public:
    ExportMenu(const MetricsHistory* board, TraceModel* trace, ChartsPanel* charts, QWidget* window);
    Q_DISABLE_COPY_MOVE(ExportMenu)

    QMenu* menu() const { return m_menu; }
    void setSavePathPrompt(SavePathPrompt prompt);

    // The latest snapshot of `history`, at the charts' rate.
    void record(const MetricsHistory& history);
    // Counts from the board's latest snapshot on (Reset).
    void setBaseline(const MetricsHistory& board);
    void clear() { m_history.clear(); }
    const MetricsHistory& history() const { return m_history; }

Q_SIGNALS:
    // "summary saved to …" or why not, for the status bar and the event log.
    void message(const QString& text);

private:
    void addExport(const QString& text, const QString& objectName, const QString& suggested, const QString& filter,
                   std::function<QByteArray()> bytes);
    void saveCharts();
    bool write(const QString& path, const QByteArray& bytes);

    const MetricsHistory* m_board;
    TraceModel* m_trace;
    ChartsPanel* m_charts;
    QMenu* m_menu;
    SavePathPrompt m_prompt;
    MetricsHistory m_history;
};

} // namespace lab
