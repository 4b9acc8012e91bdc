#pragma once

#include "lab/BackendId.h"

#include <QDeadlineTimer>
#include <QHash>
#include <QObject>
#include <memory>

class QTimer;

namespace lab {

class FakeBackend;
struct Backend;

// Stops embedded backends gracefully: takes the backend out of rotation (draining), waits until nothing
// is in flight on it or its deadline passes, then stops its server, puts it back into rotation (so Start
// brings it straight back) and emits stopped(). While one waits, isStopping() is true: the window's
// "Stopping…" reads it.
//
// Cost: a 50 ms timer that runs only while a drain waits; each tick reads one atomic per backend.
// Preconditions: the server and pool entry outlive their drain; whoever drops a backend calls cancel()
// first. Lives on the lab's thread.
class DrainThenStop final : public QObject {
    Q_OBJECT
public:
    static constexpr int kPollMs = 50;
    // AtOnce: nothing was in flight (or no drain time), stopped without waiting. Drained: waited until
    // nothing was in flight. CutOff: the deadline came with requests still in flight.
    enum class Outcome { AtOnce, Drained, CutOff };
    Q_ENUM(Outcome)

    explicit DrainThenStop(QObject* parent = nullptr);
    Q_DISABLE_COPY_MOVE(DrainThenStop)

    // Drains `backend` for up to drainMs, then stops `server`. A backend already stopping keeps its
    // first deadline. Nothing in flight (or drainMs <= 0): stops it now, emits stopped() before it
    // returns and returns true.
    bool begin(BackendId id, std::shared_ptr<Backend> backend, FakeBackend* server, int drainMs);
    bool isStopping(BackendId id) const { return m_waiting.contains(id); }
    // Forgets a drain without stopping anything and puts the backend back into rotation (it is being
    // stopped at once or removed by the caller).
    void cancel(BackendId id);
    void clear();

Q_SIGNALS:
    // The server is stopped. cutOff: requests still in flight when it stopped (0 unless Outcome::CutOff).
    void stopped(lab::BackendId id, lab::DrainThenStop::Outcome outcome, int cutOff);

private:
    struct Waiting {
        std::shared_ptr<Backend> backend;
        FakeBackend* server = nullptr;
        QDeadlineTimer deadline;
    };
    void poll();
    void finish(BackendId id, const Waiting& w, bool waited);

    QHash<BackendId, Waiting> m_waiting;
    QTimer* m_timer;
};

} // namespace lab
