#!/usr/bin/env bash
# Compares balancer-lab's HTTP proxy with nginx and HAProxy as proxies, in one run, with the same wrk
# settings, in front of the same three nginx static backends on loopback. Prints req/s, p50, p99, the
# ratio to nginx and each proxy's CPU per request (user + system time of its process and its child
# processes, over the requests wrk counted; less noisy than req/s on a shared machine). Everything
# listens on 127.0.0.1 only and stops when the script ends.
#
#   bench/proxy-vs-nginx.sh [BUILD_DIR]      env: THREADS=1 CONNECTIONS=50 DURATION=10s WORKERS=2
#                                            PORT_BASE=18181 (15 ports from it) ROUNDS=1
#   ROUNDS=N measures each HTTP target N times in a turning order and prints medians (the ratio to nginx
#   as the median of the per-round ratios, and in how many rounds p99 was at or below nginx's).
#   BASELINE=/path/to/an/older/balancer-lab also measures that binary in the same run (a before/after
#   of a change, each against the same nginx).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-release}"
threads="${THREADS:-1}" connections="${CONNECTIONS:-50}" duration="${DURATION:-10s}" workers="${WORKERS:-2}"
rounds="${ROUNDS:-1}"
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
declare -A pid_of
pid_of[direct]=$bench_backends_pid pid_of[nginx]=$bench_nginx_pid
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
pid_of[haproxy]=$! pid_of[haproxy-tcp]=$!
"$lab" serve --listen 127.0.0.1:$p_lab --workers "$workers" --health-path / \
  --backend 127.0.0.1:$b1 --backend 127.0.0.1:$b2 --backend 127.0.0.1:$b3 2>"$work/logs/lab.log" & pids+=($!)
pid_of[balancer-lab]=$!
"$lab" serve --mode tcp --listen 127.0.0.1:$p_lab_tcp --workers "$workers" \
  --backend 127.0.0.1:$b1 --backend 127.0.0.1:$b2 --backend 127.0.0.1:$b3 2>"$work/logs/lab-tcp.log" & pids+=($!)
pid_of[balancer-lab-tcp]=$!

ports=($b1 $p_nginx $p_haproxy $p_lab $p_haproxy_tcp $p_lab_tcp)
http_targets=(direct:$b1 nginx:$p_nginx haproxy:$p_haproxy balancer-lab:$p_lab)
if [ -n "$baseline" ]; then
  "$baseline" serve --listen 127.0.0.1:$p_baseline --workers "$workers" --health-path / \
    --backend 127.0.0.1:$b1 --backend 127.0.0.1:$b2 --backend 127.0.0.1:$b3 2>"$work/logs/baseline.log" & pids+=($!)
  pid_of[baseline]=$!
  ports+=($p_baseline)
  http_targets+=(baseline:$p_baseline)
fi
bench_wait_http "${ports[@]}"

