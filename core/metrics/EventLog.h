#pragma once

#include <QDateTime>
#include <QList>
#include <QMutex>
#include <QString>
#include <array>

namespace lab {

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
// a counter increment per request, not a log line.
class EventLog final {
public:
    explicit EventLog(int capacity = 2000, int maxPerSecond = 20);

    void append(LabEvent::Kind kind, const QString& text);
    // Events with sequence > afterSequence, oldest first (at most the ring's capacity).
    QList<LabEvent> since(quint64 afterSequence) const;
    quint64 lastSequence() const;
    quint64 suppressed() const;

    static QString kindName(LabEvent::Kind kind);

private:
    void push(LabEvent::Kind kind, const QString& text, const QDateTime& now);

    const int m_capacity;
    const int m_maxPerSecond;
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
