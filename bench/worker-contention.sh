#!/usr/bin/env bash
# Why two workers have a worse p99 than one on a small machine: runs wrk against HAProxy and balancer-lab
# with 1 and with 2 worker threads each (all in one run, in front of the same nginx static backends) and
# prints, beside req/s and p99, what the scheduler did to the proxy's threads during the run (from
# /proc/PID/task/*/schedstat and status):
#   - run-queue wait: time its threads were runnable but not running, in microseconds per request,
#   - involuntary context switches per 1000 requests (preempted while it had work),
#   - wake-ups (voluntary switches, i.e. epoll_wait sleeps) per 1000 requests.
# MODE=tcp (default) relays bytes (serve --mode tcp, HAProxy mode tcp); MODE=http proxies HTTP.
#
#   bench/worker-contention.sh [BUILD_DIR]   env: MODE=tcp DURATION=10s CONNECTIONS=50 PORT_BASE=18660
#                                            WORKER_COUNTS="1 2"
#   BASELINE=/path/to/an/older/balancer-lab measures that binary too, with the same worker counts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-release}"
mode="${MODE:-tcp}" duration="${DURATION:-10s}" connections="${CONNECTIONS:-50}" base="${PORT_BASE:-18660}"
counts="${WORKER_COUNTS:-1 2}" baseline="${BASELINE:-}"
lab="$build/app/balancer-lab"
# shellcheck source=bench/lib-backends.sh
source "$root/bench/lib-backends.sh"

bench_prepare lab-contention

b1=$base b2=$((base + 1)) b3=$((base + 2))
mkdir -p "$work/logs"
bench_backends $b1 $b2 $b3

targets=()
port=$((base + 10))
for n in $counts; do
  cat >"$work/haproxy-$n.cfg" <<CONF
global
  nbthread $n
  maxconn 4000
defaults
  mode $mode
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend fe
  bind 127.0.0.1:$port
  default_backend be
backend be
  balance roundrobin
  $([ "$mode" = http ] && echo "http-reuse always")
  server s1 127.0.0.1:$b1
  server s2 127.0.0.1:$b2
  server s3 127.0.0.1:$b3
CONF
  haproxy -f "$work/haproxy-$n.cfg" -q & pids+=($!)
  targets+=("haproxy-$n:$port:$!")
  port=$((port + 1))
  "$lab" serve --mode "$mode" --listen 127.0.0.1:$port --workers "$n" --health-path / --health-tcp \
    --backend 127.0.0.1:$b1 --backend 127.0.0.1:$b2 --backend 127.0.0.1:$b3 2>"$work/logs/lab-$n.log" &
  pids+=($!)
  targets+=("balancer-lab-$n:$port:$!")
  port=$((port + 1))
  if [ -n "$baseline" ]; then
    "$baseline" serve --mode "$mode" --listen 127.0.0.1:$port --workers "$n" --health-path / --health-tcp \
      --backend 127.0.0.1:$b1 --backend 127.0.0.1:$b2 --backend 127.0.0.1:$b3 2>"$work/logs/baseline-$n.log" &
    pids+=($!)
    targets+=("baseline-$n:$port:$!")
    port=$((port + 1))
  fi
done
for t in "${targets[@]}"; do bench_wait_http "$(cut -d: -f2 <<<"$t")"; done

# Sums over the process's threads: run-queue wait (ns), voluntary and involuntary switches.
sched() {
  local wait=0 vol=0 invol=0 task
  for task in /proc/"$1"/task/*; do
    wait=$((wait + $(awk '{print $2}' "$task/schedstat")))
    vol=$((vol + $(awk '/^voluntary_ctxt_switches/ {print $2}' "$task/status")))
    invol=$((invol + $(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$task/status")))
  done
  echo "$wait $vol $invol"
}

echo "mode $mode, wrk -t1 -c$connections -d$duration, nginx static backends (1 process), $(nproc) cores"
printf '%-16s %10s %8s %8s %16s %18s %16s\n' target req/s "p50 ms" "p99 ms" "rq wait us/req" "preempted /1000" \
  "sleeps /1000"
for t in "${targets[@]}"; do
  IFS=: read -r name p pid <<<"$t"
  read -r w0 v0 i0 <<<"$(sched "$pid")"
  out="$(wrk -t1 -c"$connections" -d"$duration" --latency "http://127.0.0.1:$p/")"
  read -r w1 v1 i1 <<<"$(sched "$pid")"
  requests="$(awk '/requests in/ {print $1}' <<<"$out")"
  rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out" | bench_to_ms)"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out" | bench_to_ms)"
  awk -v n="$name" -v r="$rps" -v a="$p50" -v b="$p99" -v q="$requests" -v w=$((w1 - w0)) -v v=$((v1 - v0)) \
    -v i=$((i1 - i0)) 'BEGIN { printf "%-16s %10.0f %8s %8s %16.1f %18.1f %16.1f\n", n, r, a, b,
      w / 1000 / q, i * 1000 / q, v * 1000 / q }'
done
