#pragma once

// The counters a load run's clients write and totals() reads: relaxed atomics for the counts, a mutex for
// the maps. Private to LoadGenerator.cpp (a header only to keep that file one job long).
#include "LoadGenerator.h"

#include <QMap>
#include <QMutex>
#include <QString>
#include <array>
#include <atomic>

namespace lab {

struct LoadGenerator::Shared {
    std::atomic<quint64> sent{0};
    std::atomic<quint64> completed{0};
    std::array<std::atomic<quint64>, 6> byClass{};
    std::atomic<quint64> socketErrors{0};
    std::atomic<quint64> resets{0};
    std::atomic<quint64> cut{0};
    std::atomic<quint64> cancelled{0};
    std::atomic<quint64> refused{0};
    std::atomic<quint64> connectTimeouts{0};
    std::atomic<quint64> connectErrors{0};
    std::atomic<quint64> notSent{0};
    std::atomic<qint64> startedAtMs{0};
    std::atomic<qint64> endedAtMs{0};
    std::atomic<bool> stoppedByUser{false}; // stop() or finish(), not the run's own end
    std::atomic<qint64> durationMs{0};
    LatencyHistogram latency;
    mutable QMutex mutex;
    QMap<QString, quint64> byBackend;
    QMap<int, quint64> byStatus;
    QMap<QString, QMap<QString, quint64>> byUser;
    QMap<QString, QString> lastBackendOfUser;
    QMap<QString, QString> lastBackendOfPath;
    QMap<QString, quint64> answersOfPath;
    QString lastError;

    void setLastError(const QString& e)
    {
        QMutexLocker lock(&mutex);
        lastError = e;
    }
    void bump(std::atomic<quint64>& c) { c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }
    void reset()
    {
        sent = 0;
        completed = 0;
        for (auto& c : byClass)
            c = 0;
        socketErrors = 0;
        resets = 0;
        cut = 0;
        cancelled = 0;
        refused = 0;
        connectTimeouts = 0;
        connectErrors = 0;
        notSent = 0;
        latency.reset();
        QMutexLocker lock(&mutex);
        byBackend.clear();
        byStatus.clear();
        byUser.clear();
        lastBackendOfUser.clear();
        lastBackendOfPath.clear();
        answersOfPath.clear();
        lastError.clear();
    }
};

} // namespace lab
