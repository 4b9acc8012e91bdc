#pragma once

#include "SlotText.h"
#include <QList>
#include <QMutex>

#include <QString>
#include <atomic>
#include <memory>
#include <vector>

namespace lab {

class Clock;

// What happened to one request, as the flow view draws it. A followed request produces, in order:
// Arrived, then for each attempt Picked and either AttemptFailed (the proxy moves on: a failover hop,
// or a retried 404/5xx) or ResponseStarted, and finally exactly one Finished. A request the proxy
// answers itself (503 no backend, 429, 400, a step-mode hold that timed out) has no ResponseStarted:
// Finished carries its status and backendId -1. Held / Released bracket the wait of a request parked
// by step mode before its pick.
//
// Written by the HTTP listener's sessions (HttpSession). TCP relay connections are not recorded: a relay
// has no request to follow, only bytes, and the flow view draws HTTP requests. A request refused before
// its head was whole (400, 431, 408, the head cap's 503) has Arrived ("request from 127.0.0.1") and
// Finished only; a request cut after its response began, or whose client left, ends with status 0.
enum class LifecycleKind : quint8 { Arrived, Held, Released, Picked, AttemptFailed, ResponseStarted, Finished };

struct LifecycleEvent {
    quint64 sequence = 0; // set by the stream: strictly increasing over the whole stream
    quint64 requestId = 0; // unique within one proxy for its life; the same for every event of a request
    qint64 timeMs = 0; // the stream's Clock (steady)
    LifecycleKind kind = LifecycleKind::Arrived;
    int backendId = -1; // Picked / AttemptFailed / ResponseStarted / Finished (the one that answered)
    int status = 0; // ResponseStarted, Finished; 0 = no HTTP status (connection closed, reset)
    int attempt = 0; // 1 for the first attempt of the request
    QString detail; // Arrived: "GET /path from 127.0.0.1"; Picked: the balancer's explanation;
                    // AttemptFailed: the reason ("connection refused", "404, retrying"); Finished: latency
                    // text is not put here (latencyMs is)
    double latencyMs = 0; // Finished: arrival to last byte
    quint64 traceSequence = 0; // Finished: the RequestTrace entry of this request, 0 if none
};

// A bounded stream of lifecycle events from every worker of one proxy, read by the window in batches on
// its timer (never a signal per request). The decision to follow a request is made once, when it
// arrives (follow()); every event of a followed request is then recorded, so the view never sees half a
// request. Under load at most `maxRequestsPerSecond` requests a second are followed; the stream reports
// how many arrived in all, so the view can say "drawing 1 in 40 requests". Thread-safe; the cost for a
// request that is not followed is a few relaxed atomics.
//
// Which ones: when the last second brought more than the budget, each request is followed with
// probability budget / last second's arrivals, decided by a hash of its arrival number. Following the
// first N of each second (or every Nth) lines up with a round robin's rotation (60 a second over 3
// backends: the last drawn pick of every second is the same backend), so the drawn picks would lie about
// the algorithm; a pseudo-random choice does not alias with any period.
class LifecycleStream final {
public:
    explicit LifecycleStream(int capacity = 4096, int maxRequestsPerSecond = 60,
                             std::shared_ptr<const Clock> clock = {});

    // Called once per arriving request. True: record its events (and the returned id is its requestId).
    // `always` follows it whatever the rate (console requests, step mode).
    bool follow(bool always, quint64* requestId);
    // Sets sequence and, when 0, timeMs. The detail is copied into the ring's preallocated slot (no
    // allocation when it fits, see SlotText); the event's own `detail` is ignored by the second form.
    void record(const LifecycleEvent& event, QStringView detail);
    void record(const LifecycleEvent& event) { record(event, event.detail); }

    struct Batch {
        QList<LifecycleEvent> events; // sequence > after, oldest first
        quint64 lastSequence = 0;
        quint64 arrived = 0; // requests that arrived since the stream began (followed or not)
        quint64 followed = 0; // requests followed since the stream began
        bool lostEvents = false; // the ring overwrote events newer than `after` (reader was too slow)
    };
    Batch since(quint64 afterSequence) const;
    qint64 nowMs() const;

private:
    const int m_capacity;
    const int m_maxPerSecond;
    const std::shared_ptr<const Clock> m_clock;
    std::atomic<quint64> m_arrived{0};
    std::atomic<quint64> m_followed{0};
    std::atomic<quint64> m_nextRequestId{1};
    std::atomic<qint64> m_second{0};
    std::atomic<int> m_inSecond{0}; // followed in m_second
    std::atomic<quint64> m_arrivedAtSecondStart{0}; // m_arrived when m_second began
    std::atomic<quint64> m_arrivedLastSecond{0};
    mutable QMutex m_mutex;
    struct Slot {
        LifecycleEvent event; // without its detail
        SlotText<64> detail;
    };
    std::vector<Slot> m_ring; // reserved to capacity once: filling it never reallocates
    size_t m_head = 0;
    quint64 m_sequence = 0;
};

} // namespace lab
