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
# shellcheck source=bench/lib-backends.sh
source "$root/bench/lib-backends.sh"

bench_prepare lab-bench

pb="${PORT_BASE:-18181}"
b1=$pb b2=$((pb + 1)) b3=$((pb + 2)) p_nginx=$((pb + 9)) p_haproxy=$((pb + 10)) p_lab=$((pb + 11))
p_haproxy_tcp=$((pb + 12)) p_lab_tcp=$((pb + 13)) p_baseline=$((pb + 14)) baseline="${BASELINE:-}"
mkdir -p "$work/logs"
bench_backends $b1 $b2 $b3 "$workers"
bench_nginx_proxy proxy $p_nginx "$workers"
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
bench_wait_http "${ports[@]}"

run() { bench_wrk "http://127.0.0.1:$1/" "$threads" "$connections" "$duration"; }

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
