#pragma once

#include <QDateTime>
#include <QList>
#include <QMutex>
#include <QString>
#include <atomic>
#include <memory>
#include <optional>

namespace lab {

class Clock;

// One proxied request as a learner wants to see it.
struct TraceEntry {
    quint64 sequence = 0;
    QDateTime time;
    QString client;
    QString method;
    QString path;
    QString attempts; // "backend-8001: connection refused → backend-8002: 200"
    QString servedBy; // empty when no backend answered
    int status = 0;
    double latencyMs = 0;
    QString why; // the balancer's explanation of each pick ("smooth WRR: current weights a=3 ... → a")
    QString token; // the request's X-Lab-Trace value: the request console finds its request by it
};

// A bounded ring of recent requests, sampled so that a flood costs almost nothing: at most
// `maxPerSecond` entries are recorded each second, the rest are dropped. A request carrying the header
// X-Lab-Trace is always recorded (the request console sends it). Thread-safe.
class RequestTrace final {
public:
    // Time (the sampling second) comes from `clock`; the real one when none is given.
    explicit RequestTrace(int capacity = 500, int maxPerSecond = 50, std::shared_ptr<const Clock> clock = {});

    // Cheap check before building an entry (one atomic in the common case).
    bool shouldSample();
    quint64 record(TraceEntry entry); // returns the entry's sequence
    // The most recent entry recorded with this token, if it is still in the ring.
    std::optional<TraceEntry> findToken(const QString& token) const;
    quint64 lastSequence() const;
    // Entries with sequence > afterSequence, oldest first.
    QList<TraceEntry> since(quint64 afterSequence) const;
    QList<TraceEntry> all() const { return since(0); }

private:
    const int m_capacity;
    const int m_maxPerSecond;
    const std::shared_ptr<const Clock> m_clock;
    std::atomic<qint64> m_second{0};
    std::atomic<int> m_inSecond{0};
    mutable QMutex m_mutex;
    QList<TraceEntry> m_ring;
    qsizetype m_head = 0;
    quint64 m_sequence = 0;
};

} // namespace lab
