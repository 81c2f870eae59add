#!/usr/bin/env bash
# Ingest into the built-in store: events per second FULLY stored (grouped, committed and
# queryable), counted through the API after the run, not as accepted.
#   bench/ingest_bench.sh [seconds] [connections]
# FERRY names the binary (default build/ferry), to compare two builds back to back.
# Prints one line per event size: size, stored events, seconds, events/s, issues.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-32}
ferry=${FERRY:-build/ferry}
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')  # a free port

run_one() {
  local bytes=$1 dir
  dir=$(mktemp -d)
  cat > "$dir/ferry.yml" <<YML
server: { listen: "127.0.0.1:$port" }
data_dir: "$dir/data"
tunnel: { enabled: false }
log: { level: warn }
YML
  "$ferry" serve --config "$dir/ferry.yml" > "$dir/out" 2> "$dir/err" &
  local pid=$!
  trap "kill $pid 2>/dev/null || true; rm -rf '$dir'" EXIT
  for _ in $(seq 50); do grep -q "DSN" "$dir/out" 2>/dev/null && break; sleep 0.1; done
  local dsn key
  dsn=$(grep 'DSN' "$dir/out" | awk '{print $NF}')
  key=$(sed -E 's#^https?://([0-9a-f]+)@.*#\1#' <<< "$dsn")
  FERRY_KEY=$key EVENT_BYTES=$bytes wrk -t2 -c"$conns" -d"${secs}s" -s bench/lua/store_event.lua \
    "http://127.0.0.1:$port" > "$dir/wrk" 2>&1
  "$ferry" createuser --email bench@example.com --config "$dir/ferry.yml" < /dev/null > /dev/null
  local token stored issues
  token=$("$ferry" token create --email bench@example.com --config "$dir/ferry.yml")
  local json
  json=$(curl -s -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port/api/0/projects/ferry/default/issues/?query=&limit=100")
  stored=$(node -e 'const a=JSON.parse(process.argv[1]);console.log(a.reduce((s,i)=>s+Number(i.count),0))' "$json")
  issues=$(node -e 'console.log(JSON.parse(process.argv[1]).length)' "$json")
  local non2xx
  non2xx=$(grep -oE 'Non-2xx or 3xx responses: [0-9]+' "$dir/wrk" | awk '{print $NF}' || true)
  kill -TERM "$pid"; wait "$pid" || true
  awk -v b="$bytes" -v n="$stored" -v s="$secs" -v i="$issues" -v e="${non2xx:-0}" \
    'BEGIN { printf "%6d bytes: %8d events stored in %ds = %8.0f events/s, %d issues, %d non-2xx\n", b, n, s, n / s, i, e }'
  grep -E 'Latency|Requests/sec' "$dir/wrk" | sed 's/^/    /'
  rm -rf "$dir"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
run_one 5000
run_one 50000
