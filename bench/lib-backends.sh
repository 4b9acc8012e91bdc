# Sourced by bench scripts: three nginx static backends (a 64-byte file) on loopback and a few helpers.
# Needs $work (a temporary directory the caller removes) and $pids (an array the caller's trap kills).
# bench_backends PORT1 PORT2 PORT3   starts them; bench_wait_http PORT waits until PORT answers.

bench_backends() {
  mkdir -p "$work/backends/logs"
  chmod 755 "$work" "$work/backends" # nginx workers run as nobody
  printf 'hello from a static backend, 64 bytes of body for the benchmark\n' >"$work/backends/index.html"
  cat >"$work/backends/nginx.conf" <<CONF
worker_processes 1;
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
  pids+=($!)
}

bench_wait_http() {
  for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done
  echo "bench: nothing answers on port $1" >&2
  return 1
}

# bench_requests PORT CONNECTIONS TOTAL: exactly TOTAL keep-alive GETs; prints "<answered> <seconds>".
bench_requests() {
  python3 "$root/bench/keepalive-client.py" 127.0.0.1 "$1" "$2" "$3"
}
