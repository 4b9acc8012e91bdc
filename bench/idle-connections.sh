#!/usr/bin/env bash
# What idle keep-alive connections cost: opens IDLE (10 000) client connections to the proxy, one request
# each so they are real keep-alive sessions, then holds them idle and measures
#   - the proxy's RSS per idle connection (KiB; issue 16's goal is <= 4, nginx's is below 1),
#   - how long a new request takes while they are open (it must be answered at once),
#   - wrk -c50 -d5s req/s without and with the idle connections, and the ratio (goal >= 0.9),
#   - the proxy's CPU time per request in both runs (what the idle connections cost each request; unlike
#     req/s it hardly moves when other programs load the machine).
# balancer-lab and nginx (as a proxy, beside it in the same run) are measured in front of the same nginx
# static backends on loopback. Everything listens on 127.0.0.1 and stops when the script ends.
#
#   bench/idle-connections.sh [BUILD_DIR]   env: IDLE=10000 WORKERS=1 DURATION=5s PORT_BASE=18640
#   BASELINE=/path/to/an/older/balancer-lab measures that binary too (before/after a change).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-release}"
idle="${IDLE:-10000}" workers="${WORKERS:-1}" duration="${DURATION:-5s}" base="${PORT_BASE:-18640}"
baseline="${BASELINE:-}"
lab="$build/app/balancer-lab"
# shellcheck source=bench/lib-backends.sh
source "$root/bench/lib-backends.sh"
# The idle clients, the proxy and nginx each hold one descriptor per connection.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((idle + 1000)) ]; then
  echo "bench: ulimit -n is $(ulimit -n), below IDLE=$idle + 1000; raise the hard limit or lower IDLE" >&2
  exit 1
fi

bench_prepare lab-idle
trap 'exec 3>&- 2>/dev/null || true; bench_cleanup' EXIT # the idle clients' pipe first: they exit on its end

b1=$base b2=$((base + 1)) b3=$((base + 2)) p_nginx=$((base + 3)) p_lab=$((base + 4)) p_baseline=$((base + 5))
mkdir -p "$work/logs"
bench_backends $b1 $b2 $b3
bench_nginx_proxy proxy $p_nginx "$workers" "" "" $((idle * 2 + 1000)) "keepalive_timeout 300s;"
nginx_master=$bench_nginx_pid
# The lab's client keep-alive timeout must outlast the run (its default is 60 s).
cat >"$work/lab.json" <<CONF
{ "timeouts": { "clientIdleMs": 600000 } }
CONF
serve() { # binary port log
  "$1" serve --config "$work/lab.json" --listen "127.0.0.1:$2" --workers "$workers" --health-path / \
    --max-connections $((idle + 1000)) \
    --backend 127.0.0.1:$b1 --backend 127.0.0.1:$b2 --backend 127.0.0.1:$b3 2>"$work/logs/$3.log" &
  pids+=($!)
}
serve "$lab" $p_lab lab
lab_pid=$!
targets=(nginx:$p_nginx:$nginx_master balancer-lab:$p_lab:$lab_pid)
if [ -n "$baseline" ]; then
  serve "$baseline" $p_baseline baseline
  targets+=(baseline:$p_baseline:$!)
fi
for t in "${targets[@]}"; do bench_wait_http "$(cut -d: -f2 <<<"$t")"; done

# RSS in KiB of a process and its children (nginx's master and workers; the lab is one process).
rss_kib() {
  local total=0 p
  for p in $1 $(pgrep -P "$1" || true); do
    total=$((total + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
  done
  echo $total
}
# CPU time (utime + stime, clock ticks) of a process and its children.
cpu_ticks() {
  local total=0 p
  for p in $1 $(pgrep -P "$1" || true); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo $total
}
tick_us=$((1000000 / $(getconf CLK_TCK)))
# "req/s cpu-us-per-request" of one wrk run against port $1, CPU measured on process $2.
wrk_run() {
  local c0 c1 out
  c0="$(cpu_ticks "$2")"
  out="$(wrk -t1 -c50 -d"$duration" "http://127.0.0.1:$1/")"
  c1="$(cpu_ticks "$2")"
  awk -v c=$(((c1 - c0) * tick_us)) '/requests in/ {n=$1} /^Requests\/sec/ {r=$2} END {printf "%s %.1f", r, c / n}' \
    <<<"$out"
}
new_request_ms() { curl -sf -o /dev/null -w '%{time_total}' "http://127.0.0.1:$1/" | awk '{printf "%.1f", $1 * 1000}'; }

echo "$idle idle keep-alive connections, $workers worker(s) each, wrk -t1 -c50 -d$duration, $(nproc) cores"
printf '%-14s %9s %9s %9s %10s %10s %6s %9s %9s %12s\n' target "rss KiB" "+idle KiB" "KiB/idle" "req/s" \
  "req/s idle" ratio "cpu us/r" "idle us/r" "new req ms"
for t in "${targets[@]}"; do
  IFS=: read -r name port pid <<<"$t"
  read -r rps_alone cpu_alone <<<"$(wrk_run "$port" "$pid")"
  rss_before="$(rss_kib "$pid")"
  rm -f "$work/idle.fifo" && mkfifo "$work/idle.fifo"
  python3 "$root/bench/idle_clients.py" --timeout 300 "$port" "$idle" <"$work/idle.fifo" >"$work/idle.out" & idle_pid=$!
  exec 3>"$work/idle.fifo"
  for _ in $(seq 3000); do grep -q '^ready' "$work/idle.out" 2>/dev/null && break
    kill -0 $idle_pid 2>/dev/null || break; sleep 0.1; done
  grep -q '^ready' "$work/idle.out" || { echo "bench: $name: the idle connections did not open" >&2; exit 1; }
  sleep 1 # let the proxy settle (a worker trims its heap a second after a burst)
  rss_idle="$(rss_kib "$pid")"
  new_ms="$(new_request_ms "$port")"
  read -r rps_idle cpu_idle <<<"$(wrk_run "$port" "$pid")"
  new_ms_after="$(new_request_ms "$port")"
  exec 3>&-
  wait $idle_pid || { echo "bench: $name: the idle clients failed" >&2; exit 1; }
  closed="$(cat "$work/idle.out" | tail -1)"
  awk -v n="$name" -v r0="$rss_before" -v r1="$rss_idle" -v i="$idle" -v a="$rps_alone" -v b="$rps_idle" \
    -v m="$new_ms/$new_ms_after" -v u="$cpu_alone" -v v="$cpu_idle" \
    'BEGIN { printf "%-14s %9d %9d %9.2f %10.0f %10.0f %6.2f %9.1f %9.1f %12s\n",
      n, r0, r1 - r0, (r1 - r0) / i, a, b, b / a, u, v, m }'
  echo "               idle clients: $(head -1 "$work/idle.out"); $closed"
done
