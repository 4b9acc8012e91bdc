#pragma once

namespace lab {

// Backend ids index fixed per-worker arrays (MetricsShard::backends) and balancer tables, so a pool
// hands out at most this many ids over its life and never reuses one: removed backends keep theirs.
// The one home of this limit; BackendPool::kMaxBackends and MetricsShard::kMaxBackends are this value.
inline constexpr int kMaxBackendIds = 256;

} // namespace lab
