#!/usr/bin/env bash
# One of three standalone backends answers 200 ms slower; wrk drives `balancer-lab serve` with 12
# connections and counts which backend served each response (X-Served-By, via a wrk Lua script).
# Prints each backend's share for every algorithm given (default: least-connections least-latency
# power-of-two-choices round-robin). Loopback ports 18410-18413; every run ends by itself.
#
#   bench/slow-backend-share.sh [BUILD_DIR]     env: ALGORITHMS="..." DURATION=5 CONNECTIONS=12 SLOW_MS=200
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-release}"
lab="$build/app/balancer-lab"
algorithms="${ALGORITHMS:-least-connections least-latency power-of-two-choices round-robin}"
duration="${DURATION:-5}" connections="${CONNECTIONS:-12}" slow="${SLOW_MS:-200}"
# shellcheck source=bench/lib-backends.sh
source "$root/bench/lib-backends.sh"
bench_prepare lab-share
cat > "$work/count.lua" <<'LUA'
threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) served = {} end
function response(status, headers, body)
  local s = headers["X-Served-By"] or "none"
  served[s] = (served[s] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("served")) do total[k] = (total[k] or 0) + v end
  end
  for k, v in pairs(total) do io.write(string.format("served %s %d\n", k, v)) end
end
LUA
"$lab" backend --port 18411 --name slow --latency-ms "$slow" >/dev/null 2>&1 & pids+=($!)
"$lab" backend --port 18412 --name fast-1 >/dev/null 2>&1 & pids+=($!)
"$lab" backend --port 18413 --name fast-2 >/dev/null 2>&1 & pids+=($!)
sleep 0.5
printf '%-22s %9s %8s %8s %8s\n' algorithm requests slow fast-1 fast-2
for algorithm in $algorithms; do
  "$lab" serve --listen 127.0.0.1:18410 --algorithm "$algorithm" --workers 2 \
    --backend 127.0.0.1:18411,name=slow --backend 127.0.0.1:18412,name=fast-1 --backend 127.0.0.1:18413,name=fast-2 \
    2>/dev/null & serve=$!
  for _ in $(seq 50); do curl -fs -o /dev/null http://127.0.0.1:18410/health && break; sleep 0.1; done
  wrk -t1 -c"$connections" -d"${duration}s" -s "$work/count.lua" http://127.0.0.1:18410/ > "$work/out.txt" 2>&1
  kill "$serve"; wait "$serve" 2>/dev/null || true
  awk -v a="$algorithm" '/^served/ {n[$2]=$3; t+=$3} END {
      printf "%-22s %9d %7.2f%% %7.2f%% %7.2f%%\n", a, t, 100*n["slow"]/t, 100*n["fast-1"]/t, 100*n["fast-2"]/t }' "$work/out.txt"
done
