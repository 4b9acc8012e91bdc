#pragma once

#include <QList>
#include <QMutex>
#include <QString>
#include <atomic>
#include <deque>
#include <memory>

namespace lab {

class Clock;
class ProxyWorker;

// Which requests step mode holds before their pick.
enum class StepScope : quint8 {
    Off,
    LabTraffic, // requests the lab itself sends: its traffic generator and request console (X-Lab-Client)
    AllClients,
};

// A request step mode is holding, as the window lists it.
struct HeldRequest {
    quint64 requestId = 0; // its LifecycleEvent::requestId
    QString method;
    QString path;
    QString client; // "127.0.0.1"
    qint64 heldSinceMs = 0; // the gate's Clock
};

// Step mode for one proxy: a new request in scope is held just before its pick until the user steps,
// so a learner can watch one decision at a time. The gate only keeps the queue; each held request stays
// on its worker (its HttpSession waits in its Held phase), and releasing one posts a queued call to that
// worker, which then picks on its own thread: callers never touch a worker's sockets.
//
// Bounded: at most kMaxHeld requests wait (hold() refuses the next one: the session answers 503), and a
// session gives up after holdTimeoutMs (503 too). Turning step mode off releases every held request, and
// they continue normally. Thread-safe: sessions hold and forget on their workers, the GUI steps.
class StepGate final {
public:
    static constexpr int kMaxHeld = 16;
    static constexpr int kDefaultHoldTimeoutMs = 30000;

    explicit StepGate(std::shared_ptr<const Clock> clock = {});

    // Off releases every held request.
    void setScope(StepScope scope);
    StepScope scope() const { return m_scope.load(std::memory_order_relaxed); }
    // How long a request may wait before it is answered 503 (tests shorten it).
    void setHoldTimeoutMs(int ms) { m_holdTimeoutMs.store(ms, std::memory_order_relaxed); }
    int holdTimeoutMs() const { return m_holdTimeoutMs.load(std::memory_order_relaxed); }

    // On the worker's thread: queues the request (heldSinceMs is set here). False when kMaxHeld wait
    // already. The worker's releaseHeld(requestId, reason) is called, queued, when it is released.
    bool hold(HeldRequest request, ProxyWorker* worker);
    // On the worker's thread: the session no longer waits (timed out, client gone). False when the
    // request was already released (its release is on its way to the worker).
    bool forget(quint64 requestId);
    // Releases the oldest held request. False when none is held.
    bool step();
    QList<HeldRequest> held() const;
    // The steady time the oldest held request has waited since, or -1 (Lab steps the oldest of all gates).
    qint64 oldestHeldSinceMs() const;
    qint64 nowMs() const;

private:
    struct Entry {
        HeldRequest request;
        ProxyWorker* worker;
    };
    static void post(const Entry& entry, const QString& reason);

    const std::shared_ptr<const Clock> m_clock;
    std::atomic<StepScope> m_scope{StepScope::Off};
    std::atomic<int> m_holdTimeoutMs{kDefaultHoldTimeoutMs};
    mutable QMutex m_mutex;
    std::deque<Entry> m_held; // oldest first
};

} // namespace lab
