#!/usr/bin/env bash
# Tunnel throughput, direct vs durable delivery, in the same run against the same upstream
# (nginx answering 200 {"id":...} from a `return` directive), then the time to drain a backlog
# of spooled envelopes once the upstream comes back.
#   bench/tunnel_modes_bench.sh [seconds] [connections] [backlog]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
secs=${1:-8}
conns=${2:-32}
backlog=${3:-100000}
ferry=build/ferry
work=$(mktemp -d)
read -r up_port ferry_port <<< "$(free_ports 2)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

start_nginx() {
  upstream_nginx_conf "$work/nginx" "$up_port"
  /usr/sbin/nginx -c "$work/nginx/nginx.conf" &
  nginx_pid=$!
  pids+=("$nginx_pid")
  sleep 0.5
}

start_ferry() {  # $1 = delivery mode
  rm -rf "$work/data"
  tunnel_config "$work/ferry.yml" "$ferry_port" "$work/data" "$up_port" "$1"
  "$ferry" serve --config "$work/ferry.yml" > "$work/ferry.out" 2> "$work/ferry.err" &
  ferry_pid=$!
  pids+=("$ferry_pid")
  for _ in $(seq 50); do grep -q listening "$work/ferry.out" 2>/dev/null && return; sleep 0.1; done
  echo "ferry did not start"; cat "$work/ferry.err"; exit 1
}

spool_entries() {
  curl -s "http://127.0.0.1:$ferry_port/api/ferry/spool/" | sed -E 's/^\{"entries":([0-9]+).*/\1/'
}

load() {  # $1 = label
  wrk -t2 -c"$conns" -d"${secs}s" --latency -s bench/lua/tunnel_envelope.lua \
    "http://127.0.0.1:$ferry_port" > "$work/wrk" 2>&1
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk")
  p50=$(awk '$1 == "50%" {print $2}' "$work/wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk")
  printf '%-8s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n' "$1" "$rps" "$p50" "$p99" \
    "$(grep -oE 'Non-2xx or 3xx responses: [0-9]+' "$work/wrk" | awk '{print $NF}' || echo 0)"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); wrk, $conns connections, ${secs}s"
start_nginx
for mode in direct durable; do
  start_ferry "$mode"
  load "$mode"
  kill -TERM "$ferry_pid"; wait "$ferry_pid" || true
done

# Backlog: the upstream is down while $backlog envelopes are spooled; then it comes back.
kill "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true
start_ferry durable
node bench/post_many.mjs "http://127.0.0.1:$ferry_port/tunnel" "$backlog" 64
echo "spooled: $(spool_entries) envelopes"
start=$(date +%s.%N)
start_nginx
while [ "$(spool_entries)" != "0" ]; do sleep 0.2; done
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v n="$backlog" \
  'BEGIN { printf "drained %d envelopes in %.1f s = %.0f envelopes/s\n", n, e - s, n / (e - s) }'
