#!/usr/bin/env bash
# TLS termination: balancer-lab's HTTPS listener against nginx terminating TLS, in one run, with the same
# certificate (made by `balancer-lab cert`, EC P-256) and the same wrk settings, in front of the same three
# nginx static backends on loopback. Two figures per proxy:
#   handshakes/s   wrk with "Connection: close": every request is a new TCP connection and a full TLS
#                  handshake (wrk keeps no session to resume), so requests/s = handshakes/s
#   keep-alive     wrk over long-lived TLS connections: requests/s, p50 and p99
# Everything listens on 127.0.0.1 only (ports PORT_BASE to PORT_BASE+12, 18981-18993 by default) and stops
# when the script ends. BASELINE=/path/to/an/older/balancer-lab runs that binary too, in the same run, on
# the same certificate and backends (before/after figures that share the machine's load).
#
#   bench/tls-vs-nginx.sh [BUILD_DIR]      env: THREADS=1 CONNECTIONS=50 DURATION=10s WORKERS=2 PORT_BASE=18981
#                                               BASELINE=
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-release}"
threads="${THREADS:-1}" connections="${CONNECTIONS:-50}" duration="${DURATION:-10s}" workers="${WORKERS:-2}"
lab="$build/app/balancer-lab"
# shellcheck source=bench/lib-backends.sh
source "$root/bench/lib-backends.sh"

bench_prepare lab-tls-bench

base="${PORT_BASE:-18981}" baseline="${BASELINE:-}"
b1=$base b2=$((base + 1)) b3=$((base + 2)) p_nginx=$((base + 9)) p_lab=$((base + 11)) p_base=$((base + 12))
mkdir -p "$work/logs"
bench_backends $b1 $b2 $b3 "$workers"
"$lab" cert --out "$work/cert" >/dev/null
chmod 644 "$work/cert/key.pem"   # nginx reads it as its master process's user; the directory is private
bench_nginx_proxy proxy $p_nginx "$workers" ssl "ssl_certificate $work/cert/cert.pem; ssl_certificate_key $work/cert/key.pem;
           ssl_protocols TLSv1.2 TLSv1.3; ssl_session_cache off; ssl_session_tickets off;" \
  4096 "" "proxy_set_header X-Forwarded-Proto https;"
"$lab" serve --listen 127.0.0.1:$p_lab --workers "$workers" --health-path / \
  --tls-cert "$work/cert/cert.pem" --tls-key "$work/cert/key.pem" \
  --backend 127.0.0.1:$b1 --backend 127.0.0.1:$b2 --backend 127.0.0.1:$b3 2>"$work/logs/lab.log" & pids+=($!)
targets=(nginx:$p_nginx balancer-lab:$p_lab)
if [ -n "$baseline" ]; then
  "$baseline" serve --listen 127.0.0.1:$p_base --workers "$workers" --health-path / \
    --tls-cert "$work/cert/cert.pem" --tls-key "$work/cert/key.pem" \
    --backend 127.0.0.1:$b1 --backend 127.0.0.1:$b2 --backend 127.0.0.1:$b3 2>"$work/logs/baseline.log" & pids+=($!)
  targets+=(baseline:$p_base)
fi

for target in "${targets[@]}"; do
  port=${target##*:}
  url="https://localhost:$port/"
  for _ in $(seq 50); do
    curl -sf -o /dev/null --cacert "$work/cert/cert.pem" --resolve "localhost:$port:127.0.0.1" "$url" && break
    sleep 0.1
  done
  curl -sf -o /dev/null --cacert "$work/cert/cert.pem" --resolve "localhost:$port:127.0.0.1" "$url" ||
    { echo "bench: nothing answers HTTPS on port $port" >&2; cat "$work/logs/lab.log" >&2; exit 1; }
done

run() {
  local port=$1
  shift
  bench_wrk "https://127.0.0.1:$port/" "$threads" "$connections" "$duration" "$@"
}

echo "wrk -t$threads -c$connections -d$duration, $workers workers each, EC P-256 certificate, 3 nginx static backends, $(nproc) cores"
for mode in handshakes keep-alive; do
  args=()
  [ "$mode" = handshakes ] && args=(-H "Connection: close")
  echo
  printf '%-14s %-14s %12s %10s %10s %9s\n' "$mode" "target" "req/s" "p50 ms" "p99 ms" "vs nginx"
  declare -A result=()
  for target in "${targets[@]}"; do
    result[${target%%:*}]="$(run "${target##*:}" "${args[@]}")"
  done
  nginx_rps="$(cut -d' ' -f1 <<<"${result[nginx]}")"
  for target in "${targets[@]}"; do
    name=${target%%:*}
    read -r rps p50 p99 errors <<<"${result[$name]}"
    ratio="$(awk -v a="$rps" -v b="$nginx_rps" 'BEGIN { printf "%.2fx", a/b }')"
    printf '%-14s %-14s %12s %10s %10s %9s %s\n' "" "$name" "$rps" "$p50" "$p99" "$ratio" "$errors"
  done
done
{ grep -c "tls: handshake" "$work/logs/lab.log" || true; } | awk '{ print "\nbalancer-lab handshake failures logged: " $1 }'
