#pragma once

#include <QtGlobal>

namespace lab {

struct Backend;

// Slow start (Envoy's slow_start_config, nginx's slow_start): a backend that just became usable again
// (probes passed, ejection over) gets a share of picks ramping linearly from 10 % to 100 % of a settled
// backend's over `windowMs`, so a cold cache or JIT is not hit with its full share at once. The pick draws
// a coin against factor(); the pool's housekeeping ends the ramp. Works on the backend's atomics.
namespace SlowStart {

// Starts the ramp at nowMs; false (nothing changes) when slow start is off (windowMs <= 0).
bool begin(Backend& b, qint64 nowMs, int windowMs);
// 0.1..1: the share of picks a backend in slow start gets relative to a settled one; 1 when not ramping.
double factor(const Backend& b, qint64 nowMs, int windowMs);
// The ramp is over at nowMs: ends it. False when it was not ramping or is not done.
bool endIfDone(Backend& b, qint64 nowMs, int windowMs);

} // namespace SlowStart

} // namespace lab
