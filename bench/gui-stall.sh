#!/usr/bin/env bash
# Runs the window offscreen with the default lab while wrk drives the proxy flat out, and reports the GUI
# event-loop stall (p50/p99/max lateness of a 10 ms timer) and the GUI thread's CPU share. Fails when the
# p99 stall reaches 50 ms. Loopback only; the run ends by itself after SECONDS (default 10).
#
# The Flow tab is the current one, visible and animating (the run fails when it did not animate);
# VIEW=charts measures the Charts tab instead, for a comparison at the same load.
#
#   bench/gui-stall.sh [BUILD_DIR]      env: SECONDS_=10 CONNECTIONS=50 THREADS=1 VIEW=flow
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-release}"
"$root/scripts/bootstrap"
if [ ! -x "$build/bench/gui-stall" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLAB_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build" -j"$(nproc)" --target gui-stall
fi
exec "$build/bench/gui-stall" --seconds "${SECONDS_:-10}" --connections "${CONNECTIONS:-50}" --threads "${THREADS:-1}" --view "${VIEW:-flow}"
