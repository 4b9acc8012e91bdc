#!/usr/bin/env bash
# System calls per proxied keep-alive request, for balancer-lab's HTTP proxy and for nginx as a proxy in
# the same run, in front of the same three nginx static backends on loopback. Each proxy runs one worker
# (WORKERS); after a warm-up, `strace -c -f` is attached to the whole proxy process (every thread, or the
# master and its workers) while bench/keepalive-client.py sends a fixed number of keep-alive GETs
# (REQUESTS, one in flight per connection), and the calls are divided by the requests answered.
# Prints calls per request in total and per system call.
#
#   bench/syscalls-per-request.sh [BUILD_DIR]    env: REQUESTS=20000 CONNECTIONS=8 WORKERS=1
# Ports 18701-18712 on 127.0.0.1.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-release}"
requests="${REQUESTS:-20000}" connections="${CONNECTIONS:-8}" workers="${WORKERS:-1}"
lab="$build/app/balancer-lab"
# shellcheck source=bench/lib-backends.sh
source "$root/bench/lib-backends.sh"
[ -x "$lab" ] || { echo "bench: build $lab first (cmake --build $build --target balancer-lab)" >&2; exit 1; }

bench_prepare lab-syscalls

b1=18701 b2=18702 b3=18703 p_nginx=18710 p_lab=18711
bench_backends $b1 $b2 $b3
bench_nginx_proxy proxy $p_nginx "$workers"
nginx_pid=$bench_nginx_pid
"$lab" serve --listen 127.0.0.1:$p_lab --workers "$workers" --no-health-checks \
  --backend 127.0.0.1:$b1 --backend 127.0.0.1:$b2 --backend 127.0.0.1:$b3 2>"$work/lab.log" & lab_pid=$!; pids+=($lab_pid)
bench_wait_http $b1 $p_nginx $p_lab

# measure NAME PORT PID...: prints "NAME calls-per-request" and the per-call breakdown
measure() {
  local name=$1 port=$2; shift 2
  local attach=() p
  for p in "$@"; do attach+=(-p "$p"); done
  bench_requests "$port" "$connections" 2000 >/dev/null # warm: connections to the backends are open
  strace -c -f -o "$work/$name.strace" "${attach[@]}" 2>/dev/null & local strace_pid=$!
  sleep 1 # attached (strace prints nothing until it detaches)
  local done_requests seconds
  read -r done_requests seconds < <(bench_requests "$port" "$connections" "$requests")
  kill -INT $strace_pid; wait $strace_pid 2>/dev/null || true
  awk -v name="$name" -v n="$done_requests" '
    $NF == "total" { total = $4 }
    $1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { calls[$NF] = $4 }
    END {
      printf "%-14s %8d requests %10d calls %8.2f calls/request:", name, n, total, total / n
      for (c in calls) if (calls[c] / n >= 0.05) printf " %s %.2f", c, calls[c] / n
      printf "\n"
    }' "$work/$name.strace"
}

echo "$requests keep-alive GETs over $connections connections, $workers worker(s) each, 3 nginx static backends"
nginx_procs=("$nginx_pid" $(pgrep -P "$nginx_pid"))
measure nginx $p_nginx "${nginx_procs[@]}"
measure balancer-lab $p_lab "$lab_pid"
