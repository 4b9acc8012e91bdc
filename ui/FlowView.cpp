#include "FlowView.h"

#include "BackendTableModel.h"
#include "FlowViewCanvas.h"
#include "TraceModel.h"
#include "backend/Backend.h"
#include "backend/BackendPool.h"
#include "lab/Lab.h"
#include "metrics/MetricsHistory.h"

#include <QHBoxLayout>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <algorithm>

namespace lab {

FlowView::FlowView(QWidget* parent)
    : QWidget(parent)
    , m_canvas(new FlowViewCanvas(&m_scene))
    , m_details(new QPlainTextEdit)
{
    setObjectName(QStringLiteral("flowView"));
    m_details->setObjectName(QStringLiteral("flowDetails"));
    m_details->setReadOnly(true);
    m_details->setPlaceholderText(
        tr("Click a dot to see its request: the backends it tried, why each was picked, its status and latency. "
           "Click a backend to select it on the board."));
    // Beside the canvas, not under it: height is what a 768-line screen runs short of (width: resizeEvent).
    m_details->setFixedWidth(160);
    m_details->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Expanding);
    // The canvas scrolls up and down when its cards need more height than the view has (a zoomed or
    // docked window): every figure whole, never cut. Sideways it always fits.
    auto* scroll = new QScrollArea;
    scroll->setObjectName(QStringLiteral("flowScroll"));
    scroll->setWidget(m_canvas);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* layout = new QBoxLayout(QBoxLayout::LeftToRight, this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(scroll, 1);
    layout->addWidget(m_details);
    connect(m_canvas, &FlowViewCanvas::dotClicked, this, &FlowView::showDetails);
    connect(m_canvas, &FlowViewCanvas::backendClicked, this, [this](int id) {
        selectBackend(id);
        Q_EMIT backendClicked(id);
    });
}

void FlowView::refresh(const LifecycleStream* source, const QList<FlowBackend>& backends)
{
    if (m_paused)
        return;
    if (source != m_source) {
        m_scene.clear();
        m_source = source;
        m_catchUp = true;
    }
    // Backends and algorithm first: the batch's picks are named after the backends as they are now. A pick
    // made in the last tick before a change then shows after it (its explanation names its algorithm).
    if (backends != m_scene.backends())
        m_scene.setBackends(backends);
    if (!m_pendingAlgorithm.isEmpty())
        m_scene.setAlgorithm(m_pendingAlgorithm);
    if (m_source) {
        const LifecycleStream::Batch batch = m_source->since(m_scene.lastSequence());
        m_scene.ingest(batch, m_canvas->nowMs(), !m_catchUp);
        m_catchUp = false;
    }
    // The details of the clicked request follow it (in service, answered) while its dot is drawn; those of
    // the selected backend follow its figures.
    if (m_detailsOfBackend)
        selectBackend(m_canvas->selectedBackend());
    else if (m_scene.dot(m_canvas->selected()))
        showDetails(m_canvas->selected());
    m_canvas->sceneChanged();
}

void FlowView::setAlgorithm(const QString& name)
{
    m_pendingAlgorithm = name;
}

void FlowView::resizeEvent(QResizeEvent* event)
{
    // Wide: the details beside the canvas, a quarter of the view. Narrow (a 1024 px window with the lesson
    // dock leaves the view ~360 px): under it, a few lines high, so the diagram keeps the whole width and
    // shows the proxy and the backends together (trial 5 saw one or the other).
    auto* box = static_cast<QBoxLayout*>(layout());
    const bool narrow = width() < kNarrowWidth;
    box->setDirection(narrow ? QBoxLayout::TopToBottom : QBoxLayout::LeftToRight);
    if (narrow) {
        m_details->setMinimumWidth(0);
        m_details->setMaximumWidth(QWIDGETSIZE_MAX);
        m_details->setFixedHeight(4 * fontMetrics().lineSpacing() + 8);
    } else {
        m_details->setMinimumHeight(0);
        m_details->setMaximumHeight(QWIDGETSIZE_MAX);
        m_details->setFixedWidth(std::clamp(width() / 4, 160, 340));
    }
    QWidget::resizeEvent(event);
}

void FlowView::setPaused(bool paused)
{
    if (paused == m_paused)
        return;
    m_paused = paused;
    if (!paused) {
        // What moved while paused is not replayed: the dots drawn so far jump to where they are now.
        m_scene.jumpToPresent();
        m_scene.advance(m_canvas->nowMs());
        m_catchUp = true;
    }
    m_canvas->setPaused(paused);
}

void FlowView::setSlowMotion(bool on)
{
    m_scene.setLegMs(on ? FlowScene::kSlowLegMs : FlowScene::kNormalLegMs);
}

void FlowView::clear()
{
    m_scene.clear();
    m_source = nullptr;
    m_catchUp = true;
    m_canvas->setSelected(0);
    m_details->clear();
    m_canvas->sceneChanged();
}

void FlowView::selectBackend(int backendId)
{
    m_canvas->setSelectedBackend(backendId);
    const auto& backends = m_scene.backends();
    const auto it =
        std::find_if(backends.begin(), backends.end(), [backendId](const FlowBackend& b) { return b.id == backendId; });
    m_detailsOfBackend = it != backends.end();
    if (m_detailsOfBackend) {
        const QString text = FlowScene::describeBackend(*it);
        if (text != m_details->toPlainText())
            m_details->setPlainText(text);
    }
}

int FlowView::selectedBackend() const
{
    return m_canvas->selectedBackend();
}

void FlowView::showDetails(quint64 requestId)
{
    const FlowDot* d = m_scene.dot(requestId);
    if (!d)
        return;
    m_detailsOfBackend = false;
    m_canvas->setSelected(requestId);
    QString text = m_scene.describe(*d);
    if (d->traceSequence && m_traceLookup) {
        if (const std::optional<TraceEntry> e = m_traceLookup(d->traceSequence))
            text += tr("\n\nTrace entry #%1 (the same request, as the trace recorded it):\n%2")
                        .arg(d->traceSequence)
                        .arg(TraceModel::describe(*e));
        else
            text += tr("\n\nTrace entry #%1 has left the trace's ring.").arg(d->traceSequence);
    }
    m_details->setPlainText(text);
}

QString FlowView::detailsText() const
{
    return m_details->toPlainText();
}

QList<FlowBackend> FlowView::backendsOf(const Lab& lab, const BackendTableModel& board)
{
    QList<FlowBackend> out;
    for (int i = 0; i < board.rowCount(); ++i) {
        const BackendTableModel::Row& row = board.row(i);
        FlowBackend b;
        const BackendPtr pooled = lab.hasBackend(row.id) ? lab.poolBackend(row.id) : nullptr;
        b.id = pooled ? pooled->id : -1;
        b.name = row.name;
        b.stateText = BackendTableModel::stateText(row.state);
        b.stateDetail = row.passiveCause.isEmpty()
            ? BackendTableModel::stateExplanation(row.state)
            : row.passiveCause + u'\n' + BackendTableModel::stateExplanation(row.state);
        b.stateColor = BackendTableModel::stateColor(row.state);
        b.weight = row.weight;
        b.workers = row.workers;
        b.queueCapacity = row.workers > 0 ? row.queueLimit : 0;
        b.latencyMs = row.latencyMs;
        if (pooled)
            b.tier = pickTier(lab.pool()->eligibility(*pooled));
        // The board's row, which read them from the history's latest snapshot: one source for the card and
        // the table, so they never disagree.
        b.inFlight = row.active;
        b.inService = row.inService;
        b.queued = row.queued;
        b.ratePerSecond = row.rate;
        b.picks = row.requests;
        out << b;
    }
    return out;
}

} // namespace lab
