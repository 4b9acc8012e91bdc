#pragma once

#include "health/Eligibility.h"
#include "metrics/Lifecycle.h"

#include <QColor>
#include <QCoreApplication>
#include <QList>
#include <QPointF>
#include <QRectF>
#include <QSizeF>
#include <QString>
#include <QStringList>
#include <climits>
#include <deque>

namespace lab {

// One backend as the flow view draws it: the board's state colour and text, the pool's id (the backendId of
// the lifecycle events), and the live figures of the lab's metrics snapshot, so a card reads what the
// board reads.
struct FlowBackend {
    int id = -1;
    QString name;
    QString stateText;
    QColor stateColor;
    int weight = 1;
    int inFlight = 0; // requests the proxy has in flight there (the snapshot's BackendStats::inFlight)
    // Capacity of an embedded fake backend (FaultProfile workers / queue, its live counters). workers 0:
    // unlimited or not known (external): the node draws the proxy's in-flight requests as filled slots.
    int workers = 0;
    int inService = 0; // requests holding a worker, from any client (the proxy's and health probes)
    int queueCapacity = 0;
    int queued = 0; // waiting for a worker
    double ratePerSecond = 0; // requests the proxy sent it over the last second
    // How the next pick treats it (the pool's Eligibility): what step mode lists as the candidates.
    PickTier tier = PickTier::Preferred;
    int latencyMs = 0; // its latency fault, which a request sits in after service, holding no worker
    QString stateDetail; // why it is in that state and what the state means (the board's State tooltip)
    // Attempts the proxy sent it since Reset (the board's Reqs): every pick, drawn or not.
    quint64 picks = 0;
    bool operator==(const FlowBackend&) const = default;
};

// Where a dot is or goes.
struct FlowPlace {
    enum class Node : quint8 { Client, Proxy, Backend };
    Node node = Node::Client;
    int backendId = -1;
    bool operator==(const FlowPlace&) const = default;
};

// A request's colour on the flow view.
enum class FlowOutcome : quint8 {
    Pending, // no answer yet
    Success, // 1xx-3xx
    ClientError, // 4xx
    ServerError, // 5xx from a backend, or 502/504 after the attempts failed
    NoBackend, // the proxy answered itself (503 no backend or hold timeout, 400): backendId -1
    RateLimited, // the proxy answered 429 itself: the rate limiter refused it, no backend asked
    NoResponse // status 0: the connection closed without a response
};

struct FlowAttempt {
    int backendId = -1;
    QString explanation; // the balancer's explanation of the pick
    QString failure; // why the attempt failed; empty when it answered (or is still running)
    int status = 0;
};

// One followed request on its way. `route` grows as its events arrive (client, proxy, each backend
// tried, proxy, client); the dot walks it one leg per legMs and waits at the last place it knows, so a
// dot parked at a backend is a request in service there.
struct FlowDot {
    quint64 requestId = 0;
    QString request; // "GET /path from 127.0.0.1"
    QList<FlowAttempt> attempts;
    FlowOutcome outcome = FlowOutcome::Pending;
    int status = 0;
    double latencyMs = 0;
    quint64 traceSequence = 0;
    bool held = false; // parked by step mode before its pick
    bool finished = false;
    // From this place on the dot wears its outcome: where the answer came from (the backend, or the proxy
    // for one it gave itself). Before, it is in flight: the window does not tell the end of a request
    // before its dot gets there, even when the events already did.
    int revealAt = INT_MAX;
    QList<FlowPlace> route;
    int at = 0; // index in route of the place last reached
    double progress = 0; // along the leg route[at] -> route[at + 1], 0..1
};

// The flow view's model: what the lifecycle stream said, turned into dots walking between nodes, plus the
// layout that places nodes and dots in a viewport and finds what is under a point. No painting and no
// widgets, so a test drives it with synthetic events and a manual time. Cost: O(events) per ingest and
// O(dots) per advance; dots are bounded by kMaxDots (the oldest are dropped first).
//
// Catching up (the first fetch, Resume after Pause, a slow reader that lost events) never replays the
// backlog: requests already finished are not drawn, those still running appear where they are now.
//
// The picks: the latest explanation, the backend it chose and a strip of the last kPickStrip choices in
// order ("a a b a c a a"). A pick made under another algorithm or another set of backends explains
// nothing about the next one, so a change of either clears them and says so until the next pick.
//
// Layout (FlowSceneLayout.cpp): three columns, client | proxy | backends, sized from the viewport and
// the zoom (setMetrics: a scale for shapes and dots, the font's line height for text rows). When the
// columns' preferred widths do not fit they shrink together, so nodes never overlap at any size.
class FlowScene final {
    Q_DECLARE_TR_FUNCTIONS(FlowScene)
public:
    static constexpr int kMaxDots = 300;
    static constexpr int kRecentPicks = 4;
    static constexpr int kPickStrip = 24;
    static constexpr int kNormalLegMs = 260;
    static constexpr int kSlowLegMs = 900;
    static constexpr qint64 kSamplingWindowMs = 3000;
    static constexpr qint64 kIdleMs = 1000; // no arrival for this long: the view is not sampling
    static constexpr double kDotRadius = 5; // at scale 1
    static constexpr double kHopBend = 60; // px at scale 1 a failover hop bends out of the backends' column

