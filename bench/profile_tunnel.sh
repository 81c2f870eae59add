#!/usr/bin/env bash
# Instructions per tunneled request, measured with callgrind (deterministic, so it compares
# builds fairly on a busy machine): ferry with one I/O thread in direct mode in front of an
# nginx `return 200` upstream; wrk posts small envelopes over 8 keep-alive connections; the
# counters are zeroed after a warm-up and dumped after the run.
#   bench/profile_tunnel.sh [FERRY_BINARY] [OUT_DIR]
# Prints "instructions/request N" and leaves callgrind.out.* in OUT_DIR for callgrind_annotate.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
ferry=$(realpath "${1:-build/ferry}")
out=$(realpath -m "${2:-$(mktemp -d)}")
mkdir -p "$out"
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

read -r up_port ferry_port <<< "$(free_ports 2)"
node bench/make_payloads.mjs "$work/payloads" > /dev/null
upstream_nginx_conf "$work/up" "$up_port"
tunnel_config "$work/ferry.yml" "$ferry_port" "$work/ferry-data" "$up_port" direct 1
/usr/sbin/nginx -c "$work/up/nginx.conf" & pids+=($!)
valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out.%p" \
  "$ferry" serve --config "$work/ferry.yml" > "$work/ferry.out" 2> "$work/ferry.err" &
ferry_pid=$!; pids+=($ferry_pid)
for _ in $(seq 200); do
  curl -sf "http://127.0.0.1:$ferry_port/api/relay/healthcheck/ready/" > /dev/null && break
  sleep 0.1
done
run_wrk() {
  PAYLOAD="$work/payloads/small" wrk -t1 -c8 -d"$1" -s bench/lua/tunnel_payload.lua \
    "http://127.0.0.1:$ferry_port/tunnel" | awk '/^BENCH/ {for (i=2;i<=NF;i++) {split($i,kv,"="); if (kv[1]=="requests") print kv[2]}}'
}
run_wrk 3s > /dev/null
callgrind_control -z "$ferry_pid" > /dev/null
requests=$(run_wrk 10s)
callgrind_control -d "$ferry_pid" > /dev/null
sleep 1
dump=$(ls -t "$out"/callgrind.out.* | head -1)
total=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1; exit}')
echo "requests $requests"
echo "instructions $total"
echo "instructions/request $((total / requests))"
echo "profile $dump"
