#include "FlowScene.h"

#include <algorithm>
#include <cmath>

namespace lab {

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
        m_pickStrip.append(backendName(e.backendId));
        if (m_pickStrip.size() > kPickStrip)
            m_pickStrip.removeFirst();
        m_latestPickBackend = e.backendId;
        m_pickNote.clear();
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
        // The last attempt failed (refused, or a 404 the proxy retried): the answer is the proxy's own, made
        // there, so the dot wears it from the proxy on, not at the last backend it tried, which answered
        // something else or nothing (trial 9: red 503 dots at a backend that only ever said 404).
        if (d->route.last().node != FlowPlace::Node::Proxy)
            d->route.append(FlowPlace{FlowPlace::Node::Proxy});
        d->revealAt = qMin(d->revealAt, int(d->route.size()) - 1);
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
    m_pickStrip.clear();
    m_latestPickBackend = -1;
    m_pickNote.clear();
    m_algorithm.clear(); // a new lab's algorithm is no change
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
    // What it is, not a fault: the proxy follows a few dozen requests a second and the view draws those.
    const QString share = pickSampling();
    return share.isEmpty() ? QString() : tr("drawing %1 requests: too many to draw each one").arg(share);
}

QString FlowScene::pickSampling() const
{
    if (m_samples.size() < 2)
        return {};
    // Nothing arrived over the last second: nothing is being sampled now, whatever the window's start
    // holds (trial 5 saw "drawing 1 in 35" stay, and change, at 0 req/s).
    const Sample& newest = m_samples.back();
    for (auto it = m_samples.rbegin(); it != m_samples.rend(); ++it) {
        if (it->atMs <= newest.atMs - kIdleMs) {
            if (it->arrived == newest.arrived)
                return {};
            break;
        }
    }
    const quint64 arrived = m_samples.back().arrived - m_samples.front().arrived;
    const quint64 followed = m_samples.back().followed - m_samples.front().followed;
    if (arrived == 0 || followed >= arrived)
        return {};
    if (followed == 0)
        return tr("none of %1").arg(arrived);
    const double ratio = double(arrived) / double(followed);
    return ratio >= 1.5 ? tr("1 in %1").arg(qRound(ratio)) : tr("%1 of %2").arg(followed).arg(arrived);
}

QString FlowScene::pickStripLabel() const
{
    const QString sampling = pickSampling();
    return sampling.isEmpty() ? tr("picks, oldest first: ") : tr("showing %1 picks, oldest first: ").arg(sampling);
}

QString FlowScene::allPicksText(bool atPause) const
{
    if (pickSampling().isEmpty() || m_backends.isEmpty())
        return {};
    QStringList counts;
    for (const FlowBackend& b : m_backends)
        counts << tr("%1\u00a0%2").arg(b.name).arg(b.picks); // a name and its count wrap as one
    // Paused, these counts stand still while the board's Reqs go on: "at pause" says why they differ.
    return (atPause ? tr("all picks since Reset, at pause: %1") : tr("all picks since Reset: %1"))
        .arg(counts.join(QStringLiteral(" · ")));
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
    if (backendId < 0 && status == 429 && !attempted)
        return FlowOutcome::RateLimited;
    if (backendId < 0 && !(attempted && status >= 500))
        return FlowOutcome::NoBackend;
    if (status < 400)
        return FlowOutcome::Success;
    return status < 500 ? FlowOutcome::ClientError : FlowOutcome::ServerError;
}

QColor FlowScene::dotColor(const FlowDot& d, bool selected)
{
    return outcomeColor(selected ? d.outcome : shownOutcome(d));
}

