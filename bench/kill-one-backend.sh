#!/usr/bin/env bash
# Failover under load: three standalone backends behind `balancer-lab serve` with fast health checks;
# wrk drives the proxy; one backend is SIGKILLed mid-run and restarted later. Prints wrk's totals
# (non-2xx responses and socket errors must both be 0), when the proxy marked the backend DOWN after the
# kill and when it was UP again after the restart. Loopback ports 18300-18303; ends by itself.
#
#   bench/kill-one-backend.sh [BUILD_DIR]    env: DURATION=6 KILL_AT=2 RESTART_AT=4 INTERVAL_MS=300 CONNECTIONS=20
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-release}"
lab="$build/app/balancer-lab"
duration="${DURATION:-6}" kill_at="${KILL_AT:-2}" restart_at="${RESTART_AT:-4}" interval="${INTERVAL_MS:-300}"
connections="${CONNECTIONS:-20}"
# shellcheck source=bench/lib-backends.sh
source "$root/bench/lib-backends.sh"
bench_prepare lab-kill
now_ms() { date +%s%3N; }

for p in 18301 18302 18303; do "$lab" backend --port $p >/dev/null 2>&1 & pids+=($!); done
victim=${pids[1]}
"$lab" serve --listen 127.0.0.1:18300 --backend 127.0.0.1:18301 --backend 127.0.0.1:18302 --backend 127.0.0.1:18303 \
  --health-interval-ms "$interval" --workers 2 2> >(while IFS= read -r line; do echo "$(now_ms) $line"; done > "$work/serve.log") &
pids+=($!)
for _ in $(seq 50); do curl -fs -o /dev/null http://127.0.0.1:18300/ && break; sleep 0.1; done

start=$(now_ms)
wrk -t1 -c"$connections" -d"${duration}s" --latency http://127.0.0.1:18300/ > "$work/wrk.txt" 2>&1 &
wrk_pid=$!
sleep "$kill_at"
killed=$(now_ms); kill -9 "$victim"
sleep "$((restart_at - kill_at))"
restarted=$(now_ms); "$lab" backend --port 18302 >/dev/null 2>&1 & pids+=($!)
served=""
for _ in $(seq 100); do   # when does a request first come back from it?
  if curl -s -D - -o /dev/null http://127.0.0.1:18300/ | grep -q 'X-Served-By: backend-18302'; then served=$(now_ms); break; fi
  sleep 0.03
done
wait "$wrk_pid"
sleep 0.5

cat "$work/wrk.txt"
down=$(grep -m1 'backend-18302 DOWN' "$work/serve.log" | cut -d' ' -f1 || true)
up=$(awk -v t="$restarted" '$0 ~ /backend-18302 UP/ && $1 >= t {print $1; exit}' "$work/serve.log")
echo "--- health events (ms since the run started) ---"
awk -v s="$start" '/DOWN|UP|EJECTED|lifted|circuit|back in rotation/ {t=$1; $1=""; printf "%6d ms %s\n", t-s, $0}' "$work/serve.log"
echo "--- summary ---"
echo "killed backend-18302 at $((killed - start)) ms, restarted it at $((restarted - start)) ms"
[ -n "$down" ] && echo "marked DOWN $((down - killed)) ms after the kill (fall 3 x ${interval} ms)"
[ -n "$up" ] && echo "back UP $((up - restarted)) ms after the restart (rise 2 x ${interval} ms = $((2 * interval)) ms)"
[ -n "$served" ] && echo "first response from it $((served - restarted)) ms after the restart"
non2xx=$(grep -o 'Non-2xx or 3xx responses: [0-9]*' "$work/wrk.txt" | grep -o '[0-9]*$' || echo 0)
sockerr=$(grep -o 'Socket errors:.*' "$work/wrk.txt" || echo "Socket errors: none")
echo "non-2xx responses: ${non2xx}; ${sockerr}"
