#pragma once

#include <QDateTime>
#include <QList>
#include <QMutex>
#include <QString>
#include <array>
#include <memory>

namespace lab {

class Clock;

// One line of the lab's story: a backend started, a failover, a config change, a health transition.
struct LabEvent {
    enum class Kind { Backend, Proxy, Failover, Config, Health, Traffic };
    quint64 sequence = 0;
    QDateTime time;
    Kind kind = Kind::Backend;
    QString text;
};

// A bounded, thread-safe ring of events. Any thread appends (proxy workers report failovers); readers
// (the window, ~10 times a second) take what is new as one batch. A flood is cut to maxPerSecond events
// per second and per kind (so a storm of failovers never hides a health transition); the rest are
// counted and summarised by one "… were not logged" event, so a failing backend under full load costs
// a counter increment per request, not a log line. A state change (a backend DOWN or UP, ejected, its
// circuit opening, ...) is never cut: it is what the log is for, and a state machine makes few of them.
// The summary is written as soon as the second is over — by the next append, or by
// closeSuppressionWindow(), which the lab's housekeeping calls every 100 ms — and carries the time that
// second ended, not the time of whatever event came next. Time comes from the Clock it is given (the
// real one unless a test gives a ManualClock).
class EventLog final {
public:
    // Normal events may be cut in a flood; a StateChange always gets in (and uses up the budget).
    enum class Priority { Normal, StateChange };

    explicit EventLog(int capacity = 2000, int maxPerSecond = 20, std::shared_ptr<const Clock> clock = {});

    void append(LabEvent::Kind kind, const QString& text, Priority priority = Priority::Normal);
    // The same with the clocks given: wall time for the event, steady ms for the flood window (tests).
    void append(LabEvent::Kind kind, const QString& text, const QDateTime& wallNow, qint64 steadyNowMs,
                Priority priority = Priority::Normal);
    // Writes the summary of a finished second that suppressed events, stamped with the wall time that
    // second ended. Cheap when there is nothing to write (one lock, one compare).
    void closeSuppressionWindow();
    void closeSuppressionWindow(const QDateTime& wallNow, qint64 steadyNowMs);
    // Logs what this second has left out so far, now (a lab about to be replaced: its flood's summary
    // must come before the next lab's first event, not after it).
    void flushSuppressed();
    // Events with sequence > afterSequence, oldest first (at most the ring's capacity).
    QList<LabEvent> since(quint64 afterSequence) const;
    quint64 lastSequence() const;
    quint64 suppressed() const;

    static QString kindName(LabEvent::Kind kind);

private:
    void push(LabEvent::Kind kind, const QString& text, const QDateTime& now);
    // With m_mutex held: if the clock left m_second, summarise it and start the new second.
    void rollSecond(const QDateTime& wallNow, qint64 steadyNowMs);
    // The summaries of what this second left out ("in the `which` second"), stamped `at`; counts cleared.
    void pushSuppressed(const char* which, const QDateTime& at);

    const int m_capacity;
    const int m_maxPerSecond;
    const std::shared_ptr<const Clock> m_clock;
    mutable QMutex m_mutex;
    QList<LabEvent> m_ring;
    qsizetype m_head = 0;
    quint64 m_sequence = 0;
    static constexpr int kKinds = 6;
    qint64 m_second = 0;
    std::array<int, kKinds> m_inSecond{};
    std::array<quint64, kKinds> m_suppressedThisSecond{};
    quint64 m_suppressedTotal = 0;
};

} // namespace lab