run() { bench_wrk "http://127.0.0.1:$1/" "$threads" "$connections" "$duration"; }
# utime + stime in clock ticks of a process, its threads and its child processes (nginx's workers).
cpu_ticks() {
  local p t=0
  for p in "$1" $(pgrep -P "$1" || true); do
    t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
# Runs wrk against target NAME on PORT; result[NAME] = "<req/s> <p50> <p99> <cpu us/req> [errors]".
measure() {
  local name=$1 port=$2 before after rps rest p50 p99 errors
  before="$(cpu_ticks "${pid_of[$name]}")"
  read -r rps rest <<<"$(run "$port")"
  after="$(cpu_ticks "${pid_of[$name]}")"
  local us
  us="$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v r="$rps" -v d="${duration%s}" \
    'BEGIN { if (r > 0) printf "%.1f", t * 1e6 / hz / (r * d); else print "-" }')"
  read -r p50 p99 errors <<<"$rest"
  result[$name]="$rps $p50 $p99 $us ${errors:-}"
}

echo "wrk -t$threads -c$connections -d$duration, $workers workers each, 3 nginx static backends, $(nproc) cores"
declare -A result
if [ "$rounds" -le 1 ]; then
  printf '%-22s %12s %10s %10s %9s %11s\n' "target" "req/s" "p50 ms" "p99 ms" "vs nginx" "cpu us/req"
  for target in "${http_targets[@]}"; do
    measure "${target%%:*}" "${target##*:}"
  done
  nginx_rps="$(cut -d' ' -f1 <<<"${result[nginx]}")"
  for target in "${http_targets[@]}"; do
    name=${target%%:*}
    read -r rps p50 p99 us errors <<<"${result[$name]}"
    ratio="$(awk -v a="$rps" -v b="$nginx_rps" 'BEGIN { printf "%.2fx", a/b }')"
    printf '%-22s %12s %10s %10s %9s %11s %s\n' "$name" "$rps" "$p50" "$p99" "$ratio" "$us" "$errors"
  done
else
  # ROUNDS=N: every target N times, the order turned by one each round (so that no target always runs
  # first, or right after the same one), one line per measurement; then per target the medians, and the
  # median of its per-round ratios to nginx (a ratio taken within one round, minutes apart from the next,
  # is what a shared machine's drift disturbs least).
  printf '%-7s %-22s %12s %10s %10s %11s\n' "round" "target" "req/s" "p50 ms" "p99 ms" "cpu us/req"
  : >"$work/rounds.txt"
  n=${#http_targets[@]}
  for ((r = 0; r < rounds; r++)); do
    for ((k = 0; k < n; k++)); do
      target=${http_targets[$(((r + k) % n))]}
      name=${target%%:*}
      measure "$name" "${target##*:}"
      read -r rps p50 p99 us errors <<<"${result[$name]}"
      printf '%-7s %-22s %12s %10s %10s %11s %s\n' "$((r + 1))" "$name" "$rps" "$p50" "$p99" "$us" "$errors"
      echo "$((r + 1)) $name $rps $p50 $p99 $us" >>"$work/rounds.txt"
    done
  done
  echo
  echo "medians over $rounds rounds (vs nginx: the median of the per-round ratios; p99 <= nginx: rounds where it was)"
  printf '%-22s %12s %10s %10s %9s %11s %12s\n' "target" "req/s" "p50 ms" "p99 ms" "vs nginx" "cpu us/req" "p99<=nginx"
  for target in "${http_targets[@]}"; do
    awk -v t="${target%%:*}" -v rounds="$rounds" '
      function median(a, k,   i, j, x) { # sorts a[1..k] in place (k is small)
        for (i = 2; i <= k; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
        return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
      }
      { rps[$1, $2] = $3; p50[$1, $2] = $4; p99[$1, $2] = $5; us[$1, $2] = $6 }
      END {
        for (r = 1; r <= rounds; r++) {
          a[r] = rps[r, t]; b[r] = p50[r, t]; c[r] = p99[r, t]; d[r] = us[r, t]
          e[r] = rps[r, "nginx"] > 0 ? rps[r, t] / rps[r, "nginx"] : 0
          if (p99[r, t] <= p99[r, "nginx"]) le++
        }
        printf "%-22s %12.0f %10.3f %10.2f %8.2fx %11.1f %9d of %d\n", t, median(a, rounds), median(b, rounds),
          median(c, rounds), median(e, rounds), median(d, rounds), le, rounds
      }' "$work/rounds.txt"
  done
fi

# Layer 4: the same HTTP traffic relayed as bytes (each wrk connection is tied to one backend
# connection for its life), HAProxy in mode tcp against balancer-lab serve --mode tcp.
echo
printf '%-22s %12s %10s %10s %9s %11s\n' "target (layer 4)" "req/s" "p50 ms" "p99 ms" "vs haproxy" "cpu us/req"
for target in haproxy-tcp:$p_haproxy_tcp balancer-lab-tcp:$p_lab_tcp; do
  measure "${target%%:*}" "${target##*:}"
done
haproxy_tcp_rps="$(cut -d' ' -f1 <<<"${result[haproxy-tcp]}")"
for name in haproxy-tcp balancer-lab-tcp; do
  read -r rps p50 p99 us errors <<<"${result[$name]}"
  ratio="$(awk -v a="$rps" -v b="$haproxy_tcp_rps" 'BEGIN { printf "%.2fx", a/b }')"
  printf '%-22s %12s %10s %10s %9s %11s %s\n' "$name" "$rps" "$p50" "$p99" "$ratio" "$us" "$errors"
done
