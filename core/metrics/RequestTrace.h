#pragma once

#include "SlotText.h"

#include <QDateTime>
#include <QList>
#include <QMutex>
#include <QString>
#include <atomic>
#include <memory>
#include <optional>
#include <vector>

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

// The same request as the proxy has it at hand: views of its buffers, copied into the ring by recordFields().
struct TraceFields {
    qint64 epochMs = 0; // QDateTime::currentMSecsSinceEpoch(): no time zone is looked up per request
    QByteArrayView client; // Latin-1
    QByteArrayView method; // Latin-1
    QByteArrayView path; // UTF-8, as the request's target
    QStringView attempts;
    QStringView servedBy;
    int status = 0;
    double latencyMs = 0;
    QStringView why;
    QStringView token;
};

// A bounded ring of recent requests, sampled so that a flood costs almost nothing: at most
// `maxPerSecond` entries are recorded each second, the rest are dropped. A request carrying the header
// X-Lab-Trace is always recorded (the request console sends it). Thread-safe.
//
// The ring is a vector of fixed-size slots reserved once; recordFields() copies the text into its
// slot (SlotText), so recording a sampled request allocates nothing once the ring has been written
// through, unless a field is longer than its slot. TraceEntry, with its QStrings and local-time
// QDateTime, is built only when a reader asks.
class RequestTrace final {
public:
    // Time (the sampling second) comes from `clock`; the real one when none is given.
    explicit RequestTrace(int capacity = 500, int maxPerSecond = 50, std::shared_ptr<const Clock> clock = {});

    // Cheap check before building an entry (one atomic in the common case).
    bool shouldSample();
    quint64 recordFields(const TraceFields& fields); // returns the entry's sequence
    quint64 record(const TraceEntry& entry); // the same from an entry (tests, tools)
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
    struct Slot {
        quint64 sequence = 0;
        qint64 epochMs = 0;
        bool timeValid = true;
        bool namesUtf8 = false; // client and method came from a TraceEntry (UTF-8), not off the wire
        int status = 0;
        double latencyMs = 0;
        SlotBytes<48> client;
        SlotBytes<16> method;
        SlotBytes<128> path;
        SlotText<96> attempts;
        SlotText<32> servedBy;
        SlotText<96> why;
        SlotText<40> token;
        TraceEntry entry() const;
    };
    Slot& nextSlot(); // under m_mutex; sets its sequence
    Slot& write(const TraceFields& fields); // under m_mutex
    mutable QMutex m_mutex;
    std::vector<Slot> m_ring; // reserved to capacity once
    size_t m_head = 0;
    quint64 m_sequence = 0;
};

} // namespace lab