    // Takes one batch. `animate` false: jump to the present (see above). When the batch lost events, every
    // request drawn so far is dropped (its missing events would draw it wrong), and so is each request of
    // the batch whose Arrived is not in it.
    void ingest(const LifecycleStream::Batch& batch, qint64 nowMs, bool animate = true);
    // Moves the dots to `nowMs`; removes those back at the client.
    void advance(qint64 nowMs);
    // Every dot to the last place it knows; finished ones leave.
    void jumpToPresent();
    void clear();
    void setLegMs(int ms) { m_legMs = qMax(1, ms); }
    int legMs() const { return m_legMs; }
    // A change of ids, names or weights (not of the live figures) clears the picks (see above).
    void setBackends(const QList<FlowBackend>& backends);
    const QList<FlowBackend>& backends() const { return m_backends; }
    // The pool's algorithm name; a change after the first clears the picks.
    void setAlgorithm(const QString& name);
    const QString& algorithm() const { return m_algorithm; }

    const std::deque<FlowDot>& dots() const { return m_dots; }
    const FlowDot* dot(quint64 requestId) const;
    bool isMoving() const; // some dot has a leg left to walk
    // The latest pick's explanation ("smooth WRR: current weights a=5 b=1 c=1 → a"); empty before any.
    QString latestPick() const { return m_recentPicks.isEmpty() ? QString() : m_recentPicks.first(); }
    // The last kRecentPicks explanations, newest first.
    const QStringList& recentPicks() const { return m_recentPicks; }
    // The backend of the latest pick, -1 when none (or the picks were cleared by a change).
    int latestPickBackend() const { return m_latestPickBackend; }
    // The names the last kPickStrip picks chose, oldest first, and as one line: "a a b a c a a".
    const QStringList& pickStrip() const { return m_pickStrip; }
    QString pickStripText() const { return m_pickStrip.join(QLatin1Char(' ')); }
    // Why there is no latest pick after a change ("algorithm changed to least-connections; no pick yet");
    // empty once a pick came, or when nothing changed.
    const QString& pickNote() const { return m_pickNote; }
    // The backends a held request's pick chooses among, with their state and weight:
    // "backend-8001 (up, weight 5) · backend-8003 (unhealthy, weight 1): not a candidate".
    QString candidatesText() const;
    // A card's figures: weight, requests in flight, req/s and, for a capacity-limited backend, its busy
    // workers and queue ("1/1 workers busy", "3/4 queued") and the rest of those in flight, so the numbers
    // add up: "4 in 200 ms latency" (the latency fault comes after service and holds no worker) or
    // "4 on the wire"; countsText joins the first three: "weight 5 · 3 in flight · 98 req/s".
    static QStringList figures(const FlowBackend& b);
    static QString countsText(const FlowBackend& b);
    // The details pane's text for a backend clicked on the board or in the view.
    static QString describeBackend(const FlowBackend& b);
    // "drawing 1 in 40 requests: too many to draw each one" while the stream samples; empty when it
    // follows every request.
    QString samplingText() const;
    // While sampled, how the picks strip must be read: "1 in 40" (only followed requests' picks are
    // drawn, so the strip and the latest pick are a sample, not the pool's sequence); empty when every
    // request is drawn, where they are exact.
    QString pickSampling() const;
    // The strip's label: "picks, oldest first: ", or while sampled "showing 1 in 40 picks, oldest first: ",
    // so a strip of drawn picks never reads as the pool's whole sequence.
    QString pickStripLabel() const;
    // While sampled, every pick counted per backend beside the strip, drawn or not (FlowBackend::picks):
    // "all picks since Reset: backend-8001 120 · backend-8002 40"; empty when every request is drawn.
    // `atPause`: the view is paused, the counts are those of that moment ("…since Reset, at pause: …").
    QString allPicksText(bool atPause = false) const;
    // The empty state's sentence while no request has reached the proxy yet; empty otherwise.
    QString emptyText() const;
    quint64 lastSequence() const { return m_lastSequence; }
    quint64 droppedRequests() const { return m_dropped; } // half-drawn requests dropped after lost events
    int heldCount() const;
    // Multi-line details of one request for the details pane (attempts with backend names and the
    // pick's explanation, status, latency).
    QString describe(const FlowDot& d) const;
    QString backendName(int id) const;
    // `attempted`: the proxy tried at least one backend (a 502 after failed attempts is a server error).
    static FlowOutcome outcomeOf(int status, int backendId, bool attempted);
    // The colour the dot wears where it is now (see FlowDot::revealAt).
    static FlowOutcome shownOutcome(const FlowDot& d) { return d.at >= d.revealAt ? d.outcome : FlowOutcome::Pending; }
    // The colour a dot is painted: the selected one wears the outcome its details pane states (the pane
    // says "answered 200" as soon as it is known), the others what they show where they are.
    static QColor dotColor(const FlowDot& d, bool selected);
    static QColor outcomeColor(FlowOutcome o);
    static QString outcomeText(FlowOutcome o);

