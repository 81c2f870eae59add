#!/usr/bin/env bash
# Before/after of an ingest change, in one run: two ferry binaries take the same stream of
# events into their built-in stores, rounds interleaved so that load from elsewhere hits both
# alike. Events per second are events FULLY stored (normalized, grouped, committed), counted
# through the API after each round.
#   bench/compare_ingest.sh BEFORE_BINARY AFTER_BINARY [ROUNDS] [SECONDS] [CONNECTIONS] [BYTES] [LUA]
# LUA: a script in bench/lua (default store_browser_event.lua: browser events with a
# User-Agent, a request and 20 frames). Prints events/s per round, the medians and their ratio,
# ferry's CPU time per stored event (user + system, all threads: less disturbed than the rate by
# other load on the machine, as long as ferry is what saturates it), and the User-Agent cache's
# hit rate of the AFTER binary when it reports one. DATA_ROOT puts
# the stores elsewhere (/dev/shm takes the disk's own noise out of a CPU comparison).
set -euo pipefail
cd "$(dirname "$0")/.."
before=$(realpath "$1"); after=$(realpath "$2")
rounds=${3:-3}; secs=${4:-8}; conns=${5:-32}; bytes=${6:-5000}; lua=${7:-store_browser_event.lua}
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')

# One round of one binary on a fresh store: prints "<events/s> <UA hit rate or -> <CPU us/event>".
one() {
  local bin=$1 dir
  dir=$(mktemp -d -p "${DATA_ROOT:-$work}")
  cat > "$dir/ferry.yml" <<YML
server: { listen: "127.0.0.1:$port" }
data_dir: "$dir/data"
tunnel: { enabled: false }
log: { level: warn }
YML
  "$bin" serve --config "$dir/ferry.yml" > "$dir/out" 2> "$dir/err" &
  pid=$!
  for _ in $(seq 100); do grep -q "DSN" "$dir/out" 2>/dev/null && break; sleep 0.1; done
  local key
  key=$(grep 'DSN' "$dir/out" | awk '{print $NF}' | sed -E 's#^https?://([0-9a-f]+)@.*#\1#')
  local ticks0 ticks1
  ticks0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  FERRY_KEY=$key EVENT_BYTES=$bytes wrk -t2 -c"$conns" -d"${secs}s" -s "bench/lua/$lua" \
    "http://127.0.0.1:$port" > "$dir/wrk" 2>&1
  # The writer may still be finishing what was accepted: give it a moment before the count.
  sleep 1
  ticks1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  "$bin" createuser --email bench@example.com --config "$dir/ferry.yml" < /dev/null > /dev/null
  local token json stored hits misses
  token=$("$bin" token create --email bench@example.com --config "$dir/ferry.yml")
  json=$(curl -s -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port/api/0/projects/ferry/default/issues/?query=&limit=100")
  stored=$(node -e 'console.log(JSON.parse(process.argv[1]).reduce((s,i)=>s+Number(i.count),0))' "$json")
  hits=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^ferry_user_agent_cache_hits_total/ {print $2}')
  misses=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^ferry_user_agent_cache_misses_total/ {print $2}')
  kill -TERM "$pid"; wait "$pid" || true; pid=""
  awk -v n="$stored" -v s="$secs" -v h="${hits:-}" -v m="${misses:-}" \
    -v t=$((ticks1 - ticks0)) -v hz="$(getconf CLK_TCK)" \
    'BEGIN { r = (h == "" || h + m == 0) ? "-" : sprintf("%.4f", h / (h + m));
             printf "%.0f %s %.1f\n", n / s, r, t / hz * 1e6 / n }'
  rm -rf "$dir"
}
echo "stores under ${DATA_ROOT:-$(dirname "$work")} ($(df --output=fstype "${DATA_ROOT:-$work}" | tail -1))"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "events of $bytes bytes ($lua), $conns connections, $secs s per round"
printf '%-6s %-7s %10s %12s %14s\n' round binary 'events/s' 'UA hit rate' 'CPU us/event'
for r in $(seq "$rounds"); do
  for t in before after; do
    bin=$before; [ $t = after ] && bin=$after
    read -r rate hit cpu <<< "$(one "$bin")"
    printf '%-6s %-7s %10s %12s %14s\n' "$r" "$t" "$rate" "$hit" "$cpu" | tee -a "$work/rows"
  done
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
b=$(awk '$2=="before" {print $3}' "$work/rows" | median)
a=$(awk '$2=="after" {print $3}' "$work/rows" | median)
awk -v b="$b" -v a="$a" 'BEGIN { printf "medians: before %.0f events/s, after %.0f events/s, after/before %.2fx\n", b, a, a / b }'
bc=$(awk '$2=="before" {print $5}' "$work/rows" | median)
ac=$(awk '$2=="after" {print $5}' "$work/rows" | median)
awk -v b="$bc" -v a="$ac" 'BEGIN { printf "CPU per event: before %.1f us, after %.1f us, before/after %.2fx\n", b, a, b / a }'
