#pragma once

#include "FlowScene.h"
#include "metrics/RequestTrace.h"

#include <QWidget>
#include <functional>
#include <optional>

class QPlainTextEdit;

namespace lab {

class BackendTableModel;
class FlowViewCanvas;
class Lab;
class MetricsHistory;

// The flow view: the proxy's real traffic drawn as dots travelling client → proxy → backend and back
// (after Sam Rose's "Load Balancing" drawings, but of real requests), with a details pane for the dot
// clicked. Fed like every view of the window: refresh() on the window's timer takes one batch of
// lifecycle events since the last one and the backends' state from the board, never a signal per
// request. While paused it takes nothing; Resume fetches from the last sequence and jumps to the present
// instead of replaying the backlog. A new source (another proxy after File > Open) starts afresh.
class FlowView final : public QWidget {
    Q_OBJECT
public:
    using TraceLookup = std::function<std::optional<TraceEntry>(quint64 traceSequence)>;
    // Narrower than this, the details pane goes under the canvas instead of beside it.
    static constexpr int kNarrowWidth = 560;

    explicit FlowView(QWidget* parent = nullptr);

    // One tick. `source` may be null (no HTTP listener): the view then shows the backends only.
    void refresh(const LifecycleStream* source, const QList<FlowBackend>& backends);
    // The pool's algorithm, before each refresh: the picks panel says when it changed.
    void setAlgorithm(const QString& name);
    // How a clicked request finds its trace entry (Finished's traceSequence).
    void setTraceLookup(TraceLookup lookup) { m_traceLookup = std::move(lookup); }
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    void setSlowMotion(bool on);
    void clear();
    // Shows the details of one request (what a click on its dot does).
    void showDetails(quint64 requestId);
    // The backend selected on the board (a pool id, -1: none): framed on the canvas, its details shown
    // (and kept up to date) until a dot is clicked.
    void selectBackend(int backendId);
    int selectedBackend() const;

    FlowScene& scene() { return m_scene; }
    FlowViewCanvas* canvas() const { return m_canvas; }
    QString detailsText() const;

    // The nodes for the lab's backends, one per board row: the board's state colour and text, the pool's
    // id, weight and eligibility, an embedded backend's workers, queue limit and latency fault, and the
    // row's live figures (requests in flight, queued, in service: one snapshot) and req/s over the last
    // second: the same numbers the board shows, so a busy backend never reads idle here.
    static QList<FlowBackend> backendsOf(const Lab& lab, const BackendTableModel& board);

Q_SIGNALS:
    void backendClicked(int backendId);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    FlowScene m_scene;
    FlowViewCanvas* m_canvas;
    QPlainTextEdit* m_details;
    TraceLookup m_traceLookup;
    const LifecycleStream* m_source = nullptr;
    QString m_pendingAlgorithm; // applied at the next refresh (not while paused)
    bool m_paused = false;
    bool m_catchUp = true; // the next batch jumps to the present (first fetch, after Resume)
    bool m_detailsOfBackend = false; // the pane describes the selected backend, not a request
};

} // namespace lab