    // ---- layout (FlowSceneLayout.cpp) -----------------------------------------------------------------
    struct Layout {
        QRectF header; // sampling / paused / empty text
        QRectF client;
        QRectF clientLabel; // inside client, at its top: the dots waiting there stay under it
        QRectF proxy;
        QRectF proxyLane; // inside proxy: where requests cross it, clear of its text
        QRectF proxyText; // inside proxy, under the lane: the picks
        QList<QRectF> backends; // parallel to backends()
        QList<QRectF> parking; // inside each backend, at its left: where requests in service wait
        QRectF legend;
    };
    void setViewport(QSizeF size);
    // The zoom: `scale` multiplies shapes, gaps and dots; `lineHeight` is the font's line spacing, so text
    // rows fit the font they are drawn in.
    void setMetrics(double scale, double lineHeight);
    double scale() const { return m_scale; }
    double lineHeight() const { return m_lineHeight; }
    double dotRadius() const { return kDotRadius * m_scale; }
    // How many text lines the header, the legend and the proxy's picks need at this width (the canvas
    // measures them): the proxy grows with its text, within the body.
    void setTextRows(int headerLines, int legendLines, int proxyLines);
    // The figure lines the wordiest card needs at its width (the canvas wraps them, never cuts them): each
    // card is made that tall, and when the body is too short for them all the diagram needs more height.
    void setCardLines(int lines);
    // The height the diagram needs for every card whole (at most the viewport's when that is enough);
    // the canvas grows to it and scrolls (re-trial: cards cut to "4…" at 1366 px with the lesson dock).
    double requiredHeight() const { return m_requiredHeight; }
    // How wide the client's label is in the canvas's font: the client column keeps that much (from the
    // proxy's share) when the columns shrink, so the label reads "clients", not "clie…".
    void setClientLabelWidth(double px);
    // Where a card's text goes: right of its parking strip, inside its frame.
    QRectF cardText(int index) const;
    const Layout& layout() const { return m_layout; }
    QPointF placePoint(const FlowPlace& p, quint64 requestId) const;
    QPointF dotPosition(const FlowDot& d) const;
    // The request whose dot is within a few pixels of `point`, 0 if none (the topmost when dots overlap).
    quint64 dotAt(QPointF point) const;
    // The backend id whose node contains `point`, -1 if none.
    int backendAt(QPointF point) const;

private:
    void apply(const LifecycleEvent& e);
    void trim();
    void relayout();
    int backendIndex(int id) const;
    void clearPicks(const QString& note);
    // Where a leg between two places passes through on its way: the proxy's doors, so a dot enters and
    // leaves the proxy through its lane and never crosses the text under it. Empty: a straight leg.
    QList<QPointF> waypoints(const FlowPlace& from, const FlowPlace& to, quint64 requestId) const;

    FlowDot* find(quint64 requestId);

    std::deque<FlowDot> m_dots; // oldest first; a few hundred at most, so lookups scan
    QList<FlowBackend> m_backends;
    QString m_algorithm;
    QStringList m_recentPicks;
    QStringList m_pickStrip;
    int m_latestPickBackend = -1;
    QString m_pickNote;
    quint64 m_lastSequence = 0;
    quint64 m_dropped = 0;
    quint64 m_arrivedTotal = 0;
    struct Sample {
        qint64 atMs;
        quint64 arrived;
        quint64 followed;
    };
    std::deque<Sample> m_samples;
    qint64 m_lastAdvanceMs = -1;
    int m_legMs = kNormalLegMs;
    QSizeF m_size{800, 400};
    double m_scale = 1;
    double m_lineHeight = 16;
    int m_headerLines = 1;
    int m_legendLines = 1;
    int m_proxyLines = 6;
    int m_cardLines = 2;
    double m_clientLabelWidth = 0;
    double m_requiredHeight = 0;
    Layout m_layout;
};

} // namespace lab
