# Sourced by the bench scripts: the set-up they share, so that every comparison runs against the same
# backends and the same nginx proxy configuration, and reads wrk the same way.
# Needs $root (the checkout); the functions below bench_prepare need $work and $pids, which it sets.
#
#   bench_prepare NAME                            bootstrap's packages, $lab built (Release) when missing,
#                                                 $work a new /tmp/NAME.XXXXXX, $pids empty; at exit every
#                                                 pid in $pids is killed and $work removed (bench_cleanup)
#   bench_backends PORT1 PORT2 PORT3 [PROCESSES]   three nginx static backends (a 64-byte file), one
#                                                 nginx with PROCESSES workers (1); $bench_backends_pid
#   bench_nginx_proxy NAME PORT WORKERS [LISTEN_OPTS] [SERVER_EXTRA] [CONNECTIONS] [HTTP_EXTRA] [LOCATION_EXTRA]
#                                                 nginx as a keep-alive reverse proxy in front of them, in
#                                                 $work/NAME; $bench_nginx_pid is its master
#   bench_wait_http PORT...                       waits until each answers GET / (plain HTTP)
#   bench_requests PORT CONNECTIONS TOTAL         exactly TOTAL keep-alive GETs; prints "<answered> <seconds>"
#   bench_wrk URL THREADS CONNECTIONS DURATION [WRK_ARGS...]
#                                                 one wrk run; prints "<req/s> <p50 ms> <p99 ms> [errors]"

bench_prepare() {
  "$root/scripts/bootstrap"
  if [ ! -x "$lab" ]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLAB_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build" -j"$(nproc)" --target balancer-lab
  fi
  work="$(mktemp -d "/tmp/$1.XXXXXX")"
  pids=()
  trap bench_cleanup EXIT
}

bench_cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}

bench_backends() {
  bench_backend_ports=("$1" "$2" "$3")
  mkdir -p "$work/backends/logs"
  chmod 755 "$work" "$work/backends" # nginx workers run as nobody
  printf 'hello from a static backend, 64 bytes of body for the benchmark\n' >"$work/backends/index.html"
  cat >"$work/backends/nginx.conf" <<CONF
worker_processes ${4:-1};
daemon off;
pid $work/backends/nginx.pid;
error_log $work/backends/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  server { listen 127.0.0.1:$1; listen 127.0.0.1:$2; listen 127.0.0.1:$3; root $work/backends; location / { } }
}
CONF
  nginx -c "$work/backends/nginx.conf" -p "$work/backends" &
  bench_backends_pid=$!
  pids+=($!)
}

bench_nginx_proxy() {
  local name=$1 port=$2 workers=$3 listen_opts=${4:-} server_extra=${5:-} connections=${6:-4096} http_extra=${7:-}
  local location_extra=${8:-}
  local dir="$work/$name" servers="" p
  for p in "${bench_backend_ports[@]}"; do servers+="server 127.0.0.1:$p; "; done
  mkdir -p "$dir/logs"
  cat >"$dir/nginx.conf" <<CONF
worker_processes $workers;
worker_rlimit_nofile $((connections + 1000));
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections $connections; }
http {
  access_log off;
  keepalive_requests 10000000;
  $http_extra
  upstream pool { $servers keepalive 64; }
  server { listen 127.0.0.1:$port $listen_opts;
           $server_extra
           location / { proxy_pass http://pool; proxy_http_version 1.1; proxy_set_header Connection "";
                        $location_extra } }
}
CONF
  nginx -c "$dir/nginx.conf" -p "$dir" &
  bench_nginx_pid=$!
  pids+=($!)
}

bench_wait_http() {
  local port
  for port in "$@"; do
    for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && continue 2; sleep 0.1; done
    echo "bench: nothing answers on port $port" >&2
    return 1
  done
}

bench_requests() {
  python3 "$root/bench/keepalive-client.py" 127.0.0.1 "$1" "$2" "$3"
}

# wrk's latency column in ms, whatever unit it printed.
bench_to_ms() {
  awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v }
         else if (v ~ /s$/) { sub(/s$/,"",v); print v*1000 } else print v }'
}

bench_wrk() {
  local url=$1 threads=$2 connections=$3 duration=$4 out rps p50 p99 errors
  shift 4
  out="$(wrk -t"$threads" -c"$connections" -d"$duration" --latency "$@" "$url")"
  rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out" | bench_to_ms)"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out" | bench_to_ms)"
  errors="$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')"
  echo "$rps $p50 $p99 ${errors:-}"
}
