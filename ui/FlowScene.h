#pragma once

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

// One backend as the flow view draws it: read from the board's row (same state colour and text) and the
// pool's id, which is the backendId of the lifecycle events.
struct FlowBackend {
    int id = -1;
    QString name;
    QString stateText;
    QColor stateColor;
    int weight = 1;
    int inFlight = 0; // requests the proxy has in flight there
    // Capacity of an embedded fake backend (FaultProfile workers / queue, its live counters). workers 0:
    // unlimited or not known (external): the node draws the proxy's in-flight requests as filled slots.
    int workers = 0;
    int inService = 0; // requests holding a worker, from any client (the proxy's and health probes)
    int queueCapacity = 0;
    int queued = 0; // waiting for a worker
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
    NoBackend, // the proxy answered itself (503 no backend, 429, 400): backendId -1
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
class FlowScene final {
    Q_DECLARE_TR_FUNCTIONS(FlowScene)
public:
    static constexpr int kMaxDots = 300;
    static constexpr int kRecentPicks = 4;
    static constexpr int kNormalLegMs = 260;
    static constexpr int kSlowLegMs = 900;
    static constexpr qint64 kSamplingWindowMs = 3000;
    static constexpr double kDotRadius = 5;
    static constexpr double kHopBend = 60; // px a failover hop bends out of the backends' column

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
    void setBackends(const QList<FlowBackend>& backends);
    const QList<FlowBackend>& backends() const { return m_backends; }

    const std::deque<FlowDot>& dots() const { return m_dots; }
    const FlowDot* dot(quint64 requestId) const;
    bool isMoving() const; // some dot has a leg left to walk
    // The latest pick's explanation ("smooth WRR: current weights a=5 b=1 c=1 → a"); empty before any.
    QString latestPick() const { return m_recentPicks.isEmpty() ? QString() : m_recentPicks.first(); }
    // The last kRecentPicks explanations, newest first.
    const QStringList& recentPicks() const { return m_recentPicks; }
    // "showing 1 in 40 requests" while the stream samples; empty when it follows every request.
    QString samplingText() const;
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
    static QColor outcomeColor(FlowOutcome o);
    static QString outcomeText(FlowOutcome o);

    // ---- layout ---------------------------------------------------------------------------------------
    struct Layout {
        QRectF header; // sampling / paused / empty text
        QRectF client;
        QRectF proxy;
        QList<QRectF> backends; // parallel to backends()
        QRectF legend;
    };
    void setViewport(QSizeF size);
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

    FlowDot* find(quint64 requestId);

    std::deque<FlowDot> m_dots; // oldest first; a few hundred at most, so lookups scan
    QList<FlowBackend> m_backends;
    QStringList m_recentPicks;
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
    Layout m_layout;
};

} // namespace lab
