#!/usr/bin/env bash
# Heap allocations per proxied request in steady state: balancer-lab serve (WORKERS workers, no active
# health checks) runs with bench/malloc_counter.c preloaded, in front of three nginx static backends on
# loopback. After a warm-up (keep-alive connections to client and backends open, buffers grown),
# bench/keepalive-client.py sends REQUESTS keep-alive GETs for a 64-byte file, and the allocations the
# whole process made meanwhile are divided by the requests answered. The process also allocates on its
# own clock (metrics sampling, timers): the same time spent idle afterwards is measured and shown apart,
# and subtracted in the last column.
#
#   bench/allocs-per-request.sh [BUILD_DIR]    env: REQUESTS=100000 CONNECTIONS=8 WORKERS=1
# Needs the malloc-counter target (LAB_BUILD_BENCH=ON). Ports PORT_BASE+1..+3 and +10 (default 18720)
# on 127.0.0.1.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-release}"
requests="${REQUESTS:-100000}" connections="${CONNECTIONS:-8}" workers="${WORKERS:-1}"
lab="$build/app/balancer-lab"
counter="$build/bench/malloc-counter.so"
# shellcheck source=bench/lib-backends.sh
source "$root/bench/lib-backends.sh"
[ -x "$lab" ] && [ -f "$counter" ] || {
  echo "bench: build $lab and $counter first (cmake --build $build --target balancer-lab malloc-counter)" >&2
  exit 1
}

bench_prepare lab-allocs

base="${PORT_BASE:-18720}"
b1=$((base + 1)) b2=$((base + 2)) b3=$((base + 3)) p_lab=$((base + 10))
bench_backends $b1 $b2 $b3
MALLOC_COUNTER_FILE="$work/count" LD_PRELOAD="$counter" "$lab" serve --listen 127.0.0.1:$p_lab \
  --workers "$workers" --no-health-checks \
  --backend 127.0.0.1:$b1 --backend 127.0.0.1:$b2 --backend 127.0.0.1:$b3 2>"$work/lab.log" &
pids+=($!)
bench_wait_http $b1 $p_lab

# One client process, the same keep-alive connections throughout: the warm-up opens them (and the
# proxy's backend connections, buffers grown), the counter is read, then REQUESTS more, then the counter
# again. A connection's own set-up (its session, socket, parser: about 25 allocations each) is not a
# request's cost and stays out of the figure.
read -r answered idle_seconds before after < <(python3 "$root/bench/keepalive-client.py" 127.0.0.1 $p_lab "$connections" \
  "$requests" --warmup 5000 --counter "$work/count")
count() { sleep 0.12; cat "$work/count"; } # the counter writes every 50 ms
idle_before=$(count)
sleep "$idle_seconds"
idle_after=$(count)
awk -v n="$answered" -v load=$((after - before)) -v idle=$((idle_after - idle_before)) -v s="$idle_seconds" -v w="$workers" 'BEGIN {
  printf "%d keep-alive GETs, %d worker(s): %d allocations in %.1f s under load, %d in as long idle\n", n, w, load, s, idle
  printf "allocations per request: %.3f (%.3f without what the idle process allocates in the same time)\n", load / n, (load - idle) / n
}'
