#!/usr/bin/env bash
# Compares balancer-lab's HTTP proxy with nginx and HAProxy as proxies, in one run, with the same wrk
# settings, in front of the same three nginx static backends on loopback. Prints req/s, p50, p99 and the
# ratio to nginx. Everything listens on 127.0.0.1 only and stops when the script ends.
#
#   bench/proxy-vs-nginx.sh [BUILD_DIR]      env: THREADS=1 CONNECTIONS=50 DURATION=10s WORKERS=2
#                                            PORT_BASE=18181 (15 ports from it)
#   BASELINE=/path/to/an/older/balancer-lab also measures that binary in the same run (a before/after
#   of a change, each against the same nginx).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-release}"
threads="${THREADS:-1}" connections="${CONNECTIONS:-50}" duration="${DURATION:-10s}" workers="${WORKERS:-2}"
lab="$build/app/balancer-lab"
"$root/scripts/bootstrap"
if [ ! -x "$lab" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLAB_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build" -j"$(nproc)" --target balancer-lab
fi

work="$(mktemp -d /tmp/lab-bench.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

pb="${PORT_BASE:-18181}"
b1=$pb b2=$((pb + 1)) b3=$((pb + 2)) p_nginx=$((pb + 9)) p_haproxy=$((pb + 10)) p_lab=$((pb + 11))
p_haproxy_tcp=$((pb + 12)) p_lab_tcp=$((pb + 13)) p_baseline=$((pb + 14)) baseline="${BASELINE:-}"
mkdir -p "$work/logs"
chmod 755 "$work"   # nginx workers run as nobody
printf 'hello from a static backend, 64 bytes of body for the benchmark\n' > "$work/index.html"
cat > "$work/nginx.conf" <<CONF
worker_processes $workers;
daemon off;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  upstream pool { server 127.0.0.1:$b1; server 127.0.0.1:$b2; server 127.0.0.1:$b3; keepalive 64; }
  server { listen 127.0.0.1:$b1; listen 127.0.0.1:$b2; listen 127.0.0.1:$b3; root $work; location / { } }
  server { listen 127.0.0.1:$p_nginx;
           location / { proxy_pass http://pool; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
CONF
cat > "$work/haproxy.cfg" <<CONF
global
  nbthread $workers
  maxconn 4000
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
frontend fe
  bind 127.0.0.1:$p_haproxy
  default_backend be
backend be
  balance roundrobin
  http-reuse always
  server s1 127.0.0.1:$b1
  server s2 127.0.0.1:$b2
  server s3 127.0.0.1:$b3
frontend fe_tcp
  mode tcp
  bind 127.0.0.1:$p_haproxy_tcp
  default_backend be_tcp
backend be_tcp
  mode tcp
  balance roundrobin
  server s1 127.0.0.1:$b1
  server s2 127.0.0.1:$b2
  server s3 127.0.0.1:$b3
CONF
nginx -c "$work/nginx.conf" -p "$work" & pids+=($!)
haproxy -f "$work/haproxy.cfg" -q & pids+=($!)
"$lab" serve --listen 127.0.0.1:$p_lab --workers "$workers" --health-path / \
  --backend 127.0.0.1:$b1 --backend 127.0.0.1:$b2 --backend 127.0.0.1:$b3 2>"$work/logs/lab.log" & pids+=($!)
"$lab" serve --mode tcp --listen 127.0.0.1:$p_lab_tcp --workers "$workers" \
  --backend 127.0.0.1:$b1 --backend 127.0.0.1:$b2 --backend 127.0.0.1:$b3 2>"$work/logs/lab-tcp.log" & pids+=($!)

ports=($b1 $p_nginx $p_haproxy $p_lab $p_haproxy_tcp $p_lab_tcp)
http_targets=(direct:$b1 nginx:$p_nginx haproxy:$p_haproxy balancer-lab:$p_lab)
if [ -n "$baseline" ]; then
  "$baseline" serve --listen 127.0.0.1:$p_baseline --workers "$workers" --health-path / \
    --backend 127.0.0.1:$b1 --backend 127.0.0.1:$b2 --backend 127.0.0.1:$b3 2>"$work/logs/baseline.log" & pids+=($!)
  ports+=($p_baseline)
  http_targets+=(baseline:$p_baseline)
fi
for port in "${ports[@]}"; do
  for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  curl -sf -o /dev/null "http://127.0.0.1:$port/" || { echo "bench: nothing answers on port $port" >&2; exit 1; }
done

to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v } else if (v ~ /s$/) { sub(/s$/,"",v); print v*1000 } else print v }'; }
run() {
  local port=$1 out
  out="$(wrk -t"$threads" -c"$connections" -d"$duration" --latency "http://127.0.0.1:$port/")"
  local rps p50 p99 errors
  rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out" | to_ms)"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out" | to_ms)"
  errors="$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')"
  echo "$rps $p50 $p99 ${errors:-}"
}

echo "wrk -t$threads -c$connections -d$duration, $workers workers each, 3 nginx static backends, $(nproc) cores"
printf '%-22s %12s %10s %10s %9s\n' "target" "req/s" "p50 ms" "p99 ms" "vs nginx"
declare -A result
for target in "${http_targets[@]}"; do
  result[${target%%:*}]="$(run "${target##*:}")"
done
nginx_rps="$(cut -d' ' -f1 <<<"${result[nginx]}")"
for target in "${http_targets[@]}"; do
  name=${target%%:*}
  read -r rps p50 p99 errors <<<"${result[$name]}"
  ratio="$(awk -v a="$rps" -v b="$nginx_rps" 'BEGIN { printf "%.2fx", a/b }')"
  printf '%-22s %12s %10s %10s %9s %s\n' "$name" "$rps" "$p50" "$p99" "$ratio" "$errors"
done

# Layer 4: the same HTTP traffic relayed as bytes (each wrk connection is tied to one backend
# connection for its life), HAProxy in mode tcp against balancer-lab serve --mode tcp.
echo
printf '%-22s %12s %10s %10s %9s\n' "target (layer 4)" "req/s" "p50 ms" "p99 ms" "vs haproxy"
for target in haproxy-tcp:$p_haproxy_tcp balancer-lab-tcp:$p_lab_tcp; do
  result[${target%%:*}]="$(run "${target##*:}")"
done
haproxy_tcp_rps="$(cut -d' ' -f1 <<<"${result[haproxy-tcp]}")"
for name in haproxy-tcp balancer-lab-tcp; do
  read -r rps p50 p99 errors <<<"${result[$name]}"
  ratio="$(awk -v a="$rps" -v b="$haproxy_tcp_rps" 'BEGIN { printf "%.2fx", a/b }')"
  printf '%-22s %12s %10s %10s %9s %s\n' "$name" "$rps" "$p50" "$p99" "$ratio" "$errors"
done
