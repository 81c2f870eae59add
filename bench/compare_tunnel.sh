#!/usr/bin/env bash
# Before/after of a tunnel change, in one run: two ferry binaries and nginx proxy_pass side by
# side in front of the same nginx `return 200` upstream (direct mode, small envelopes over
# keep-alive connections), rounds interleaved so that load from elsewhere hits all alike.
#   bench/compare_tunnel.sh BEFORE_BINARY AFTER_BINARY [ROUNDS] [SECONDS] [CONNECTIONS] [PAYLOAD]
# PAYLOAD: small | medium | large (bench/make_payloads.mjs). Prints requests/s and p99 per
# round and the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
before=$(realpath "$1"); after=$(realpath "$2")
rounds=${3:-3}; secs=${4:-5}; conns=${5:-32}; payload=${6:-small}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
read -r up px fa fb <<< "$(free_ports 4)"
node bench/make_payloads.mjs "$work/payloads" > /dev/null
upstream_nginx_conf "$work/up" "$up"
proxy_nginx_conf "$work/px" "$px" "$up"
tunnel_config "$work/a.yml" "$fa" "$work/data-a" "$up" direct
tunnel_config "$work/b.yml" "$fb" "$work/data-b" "$up" direct
/usr/sbin/nginx -c "$work/up/nginx.conf" & pids+=($!)
/usr/sbin/nginx -c "$work/px/nginx.conf" & pids+=($!)
"$before" serve --config "$work/a.yml" > /dev/null 2>&1 & pids+=($!)
"$after" serve --config "$work/b.yml" > /dev/null 2>&1 & pids+=($!)
for port in $up $px $fa $fb; do
  for _ in $(seq 100); do curl -s -o /dev/null -m 1 "http://127.0.0.1:$port/" && break; sleep 0.05; done
done
gz=0; [ "$payload" = medium ] && gz=1
one() {
  PAYLOAD="$work/payloads/$payload" GZIP=$gz wrk -t2 -c"$conns" -d"${secs}s" -s bench/lua/tunnel_payload.lua \
    "http://127.0.0.1:$1/tunnel" 2>&1 | awk '/^BENCH/ {for (i=2;i<=NF;i++) {split($i,kv,"="); v[kv[1]]=kv[2]} print v["rps"], v["p99_us"], v["non2xx"]}'
}
printf '%-6s %-8s %10s %8s %6s\n' round target 'req/s' 'p99 us' non2xx
for r in $(seq "$rounds"); do
  for t in nginx before after; do
    case $t in nginx) port=$px;; before) port=$fa;; after) port=$fb;; esac
    read -r rps p99 bad <<< "$(one "$port")"
    printf '%-6s %-8s %10s %8s %6s\n' "$r" "$t" "$rps" "$p99" "$bad" | tee -a "$work/rows"
  done
done
echo "medians (ratio to nginx proxy_pass):"
awk '{rps[$2]=rps[$2] " " $3} END {for (t in rps) print t, rps[t]}' "$work/rows" | while read -r t vals; do
  echo "$t $(echo $vals | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
done | sort > "$work/med"
nginx_med=$(awk '$1=="nginx" {print $2}' "$work/med")
awk -v n="$nginx_med" '{printf "  %-8s %10.0f req/s  %.2fx\n", $1, $2, $2 / n}' "$work/med"
