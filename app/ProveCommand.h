#pragma once

namespace lab::app {

// `balancer-lab prove --target haproxy|nginx [--config FILE] [--algorithm NAME] [--rate N] [--duration-ms MS]
// [--seed N]`: exports the lab, runs the real target on loopback in front of the lab's own fake backends,
// drives the same seeded workload through the lab's proxy and through the target, and prints the
// per-backend shares, errors and latency side by side (ProveRunner). Exit 0 when the shares agree within
// 5 points, 1 when some differ, 2 for a bad option or config or when the target is not installed (the
// message names the Debian package), 3 when the lab or the target could not run.
int runProve(int argc, char** argv);

} // namespace lab::app
