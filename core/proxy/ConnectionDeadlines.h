#pragma once

#include <QObject>
#include <QTimer>
#include <vector>

namespace lab {

// The deadlines of every connection on one worker (client side: header read, keep-alive idle, step-mode
// hold, the flush before a close; backend side: an attempt's connect and response timeouts), kept
// without a QTimer per connection. With 10 000 idle keep-alive
// connections a QTimer each cost ~0.3 KiB (the QObject, its private, the dispatcher's timer record and
// id) and every request re-armed one, a sift through the dispatcher's heap of 10 000 timers whose
// records no longer fit in the cache: CPU per request grew with the idle connections.
//
// Deadlines with the same duration expire in the order they were armed, so each duration gets a lane,
// a FIFO intrusive list: arming appends to the tail, disarming unlinks, both O(1) and allocation free
// (a connection embeds its Entry). One worker timer is armed for the earliest lane head; it is restarted
// only when an arm makes a deadline earlier than the one it waits for, never when a head is disarmed
// (it then wakes early, finds nothing due, and waits for the new head). The lanes are few: one per
// distinct timeout value in use (settings can change live, which may add one).
//
// Precondition: used on its worker's thread only. An Entry must be disarmed before it is destroyed.
class ConnectionDeadlines final : public QObject {
    Q_OBJECT
public:
    class Handler {
    public:
        virtual void onDeadline() = 0;

    protected:
        ~Handler() = default;
    };

    // Embedded in the connection: a link in one lane's list while armed.
    class Entry {
    public:
        explicit Entry(Handler* handler)
            : m_handler(handler)
        {
        }
        Q_DISABLE_COPY_MOVE(Entry)
        bool armed() const { return m_lane >= 0; }

    private:
        friend class ConnectionDeadlines;
        Handler* m_handler;
        Entry* m_prev = nullptr;
        Entry* m_next = nullptr;
        qint64 m_deadlineNs = 0;
        quint64 m_armedInPass = 0;
        int m_lane = -1;
    };

    explicit ConnectionDeadlines(QObject* parent = nullptr);
    ~ConnectionDeadlines() override;
    Q_DISABLE_COPY_MOVE(ConnectionDeadlines)

    // (Re)arms `entry` to call its handler once, `durationMs` from now.
    void arm(Entry& entry, qint64 durationMs);
    void disarm(Entry& entry);

    int armedCount() const { return m_armed; }
    int laneCount() const { return int(m_lanes.size()); }
    // How often the worker timer was (re)started: stays near the number of expiries, not of arms.
    quint64 timerStarts() const { return m_timerStarts; }

private:
    struct Lane {
        qint64 durationMs = 0;
        Entry* head = nullptr;
        Entry* tail = nullptr;
    };
    int laneFor(qint64 durationMs);
    void unlink(Entry& entry);
    void expire();
    void startTimer(qint64 deadlineNs, qint64 nowNs);

    std::vector<Lane> m_lanes;
    QTimer m_timer; // a child (parented in the constructor): moves with this object to another thread
    qint64 m_timerDeadlineNs = 0; // what m_timer waits for while it is active
    // m_timer.isActive(), kept here: QTimer's is an out-of-line call through its bindable property, and
    // every arm asked it (attempts arm once or twice per request).
    bool m_timerActive = false;
    quint64 m_pass = 0; // expiry passes; an entry armed during one waits for the next
    quint64 m_timerStarts = 0;
    int m_armed = 0;
};

} // namespace lab
