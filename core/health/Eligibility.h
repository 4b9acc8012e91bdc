#pragma once

#include <QtGlobal>

namespace lab {

struct Backend;

// Whether, and how, a backend takes new requests now: the one answer that pick(), the sticky pick by name,
// the window's board and the tests all read (HAProxy keeps one server state that every lb_ops reads).
// Listed from "takes its full share" to "takes nothing"; classify() returns the first that applies in this
// order of precedence: the operator's choice, the probes' verdict (unless in panic), the circuit breaker,
// then the proxy's own holds, then slow start.
enum class Eligibility {
    Eligible, // enabled, healthy, nothing held against it: its full share
    PanicRouted, // the probes say down, but the pool is in panic: used as if healthy
    HalfOpen, // circuit half-open: trial requests only, while trial slots last
    SlowStart, // back recently: a share ramping from 10 % to 100 % (the pick draws a coin)
    Ejected, // outlier detection took it out: tried only when nothing better is left
    PassiveHold, // a connection was refused moments ago: tried only when nothing better is left
    BreakerOpen, // circuit open: no traffic
    Unhealthy, // the probes say down and the pool is not in panic: no traffic
    Draining, // the operator took it out: no new requests, those in flight finish
};

// How a pick treats a backend of that eligibility.
enum class PickTier {
    Preferred, // picked by the balancer among the preferred ones (SlowStart after its coin)
    Fallback, // only when no preferred backend is left (it may be back)
    Excluded, // never
};

// Reads the backend's atomics only (no lock): safe from any thread. `panic` is the pool's panic verdict
// (panicRouting() below). A half-open breaker whose trial slots are all taken still says HalfOpen: the
// pick that would take a slot finds out (CircuitBreaker::allows()).
Eligibility classify(const Backend& b, qint64 nowMs, bool panic);
PickTier pickTier(Eligibility e);
const char* eligibilityName(Eligibility e);

// Panic routing (Envoy's panic threshold): when fewer than kPanicPercent of the enabled backends pass their
// probes, the probes are more likely wrong (a missing /health, say) than the whole pool down, so every
// enabled backend is used as if healthy. No enabled backend: no panic.
inline constexpr int kPanicPercent = 50;
bool panicRouting(int enabledCount, int healthyCount);

} // namespace lab