QColor FlowScene::outcomeColor(FlowOutcome o)
{
    switch (o) {
    case FlowOutcome::Pending: return {0x2f, 0x6f, 0xd0};
    case FlowOutcome::Success: return {0x2c, 0xa0, 0x2c};
    case FlowOutcome::ClientError: return {0xe0, 0x9a, 0x10};
    case FlowOutcome::ServerError: return {0xd6, 0x27, 0x28};
    case FlowOutcome::NoBackend: return {0x80, 0x80, 0x80};
    case FlowOutcome::RateLimited: return {0x8e, 0x44, 0xad};
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
    case FlowOutcome::NoBackend: return tr("no backend tried (the proxy answered 503/400 itself)");
    case FlowOutcome::RateLimited: return tr("429 rate-limited (the proxy answered)");
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
        s += tr("\nstatus %1 (%2) after %3 ms (from its arrival at the proxy to its answer)")
                 .arg(d.status ? QString::number(d.status) : tr("none"), outcomeText(d.outcome))
                 .arg(d.latencyMs, 0, 'f', 2);
    else
        s += tr("\nstill in flight");
    return s;
}

void FlowScene::setBackends(const QList<FlowBackend>& backends)
{
    // Membership is who can be picked and with what weight; the live figures change every tick.
    auto sameMembers = [](const QList<FlowBackend>& a, const QList<FlowBackend>& b) {
        return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const FlowBackend& x, const FlowBackend& y) {
            return x.id == y.id && x.name == y.name && x.weight == y.weight;
        });
    };
    if (!m_backends.isEmpty() && !sameMembers(m_backends, backends) &&
        (!m_recentPicks.isEmpty() || !m_pickNote.isEmpty())) {
        QStringList members;
        for (const FlowBackend& b : backends)
            members << tr("%1 (weight %2)").arg(b.name).arg(b.weight);
        clearPicks(members.isEmpty()
                       ? tr("no backends left; no pick yet")
                       : tr("backends changed to %1; no pick yet").arg(members.join(QStringLiteral(", "))));
    }
    const bool countChanged = backends.size() != m_backends.size();
    m_backends = backends;
    if (countChanged)
        relayout();
}

void FlowScene::setAlgorithm(const QString& name)
{
    if (name == m_algorithm)
        return;
    if (!m_algorithm.isEmpty())
        clearPicks(tr("algorithm changed to %1; no pick yet").arg(name));
    m_algorithm = name;
}

void FlowScene::clearPicks(const QString& note)
{
    m_recentPicks.clear();
    m_pickStrip.clear();
    m_latestPickBackend = -1;
    m_pickNote = note;
}

QString FlowScene::candidatesText() const
{
    QStringList parts;
    for (const FlowBackend& b : m_backends) {
        QString s = tr("%1 (%2, weight %3)").arg(b.name, b.stateText).arg(b.weight);
        if (b.tier == PickTier::Fallback)
            s += tr(": only if no other is left");
        else if (b.tier == PickTier::Excluded)
            s += tr(": not a candidate");
        parts << s;
    }
    return parts.join(QStringLiteral(" · "));
}

QStringList FlowScene::figures(const FlowBackend& b)
{
    QStringList out{tr("weight %1").arg(b.weight), tr("%1 in flight").arg(b.inFlight),
                    tr("%1 req/s").arg(qRound(b.ratePerSecond))};
    if (b.workers > 0)
        out << tr("%1/%2 workers busy").arg(b.inService).arg(b.workers);
    if (b.queueCapacity > 0)
        out << tr("%1/%2 queued").arg(b.queued).arg(b.queueCapacity);
    if (b.workers > 0) {
        if (const int rest = b.inFlight - b.inService - b.queued; rest > 0)
            out << (b.latencyMs > 0 ? tr("%1 in %2 ms latency").arg(rest).arg(b.latencyMs)
                                    : tr("%1 on the wire").arg(rest));
    }
    return out;
}

QString FlowScene::describeBackend(const FlowBackend& b)
{
    QString s = tr("%1 — %2").arg(b.name, b.stateText);
    if (!b.stateDetail.isEmpty())
        s += u'\n' + b.stateDetail;
    s += u'\n' + figures(b).join(QStringLiteral(" · "));
    if (b.workers > 0)
        s += tr("\nIn flight = busy workers + queued + after service: its latency fault (%1 ms) comes after the "
                "service time and holds no worker.")
                 .arg(b.latencyMs);
    s += tr("\nSelected on the board; its faults and capacity are in the Backend tab.");
    return s;
}

QString FlowScene::countsText(const FlowBackend& b)
{
    return figures(b).mid(0, 3).join(QStringLiteral(" · "));
}

} // namespace lab
