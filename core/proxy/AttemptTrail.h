#pragma once

#include "metrics/Lifecycle.h"
#include "proxy/ProxySettings.h"

#include <QString>
#include <QVarLengthArray>
#include <span>

namespace lab {

// What one request (HTTP) or one relayed connection (TCP) went through on its way to a backend: the
// backends it tried (the retry.avoid rule says which of them a retry's pick avoids: avoided()), the chain a learner
// reads in the trace
// ("backend-8001: connection refused → backend-8002: 200"), the balancer's explanations of each pick
// (only filled for requests someone looks at: building them costs a string per pick), and the attempt
// count that bounds retries. HttpSession and TcpSession keep one each and clear it per request, so the
// two listeners write the same chain the same way. For the HTTP listener it also writes the request's
// lifecycle events (metrics/Lifecycle.h), each stamped with the attempt it belongs to. Not thread-safe:
// it lives on one worker (the stream it writes to is thread-safe).
//
// The cost for a request nobody follows: two relaxed atomics in follow(), then a test of requestId().
// A followed or traced one allocates nothing once its buffers have grown: the chain and explanations are
// truncated, not freed, and the trace and lifecycle rings copy the text instead of sharing it (a shared
// buffer would be copied on the next write).
class AttemptTrail final {
public:
    void clear();

    // A new attempt on `backendId`: it joins the tried set. Returns the attempt's number (1 = first).
    int begin(int backendId);
    // Takes back the last attempt on `backendId` (a pooled connection the backend had already closed is
    // retried on a fresh one as the same attempt: it must not count as a retry).
    void retract(int backendId);

    // A link of the chain: "name: outcome".
    void add(const QString& backendName, const QString& outcome);
    // "name: 200", without a string per request for the status.
    void add(const QString& backendName, int status);
    // A link without a backend ("client closed", "no backend available").
    void note(const QString& text);
    // A pick begins: its explanation, given by explain() (once or more, joined with "; "), is kept
    // apart as well, for the lifecycle's Picked event.
    void beginPick() { m_lastPick.truncate(0); }
    void explain(QStringView why);
    const QString& lastPickExplanation() const { return m_lastPick; }

    // Decides once whether `stream` follows this request (always: console, step mode); the caller then
    // records its Arrived (building the text only for a followed request). Every later record() goes to
    // the same stream; finish() records the one Finished (with the backend set by setAnsweredBy(), else
    // -1) and stops following.
    bool follow(LifecycleStream& stream, bool always);
    quint64 requestId() const { return m_requestId; } // 0 when the request is not followed
    // The stream copies `detail` into its ring: the caller may reuse its buffer at once.
    void record(LifecycleKind kind, int backendId = -1, int status = 0, QStringView detail = {});
    void record(LifecycleKind kind, int backendId, int status, const QString& detail)
    {
        record(kind, backendId, status, QStringView(detail));
    }
    // Arrived, with "METHOD target from client" (method and client Latin-1, target UTF-8) written into a
    // buffer the thread reuses.
    void recordArrived(QByteArrayView method, QByteArrayView target, QByteArrayView client);
    void setAnsweredBy(int backendId) { m_answeredBy = backendId; }
    // The backend whose response the client gets, or -1 when the proxy answers itself (503 "no backend
    // had it", 502 after a failed attempt, 4xx for a bad request).
    int answeredBy() const { return m_answeredBy; }
    void finish(int status, double latencyMs, quint64 traceSequence);

    int count() const { return m_count; }
    // Each backend tried at least once, in the order of its first attempt.
    std::span<const int> tried() const { return {m_tried.data(), size_t(m_tried.size())}; }
    // The backends the next pick must not return under `rule`: all tried ones, the last attempt's, or none.
    std::span<const int> avoided(RetryAvoid rule) const;
    bool hasTried(int backendId) const { return m_tried.contains(backendId); }
    qsizetype triedCount() const { return m_tried.size(); }
    const QString& chain() const { return m_chain; }
    const QString& explanation() const { return m_why; }

private:
    QVarLengthArray<int, 8> m_tried; // distinct
    QVarLengthArray<int, 8> m_attempts; // one id per attempt, in order (a backend may come back)
    QString m_chain;
    QString m_why;
    QString m_lastPick;
    int m_count = 0;
    LifecycleStream* m_stream = nullptr;
    quint64 m_requestId = 0;
    int m_answeredBy = -1;
};

} // namespace lab
