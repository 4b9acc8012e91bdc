#pragma once

#include <deque>

namespace lab {

class FakeBackendConnection;
struct FakeBackendCounters;

// The workers and the waiting line of one fake backend: at most `workers` requests in service at once
// (0 = unlimited), the others wait first come first served, at most `queue` of them. Lives on the
// backend's thread and is only touched there (its connections live there too); it publishes its depth
// through the backend's atomic counters (queued, inService) for readers on other threads.
// Cost: O(1) per admission and release; withdraw() is O(queue) but only runs for a client that left.
class ServiceQueue final {
public:
    enum class Admission { Serving, Waiting, Full };

    explicit ServiceQueue(FakeBackendCounters& counters);

    // A request ready for service: Serving (it holds a worker now: the caller starts its service),
    // Waiting (ServiceQueue calls connection->beginService() when a worker is free) or Full.
    Admission admit(FakeBackendConnection* connection, int workers, int queueLimit);
    // A request left service (served or its client gone): its worker takes the next waiting request.
    // overshootMs: how late the finished service's timer fired. The next request's service is shortened
    // by it, as if it had started on time, so a worker's busy time stays the sum of its service times on a
    // loaded machine (late wake-ups would otherwise lengthen every service and push utilisation up).
    void release(int workers, double overshootMs = 0);
    // A waiting request's client went away before it was served.
    void withdraw(FakeBackendConnection* connection);
    // Starts waiting requests while workers are free (after the worker count was raised).
    void fill(int workers, double overshootMs = 0);

    int inService() const { return m_inService; }
    int waiting() const { return int(m_waiting.size()); }

private:
    void publish();

    FakeBackendCounters& m_counters;
    std::deque<FakeBackendConnection*> m_waiting;
    int m_inService = 0;
};

} // namespace lab
