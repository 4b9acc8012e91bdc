#!/usr/bin/env bash
# A burst of BURST (3000) TCP connects, all started at once, against `balancer-lab serve` (its default
# listen queue: net.core.somaxconn), the same with `--listen-backlog 50` (Qt's default, what the proxy
# used before), and nginx as a proxy (its default backlog, 511). A connect whose SYN found the listen
# queue full waits for the SYN retransmit, about 1 s later: the script counts connects that took more
# than 900 ms, and prints p50/p99/max. Each target gets ROUNDS bursts. Loopback ports 18520-18523.
#
#   bench/connect-burst.sh [BUILD_DIR]      env: BURST=3000 ROUNDS=3 WORKERS=2
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-release}"
burst="${BURST:-3000}" rounds="${ROUNDS:-3}" workers="${WORKERS:-2}"
lab="$build/app/balancer-lab"
# shellcheck source=bench/lib-backends.sh
source "$root/bench/lib-backends.sh"
ulimit -n "$(( burst * 2 + 1000 ))" 2>/dev/null || { echo "bench: needs a descriptor limit of $(( burst * 2 + 1000 ))" >&2; exit 1; }

bench_prepare lab-burst

backend=18520 p_nginx=18521 p_lab=18522 p_lab50=18523
mkdir -p "$work/logs"
chmod 755 "$work"
printf 'hello\n' > "$work/index.html"
cat > "$work/nginx.conf" <<CONF
worker_processes $workers;
daemon off;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections $(( burst * 2 + 100 )); }
http {
  access_log off;
  server { listen 127.0.0.1:$backend; root $work; location / { } }
  server { listen 127.0.0.1:$p_nginx; location / { proxy_pass http://127.0.0.1:$backend; } }
}
CONF
cat > "$work/burst.py" <<'PY'
import selectors, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
sel = selectors.DefaultSelector()
started = {}
socks = []
for _ in range(n):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    started[s] = time.monotonic()
    sel.register(s, selectors.EVENT_WRITE)
    socks.append(s)
times, failed = [], 0
deadline = time.monotonic() + 15
while len(times) + failed < n and time.monotonic() < deadline:
    for key, _ in sel.select(timeout=0.5):
        s = key.fileobj
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            times.append((time.monotonic() - started[s]) * 1000)
        else:
            failed += 1
        sel.unregister(s)
for s in socks:
    s.close()
times.sort()
pct = lambda p: times[min(len(times) - 1, int(len(times) * p))] if times else float("nan")
slow = sum(1 for t in times if t > 900)
print(f"{len(times)} {failed + n - len(times) - failed} {slow} {pct(0.5):.1f} {pct(0.99):.1f} {times[-1] if times else float('nan'):.1f}")
PY

nginx -c "$work/nginx.conf" -p "$work" & pids+=($!)
"$lab" serve --listen 127.0.0.1:$p_lab --workers "$workers" --no-health-checks \
  --backend 127.0.0.1:$backend 2>"$work/logs/lab.log" & pids+=($!)
"$lab" serve --listen 127.0.0.1:$p_lab50 --workers "$workers" --no-health-checks --listen-backlog 50 \
  --backend 127.0.0.1:$backend 2>"$work/logs/lab50.log" & pids+=($!)
for port in $backend $p_nginx $p_lab $p_lab50; do
  for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  curl -sf -o /dev/null "http://127.0.0.1:$port/" || { echo "bench: nothing answers on port $port" >&2; exit 1; }
done

echo "burst of $burst connects at once, $rounds rounds, $workers workers each, $(nproc) cores, somaxconn $(cat /proc/sys/net/core/somaxconn)"
printf '%-34s %6s %10s %8s %8s %8s %8s\n' "target" "round" "connected" "failed" "> 900ms" "p50 ms" "p99 ms"
for target in "balancer-lab (somaxconn):$p_lab" "balancer-lab --listen-backlog 50:$p_lab50" "nginx proxy (backlog 511):$p_nginx"; do
  for round in $(seq "$rounds"); do
    read -r ok failed slow p50 p99 max < <(python3 "$work/burst.py" "${target##*:}" "$burst")
    printf '%-34s %6s %10s %8s %8s %8s %8s\n' "${target%:*}" "$round" "$ok" "$failed" "$slow" "$p50" "$p99"
    sleep 2 # let the closed connections drain out of the proxies
  done
done
