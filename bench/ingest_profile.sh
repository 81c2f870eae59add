#!/usr/bin/env bash
# The whole ingest path under callgrind: instructions per stored event, every thread counted
# (HTTP, auth, normalization, grouping, the writer and SQLite), start-up excluded.
#   bench/ingest_profile.sh [ferry binary] [event bytes] [seconds] [out file]
# LUA names the wrk script in bench/lua (default store_event.lua).
# Prints the stored events, the instructions and their ratio; the profile is left in the out
# file for callgrind_annotate (--inclusive=yes shows where each stage's share goes).
set -euo pipefail
cd "$(dirname "$0")/.."
ferry=${1:-build/ferry}
bytes=${2:-5000}
secs=${3:-20}
out=${4:-callgrind.ingest.out}
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
dir=$(mktemp -d)
cat > "$dir/ferry.yml" <<YML
server: { listen: "127.0.0.1:$port" }
data_dir: "$dir/data"
tunnel: { enabled: false }
log: { level: warn }
YML
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
  "$ferry" serve --config "$dir/ferry.yml" > "$dir/out" 2> "$dir/err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 300); do grep -q "DSN" "$dir/out" 2>/dev/null && break; sleep 0.1; done
dsn=$(grep 'DSN' "$dir/out" | awk '{print $NF}')
key=$(sed -E 's#^https?://([0-9a-f]+)@.*#\1#' <<< "$dsn")
# One event first, so that what loads on first use (the User-Agent regexes) is not counted.
curl -s -o /dev/null -H "X-Sentry-Auth: Sentry sentry_key=$key, sentry_version=7" \
  -H 'Content-Type: application/json' --data '{"message":"warm-up"}' \
  "http://127.0.0.1:$port/api/1/store/"
for _ in $(seq 600); do
  [ "$(sqlite3 "$dir/data/ferry.db" 'SELECT count(*) FROM events' 2>/dev/null)" = 1 ] && break
  sleep 0.5
done
callgrind_control -i on "$pid" > /dev/null
FERRY_KEY=$key EVENT_BYTES=$bytes wrk -t1 -c8 -d"${secs}s" -s "bench/lua/${LUA:-store_event.lua}" \
  "http://127.0.0.1:$port" > "$dir/wrk" 2>&1
# Let the writer finish what was accepted before the count is taken.
sleep 2
callgrind_control -i off "$pid" > /dev/null
kill -TERM "$pid"
wait "$pid" || true
stored=$(( $(sqlite3 "$dir/data/ferry.db" 'SELECT count(*) FROM events') - 1 ))
total=$(awk '/^totals:/ { print $2; exit }' "$out")
awk -v b="$bytes" -v n="$stored" -v t="$total" \
  'BEGIN { printf "%6d bytes: %d events stored, %.0f M instructions, %.0f instructions per event\n", b, n, t / 1e6, t / n }'
