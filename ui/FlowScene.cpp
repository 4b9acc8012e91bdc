#include "FlowScene.h"

#include <algorithm>
#include <cmath>

namespace lab {

namespace {
// Where in a node a request waits: one of 12 fixed spots (two columns of six), so dots waiting at the same
// node stand side by side instead of on top of each other.
// Spots are a dot's width apart (11 px), so two waiting dots never hide each other in a node tall enough.
struct Spot {
    double across; // -6 or +6
    double along; // -27.5 .. +27.5
    double wide; // -60.5 .. +60.5, for the proxy's lane
};
Spot spotOf(quint64 requestId)
{
    const int slot = int(requestId % 12);
    return {double(slot % 2) * 12 - 6, (double(slot / 2) - 2.5) * 11, (double(slot) - 5.5) * 11};
}
} // namespace

FlowDot* FlowScene::find(quint64 requestId)
{
    for (FlowDot& d : m_dots) {
        if (d.requestId == requestId)
            return &d;
    }
    return nullptr;
}

const FlowDot* FlowScene::dot(quint64 requestId) const
{
    for (const FlowDot& d : m_dots) {
        if (d.requestId == requestId)
            return &d;
    }
    return nullptr;
}

void FlowScene::ingest(const LifecycleStream::Batch& batch, qint64 nowMs, bool animate)
{
    if (batch.lostEvents) {
        m_dropped += m_dots.size();
        m_dots.clear();
    }
    for (const LifecycleEvent& e : batch.events) {
        if (e.sequence > m_lastSequence)
            apply(e);
    }
    m_lastSequence = qMax(m_lastSequence, batch.lastSequence);
    m_arrivedTotal = batch.arrived;
    m_samples.push_back({nowMs, batch.arrived, batch.followed});
    // Keep one sample at or before the window's start, so the deltas span the whole window.
    while (m_samples.size() > 2 && m_samples[1].atMs <= nowMs - kSamplingWindowMs)
        m_samples.pop_front();
    trim();
    if (!animate)
        jumpToPresent();
    if (m_lastAdvanceMs < 0)
        m_lastAdvanceMs = nowMs;
}

void FlowScene::apply(const LifecycleEvent& e)
{
    if (e.kind == LifecycleKind::Arrived) {
        FlowDot d;
        d.requestId = e.requestId;
        d.request = e.detail;
        d.route = {FlowPlace{FlowPlace::Node::Client}, FlowPlace{FlowPlace::Node::Proxy}};
        m_dots.push_back(std::move(d));
        return;
    }
    FlowDot* d = find(e.requestId);
    if (!d) // it arrived before this view began, or its Arrived was lost: drawing half of it would lie
        return;
    switch (e.kind) {
    case LifecycleKind::Arrived: break;
    case LifecycleKind::Held: d->held = true; break;
    case LifecycleKind::Released: d->held = false; break;
    case LifecycleKind::Picked:
        d->held = false;
        d->attempts.append({e.backendId, e.detail, {}, 0});
        d->route.append(FlowPlace{FlowPlace::Node::Backend, e.backendId});
        m_recentPicks.prepend(e.detail.isEmpty() ? tr("picked %1").arg(backendName(e.backendId)) : e.detail);
        if (m_recentPicks.size() > kRecentPicks)
            m_recentPicks.removeLast();
        break;
    case LifecycleKind::AttemptFailed:
        if (!d->attempts.isEmpty()) {
            FlowAttempt& a = d->attempts.last();
            a.failure = e.detail.isEmpty() ? tr("failed") : e.detail;
            a.status = e.status;
        }
        break;
    case LifecycleKind::ResponseStarted:
        if (!d->attempts.isEmpty())
            d->attempts.last().status = e.status;
        d->status = e.status;
        d->outcome = outcomeOf(e.status, e.backendId, true);
        d->revealAt = qMin(d->revealAt, int(d->route.size()) - 1);
        d->route.append(FlowPlace{FlowPlace::Node::Proxy});
        break;
    case LifecycleKind::Finished:
        d->finished = true;
        d->held = false;
        d->status = e.status;
        d->latencyMs = e.latencyMs;
        d->traceSequence = e.traceSequence;
        d->outcome = outcomeOf(e.status, e.backendId, !d->attempts.isEmpty());
        d->revealAt = qMin(d->revealAt, int(d->route.size()) - 1);
        if (d->route.last().node != FlowPlace::Node::Proxy) // the last attempt failed: back through the proxy
            d->route.append(FlowPlace{FlowPlace::Node::Proxy});
        d->route.append(FlowPlace{FlowPlace::Node::Client});
        break;
    }
}

void FlowScene::trim()
{
    while (m_dots.size() > size_t(kMaxDots))
        m_dots.pop_front();
}

void FlowScene::advance(qint64 nowMs)
{
    const double dt = m_lastAdvanceMs < 0 ? 0.0 : double(qMax<qint64>(0, nowMs - m_lastAdvanceMs));
    m_lastAdvanceMs = nowMs;
    for (FlowDot& d : m_dots) {
        const int last = int(d.route.size()) - 1;
        if (d.at >= last)
            continue;
        d.progress += dt / double(m_legMs);
        while (d.progress >= 1.0 && d.at < last) {
            ++d.at;
            d.progress -= 1.0;
        }
        if (d.at >= last)
            d.progress = 0;
    }
    m_dots.erase(std::remove_if(m_dots.begin(), m_dots.end(),
                                [](const FlowDot& d) { return d.finished && d.at >= int(d.route.size()) - 1; }),
                 m_dots.end());
}

void FlowScene::jumpToPresent()
{
    for (FlowDot& d : m_dots) {
        d.at = int(d.route.size()) - 1;
        d.progress = 0;
    }
    m_dots.erase(std::remove_if(m_dots.begin(), m_dots.end(), [](const FlowDot& d) { return d.finished; }),
                 m_dots.end());
}

void FlowScene::clear()
{
    m_dots.clear();
    m_recentPicks.clear();
    m_lastSequence = 0;
    m_dropped = 0;
    m_arrivedTotal = 0;
    m_samples.clear();
    m_lastAdvanceMs = -1;
}

bool FlowScene::isMoving() const
{
    return std::any_of(m_dots.begin(), m_dots.end(), [](const FlowDot& d) { return d.at < int(d.route.size()) - 1; });
}

int FlowScene::heldCount() const
{
    return int(std::count_if(m_dots.begin(), m_dots.end(), [](const FlowDot& d) { return d.held; }));
}

QString FlowScene::samplingText() const
{
    if (m_samples.size() < 2)
        return {};
    const quint64 arrived = m_samples.back().arrived - m_samples.front().arrived;
    const quint64 followed = m_samples.back().followed - m_samples.front().followed;
    if (arrived == 0 || followed >= arrived)
        return {};
    if (followed == 0)
        return tr("showing none of %1 requests").arg(arrived);
    const double ratio = double(arrived) / double(followed);
    if (ratio >= 1.5)
        return tr("showing 1 in %1 requests").arg(qRound(ratio));
    return tr("showing %1 of %2 requests").arg(followed).arg(arrived);
}

QString FlowScene::emptyText() const
{
    if (!m_dots.empty() || m_arrivedTotal > 0)
        return {};
    return tr("No requests yet — start traffic in the Traffic tab or send one from the Console");
}

QString FlowScene::backendName(int id) const
{
    const int i = backendIndex(id);
    return i >= 0 ? m_backends[i].name : tr("backend #%1").arg(id);
}

int FlowScene::backendIndex(int id) const
{
    for (int i = 0; i < m_backends.size(); ++i) {
        if (m_backends[i].id == id)
            return i;
    }
    return -1;
}

FlowOutcome FlowScene::outcomeOf(int status, int backendId, bool attempted)
{
    if (status == 0)
        return FlowOutcome::NoResponse;
    if (backendId < 0 && !(attempted && status >= 500))
        return FlowOutcome::NoBackend;
    if (status < 400)
        return FlowOutcome::Success;
    return status < 500 ? FlowOutcome::ClientError : FlowOutcome::ServerError;
}

QColor FlowScene::outcomeColor(FlowOutcome o)
{
    switch (o) {
    case FlowOutcome::Pending: return {0x2f, 0x6f, 0xd0};
    case FlowOutcome::Success: return {0x2c, 0xa0, 0x2c};
    case FlowOutcome::ClientError: return {0xe0, 0x9a, 0x10};
    case FlowOutcome::ServerError: return {0xd6, 0x27, 0x28};
    case FlowOutcome::NoBackend: return {0x80, 0x80, 0x80};
    case FlowOutcome::NoResponse: return {0x20, 0x20, 0x20};
    }
    return {};
}

QString FlowScene::outcomeText(FlowOutcome o)
{
    switch (o) {
    case FlowOutcome::Pending: return tr("in flight");
    case FlowOutcome::Success: return tr("2xx");
    case FlowOutcome::ClientError: return tr("4xx");
    case FlowOutcome::ServerError: return tr("5xx");
    case FlowOutcome::NoBackend: return tr("no backend (the proxy answered)");
    case FlowOutcome::NoResponse: return tr("no response");
    }
    return {};
}

QString FlowScene::describe(const FlowDot& d) const
{
    QString s = d.request.isEmpty() ? tr("request %1").arg(d.requestId) : d.request;
    for (int i = 0; i < d.attempts.size(); ++i) {
        const FlowAttempt& a = d.attempts[i];
        QString result;
        if (!a.failure.isEmpty())
            result = tr("failed: %1").arg(a.failure);
        else if (a.status)
            result = tr("answered %1").arg(a.status);
        else
            result = d.finished ? tr("no answer") : tr("in service");
        s += tr("\nattempt %1: %2 — %3").arg(i + 1).arg(backendName(a.backendId), result);
        if (!a.explanation.isEmpty())
            s += tr("\n    pick: %1").arg(a.explanation);
    }
    if (d.attempts.isEmpty())
        s += d.held ? tr("\nheld by step mode before its pick") : tr("\nno backend picked");
    if (d.finished)
        s += tr("\nstatus %1 (%2) in %3 ms")
                 .arg(d.status ? QString::number(d.status) : tr("none"), outcomeText(d.outcome))
                 .arg(d.latencyMs, 0, 'f', 2);
    else
        s += tr("\nstill in flight");
    return s;
}

// ---- layout -------------------------------------------------------------------------------------------

void FlowScene::setBackends(const QList<FlowBackend>& backends)
{
    const bool countChanged = backends.size() != m_backends.size();
    m_backends = backends;
    if (countChanged)
        relayout();
}

void FlowScene::setViewport(QSizeF size)
{
    m_size = size;
    relayout();
}

void FlowScene::relayout()
{
    constexpr double margin = 10;
    constexpr double gap = 8;
    const double w = qMax(320.0, m_size.width());
    const double h = qMax(200.0, m_size.height());
    m_layout.header = QRectF(margin, margin, w - 2 * margin, 20);
    m_layout.legend = QRectF(margin, h - margin - 18, w - 2 * margin, 18);
    const double top = m_layout.header.bottom() + gap;
    const double bottom = m_layout.legend.top() - gap;
    const double bodyH = bottom - top;
    const double midY = top + bodyH / 2;

    // Nodes grow with the view (a big window shows bigger nodes, not the same ones lost in white) up to a
    // size where text and slots stop gaining from it.
    const double cw = std::clamp(w * 0.09, 70.0, 130.0);
    const double ch = std::clamp(bodyH * 0.14, 56.0, 100.0);
    m_layout.client = QRectF(margin, midY - ch / 2, cw, ch);
    const double bw = std::clamp(w * 0.32, 220.0, 440.0);
    const double bx = w - margin - bw;
    const double pw = std::clamp(w * 0.28, 190.0, 400.0);
    const double ph = qMin(std::clamp(bodyH * 0.34, 130.0, 240.0), bodyH);
    const double px = m_layout.client.right() + (bx - m_layout.client.right() - pw) / 2;
    m_layout.proxy = QRectF(px, midY - ph / 2, pw, ph);

    m_layout.backends.clear();
    const qsizetype n = m_backends.size();
    if (n == 0)
        return;
    const double bh = qMin(std::clamp(bodyH * 0.2, 80.0, 130.0), (bodyH - gap * double(n - 1)) / double(n));
    const double total = bh * double(n) + gap * double(n - 1);
    double y = midY - total / 2;
    for (qsizetype i = 0; i < n; ++i) {
        m_layout.backends.append(QRectF(bx, y, bw, bh));
        y += bh + gap;
    }
}

QPointF FlowScene::placePoint(const FlowPlace& p, quint64 requestId) const
{
    const Spot spot = spotOf(requestId);
    switch (p.node) {
    case FlowPlace::Node::Client:
        return {m_layout.client.right() - 14 + spot.across,
                m_layout.client.center().y() + spot.along * qMin(1.0, m_layout.client.height() / 80)};
    case FlowPlace::Node::Proxy:
        // The proxy's dot lane, under its title and above the pick's explanation.
        return {m_layout.proxy.center().x() + spot.wide * qMin(1.0, m_layout.proxy.width() / 240),
                m_layout.proxy.top() + 40 + spot.across * 0.6};
    case FlowPlace::Node::Backend: {
        const int i = backendIndex(p.backendId);
        if (i < 0 || i >= m_layout.backends.size()) // removed meanwhile: it waits at the proxy's edge
            return {m_layout.proxy.right(), m_layout.proxy.top() + 40 + spot.across};
        const QRectF& r = m_layout.backends[i];
        return {r.left() + 14 + spot.across, r.center().y() + spot.along * qMin(1.0, r.height() / 80)};
    }
    }
    return {};
}

QPointF FlowScene::dotPosition(const FlowDot& d) const
{
    const QPointF here = placePoint(d.route[d.at], d.requestId);
    if (d.at + 1 >= d.route.size())
        return here;
    const QPointF next = placePoint(d.route[d.at + 1], d.requestId);
    const double t = d.progress;
    if (d.route[d.at].node == FlowPlace::Node::Backend && d.route[d.at + 1].node == FlowPlace::Node::Backend) {
        // A failover hop bends out to the left of the backends' column, so it never crosses the parking strip
        // of a backend in between (which would read as a request in service there).
        const QPointF control(qMin(here.x(), next.x()) - kHopBend, (here.y() + next.y()) / 2);
        return here * ((1 - t) * (1 - t)) + control * (2 * (1 - t) * t) + next * (t * t);
    }
    return here + (next - here) * t;
}

quint64 FlowScene::dotAt(QPointF point) const
{
    constexpr double reach = kDotRadius + 3;
    for (auto it = m_dots.rbegin(); it != m_dots.rend(); ++it) { // the newest is drawn on top
        const QPointF delta = dotPosition(*it) - point;
        if (delta.x() * delta.x() + delta.y() * delta.y() <= reach * reach)
            return it->requestId;
    }
    return 0;
}

int FlowScene::backendAt(QPointF point) const
{
    for (int i = 0; i < m_layout.backends.size() && i < m_backends.size(); ++i) {
        if (m_layout.backends[i].contains(point))
            return m_backends[i].id;
    }
    return -1;
}

} // namespace lab
