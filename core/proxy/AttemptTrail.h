#pragma once

#include <QString>
#include <QVarLengthArray>
#include <span>

namespace lab {

// What one request (HTTP) or one relayed connection (TCP) went through on its way to a backend: the
// backends it tried (a pick never returns one of them again), the chain a learner reads in the trace
// ("backend-8001: connection refused → backend-8002: 200"), the balancer's explanations of each pick
// (only filled for requests someone looks at: building them costs a string per pick), and the attempt
// count that bounds retries. HttpSession and TcpSession keep one each and clear it per request, so the
// two listeners write the same chain the same way. Not thread-safe: it lives on one worker.
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
    // A link without a backend ("client closed", "no backend available").
    void note(const QString& text);
    // One pick's explanation; several are joined with "; ".
    void explain(const QString& why);

    int count() const { return m_count; }
    std::span<const int> tried() const { return {m_tried.data(), size_t(m_tried.size())}; }
    bool hasTried(int backendId) const { return m_tried.contains(backendId); }
    qsizetype triedCount() const { return m_tried.size(); }
    const QString& chain() const { return m_chain; }
    const QString& explanation() const { return m_why; }

private:
    QVarLengthArray<int, 8> m_tried;
    QString m_chain;
    QString m_why;
    int m_count = 0;
};

} // namespace lab
