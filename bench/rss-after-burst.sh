#!/usr/bin/env bash
# Memory after bursts of connections: `balancer-lab serve` in front of an nginx static backend takes
# ROUNDS bursts of BURST (8 000) connections, opened at once, each sending one GET (half of them
# with a 16 KiB header) and held open until every one has its answer, then all closed. Prints the
# proxy's RSS (VmRSS) before the first burst, at each burst's peak, and 3 s after each burst: before
# the fix the freed session buffers stayed with the process, so RSS ratcheted up burst after burst.
# Loopback ports 18530-18531.
#
#   bench/rss-after-burst.sh [BUILD_DIR]      env: BURST=8000 ROUNDS=3 WORKERS=2
#
# Each held connection costs the proxy two descriptors while its request is in flight (client and
# backend), and the default connection cap keeps a reserve: the descriptor limit must be at least
# 2 x BURST x 10/9 (20 000 for 8 000), or the cap refuses the rest of the burst.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-release}"
burst="${BURST:-8000}" rounds="${ROUNDS:-3}" workers="${WORKERS:-2}"
lab="$build/app/balancer-lab"
# shellcheck source=bench/lib-backends.sh
source "$root/bench/lib-backends.sh"
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge $(( burst * 20 / 9 )) ] || { echo "bench: needs a descriptor limit of $(( burst * 20 / 9 ))" >&2; exit 1; }

bench_prepare lab-rss

backend=18530 p_lab=18531
mkdir -p "$work/logs"
chmod 755 "$work"
printf 'hello from a static backend\n' > "$work/index.html"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
worker_rlimit_nofile $(ulimit -n);
daemon off;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections $(( burst + 1000 )); }
http { access_log off; large_client_header_buffers 4 32k;
       server { listen 127.0.0.1:$backend backlog=4096; root $work; location / { } } }
CONF
cat > "$work/burst.py" <<'PY'
import selectors, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
sel = selectors.DefaultSelector()
plain = b"GET / HTTP/1.1\r\nHost: lab\r\n\r\n"
padded = b"GET / HTTP/1.1\r\nHost: lab\r\nX-Pad: " + b"p" * 16384 + b"\r\n\r\n"
state = {}
for i in range(n):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    state[s] = [padded if i % 2 else plain, b""]
    sel.register(s, selectors.EVENT_WRITE)
answered = failed = 0
deadline = time.monotonic() + 60
while answered + failed < n and time.monotonic() < deadline:
    for key, events in sel.select(timeout=0.5):
        s, st = key.fileobj, state[key.fileobj]
        try:
            if events & selectors.EVENT_WRITE:
                sent = s.send(st[0])
                st[0] = st[0][sent:]
                if not st[0]:
                    sel.modify(s, selectors.EVENT_READ)
            else:
                data = s.recv(65536)
                st[1] += data
                if not data or b"\r\n\r\n" in st[1]:
                    if st[1].startswith(b"HTTP/1.1 200"):
                        answered += 1
                    else:
                        failed += 1
                    sel.unregister(s)
        except OSError:
            failed += 1
            sel.unregister(s)
print(f"{answered} {n - answered}", flush=True)
sys.stdin.readline()  # hold every connection open until the caller has read the peak
for s in state:
    s.close()
PY

nginx -c "$work/nginx.conf" -p "$work" & pids+=($!)
"$lab" serve --listen 127.0.0.1:$p_lab --workers "$workers" --no-health-checks \
  --backend 127.0.0.1:$backend 2>"$work/logs/lab.log" & lab_pid=$!; pids+=($lab_pid)
for port in $backend $p_lab; do
  for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  curl -sf -o /dev/null "http://127.0.0.1:$port/" || { echo "bench: nothing answers on port $port" >&2; exit 1; }
done
rss() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$lab_pid/status"; }

echo "bursts of $burst connections, $workers workers, $(nproc) cores; RSS of balancer-lab serve in MB"
echo "before: $(rss) MB"
printf '%6s %10s %8s %10s %14s\n' "burst" "answered" "failed" "peak MB" "3 s after MB"
for round in $(seq "$rounds"); do
  coproc client { python3 "$work/burst.py" "$p_lab" "$burst"; }
  read -r answered failed <&"${client[0]}"
  peak="$(rss)"
  echo >&"${client[1]}"
  wait "$client_PID" 2>/dev/null || true
  sleep 3
  printf '%6s %10s %8s %10s %14s\n' "$round" "$answered" "$failed" "$peak" "$(rss)"
done
