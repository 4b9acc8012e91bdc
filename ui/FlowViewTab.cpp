#include "FlowViewTab.h"

#include "FlowView.h"
#include "TimeControls.h"
#include "backend/Backend.h"
#include "lab/Lab.h"
#include "proxy/Proxy.h"

#include <QVBoxLayout>

namespace lab {

FlowViewTab::FlowViewTab(Lab* lab, LoadGenerator* generator, QWidget* parent)
    : QWidget(parent)
    , m_lab(lab)
    , m_controls(new TimeControls(lab, generator))
    , m_view(new FlowView)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(m_controls);
    layout->addWidget(m_view, 1);

    m_view->setTraceLookup([this](quint64 sequence) -> std::optional<TraceEntry> {
        const Proxy* p = m_lab->httpProxy();
        const QList<TraceEntry> from = p && sequence ? p->trace().since(sequence - 1) : QList<TraceEntry>();
        if (!from.isEmpty() && from.first().sequence == sequence)
            return from.first();
        return std::nullopt;
    });
    connect(m_view, &FlowView::backendClicked, this, [this](int poolId) {
        for (const BackendId id : m_lab->backendIds()) {
            if (const BackendPtr b = m_lab->poolBackend(id); b && b->id == poolId)
                Q_EMIT backendClicked(id);
        }
    });
    connect(m_controls, &TimeControls::pausedChanged, this, [this](bool paused) {
        m_view->setPaused(paused);
        Q_EMIT pausedChanged(paused);
    });
    connect(m_controls, &TimeControls::slowMotionChanged, m_view, &FlowView::setSlowMotion);
    connect(m_lab, &Lab::labReset, m_view, &FlowView::clear);
}

bool FlowViewTab::isPaused() const
{
    return m_controls->isPaused();
}

void FlowViewTab::refresh(const BackendTableModel& board)
{
    m_controls->refresh();
    m_view->setAlgorithm(m_lab->config().algorithm);
    m_view->refresh(m_lab->lifecycle(), FlowView::backendsOf(*m_lab, board));
}

} // namespace lab
