#!/usr/bin/env bash
# `make bench`: runs every benchmark in bench/ and writes BENCHMARKS.md.
#   bench/run_all.sh [output.md]       (default: BENCHMARKS.md at the repository root)
# Environment: BENCH_SECS (wrk seconds per run, 6), BENCH_RUNS (runs per case, 3),
#   BENCH_CONNS (wrk connections, 32), BENCH_SKIP_OLD=1 skips ingest_bench.sh and
#   tunnel_modes_bench.sh, BENCH_KEEP_WORK=1 keeps the temporary directory (raw results),
#   BENCH_REPORT_ONLY=DIR writes the report again from such a kept directory,
#   BENCH_MICRO_TIME (seconds per micro-benchmark, 0.3), FERRY_BIN (default build/ferry).
# A smoke run of the harness (make test): BENCH_SECS=1 BENCH_RUNS=1 BENCH_SKIP_OLD=1
#   BENCH_MICRO_TIME=0.01 bench/run_all.sh /tmp/out.md
# Everything listens on 127.0.0.1 on free ports; every process started here is killed at exit
# and the temporary directory removed. Never part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
out_md=${1:-BENCHMARKS.md}
secs=${BENCH_SECS:-6}
runs=${BENCH_RUNS:-3}
conns=${BENCH_CONNS:-32}
ferry=${FERRY_BIN:-$PWD/build/ferry}
micro_time=${BENCH_MICRO_TIME:-0.3}
work=$(mktemp -d /tmp/ferry-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "${BENCH_KEEP_WORK:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
t_start=$(date +%s)
log() { echo "[bench $(( $(date +%s) - t_start ))s] $*" >&2; }

# Writes $out_md from the raw results in $work (the report, the micro-benchmarks and the
# performance notes). BENCH_REPORT_ONLY=DIR re-assembles it from a run kept with
# BENCH_KEEP_WORK=1, without measuring again (after editing docs/performance.md, say).
assemble() {
  node bench/report.mjs "$work" > "$work/BENCHMARKS.md"
  {
    echo
    echo "## Micro-benchmarks"
    echo
    echo 'Command: `build/bench/protocol_bench --benchmark_min_time=0.3` and `build/bench/event_bench'
    echo '--benchmark_min_time=0.3` (Google Benchmark; sources in `bench/micro/`). Profiles and'
    echo 'what was changed after them: `docs/performance.md`.'
    echo
    echo '```'
    grep -E '^(BM_|Benchmark)' "$work/micro.txt" || cat "$work/micro.txt"
    echo '```'
  } >> "$work/BENCHMARKS.md"
  # The profiles, the fixes with their before/after figures and the reasons for what is still
  # missed are kept in docs/performance.md (by hand); they are copied in, one heading level down.
  {
    echo
    echo "## Performance notes"
    echo
    echo 'Copied from `docs/performance.md`.'
    tail -n +2 docs/performance.md | sed -E 's/^(#+) /\1# /'
  } >> "$work/BENCHMARKS.md"
  cp "$work/BENCHMARKS.md" "$out_md"
}
if [ -n "${BENCH_REPORT_ONLY:-}" ]; then
  rm -rf "$work"
  work=$BENCH_REPORT_ONLY
  trap - EXIT
  assemble
  log "wrote $out_md from $work"
  exit 0
fi

[ -x "$ferry" ] || { echo "build/ferry missing: run make build" >&2; exit 1; }
command -v wrk > /dev/null || { echo "wrk missing" >&2; exit 1; }

# Free ports, all chosen at once so they differ.
read -r up_port px_port node_port ferry_port st_port <<< "$(free_ports 5)"

wait_http() {  # $1 = url; waits up to 5 s for any HTTP answer
  for _ in $(seq 100); do curl -s -o /dev/null -m 1 "$1" && return 0; sleep 0.05; done
  echo "no answer from $1" >&2; return 1
}

# ---- machine -------------------------------------------------------------------------------
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
mem_gib=$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)
os_name=$(. /etc/os-release && echo "$PRETTY_NAME")
node -e 'console.log(JSON.stringify({cores: +process.argv[1], cpu: process.argv[2], mem_gib: +process.argv[3],
  os: process.argv[4], kernel: process.argv[5], wrk: process.argv[6], nginx: process.argv[7],
  node: process.version, ferry: process.argv[8], date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
  secs: +process.argv[9], runs: +process.argv[10], conns: +process.argv[11]}))' \
  "$(nproc)" "$cpu_model" "$mem_gib" "$os_name" "$(uname -r)" "$(wrk -v 2>&1 | head -1 | awk '{print $2}')" \
  "$(/usr/sbin/nginx -v 2>&1 | sed 's#.*/##')" "$("$ferry" version 2>/dev/null | head -1)" \
  "$secs" "$runs" "$conns" > "$work/machine.json"
log "machine: $(nproc) cores, $cpu_model; ${runs} runs x ${secs}s per case, $conns connections"

# ---- payloads ------------------------------------------------------------------------------
node bench/make_payloads.mjs "$work/payloads" > /dev/null

# ---- servers -------------------------------------------------------------------------------
upstream_nginx_conf "$work/up" "$up_port"
proxy_nginx_conf "$work/px" "$px_port" "$up_port"
tunnel_config "$work/ferry.yml" "$ferry_port" "$work/ferry-data" "$up_port" direct
cat > "$work/ferry-store.yml" <<YML
server: { listen: "127.0.0.1:$st_port" }
data_dir: "$work/store-data"
log: { level: warn }
YML

/usr/sbin/nginx -c "$work/up/nginx.conf" & pids+=($!)
/usr/sbin/nginx -c "$work/px/nginx.conf" & pids+=($!)
node bench/node_tunnel.mjs "$node_port" "http://127.0.0.1:$up_port" \
  "https://old1@sentry.example.com/4" "https://new1@sentry.example.com/2" > "$work/node.out" 2>&1 &
node_pid=$!; pids+=($node_pid)
"$ferry" serve --config "$work/ferry.yml" > "$work/ferry.out" 2> "$work/ferry.err" &
ferry_pid=$!; pids+=($ferry_pid)
wait_http "http://127.0.0.1:$up_port/"
wait_http "http://127.0.0.1:$px_port/"
wait_http "http://127.0.0.1:$node_port/"
wait_http "http://127.0.0.1:$ferry_port/api/relay/healthcheck/ready/"
sleep 1
ferry_idle_kb=$(awk '/VmRSS/ {print $2}' /proc/$ferry_pid/status)
node_idle_kb=$(awk '/VmRSS/ {print $2}' /proc/$node_pid/status)
echo "{\"ferry_idle_rss_kb\":$ferry_idle_kb,\"node_idle_rss_kb\":$node_idle_kb}" > "$work/idle.json"

# Sanity: each target answers 200 to a small envelope (and ferry really forwards).
for t in "$up_port" "$px_port" "$node_port" "$ferry_port"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$work/payloads/small.0" \
    -H 'Content-Type: application/x-sentry-envelope' "http://127.0.0.1:$t/tunnel")
  [ "$code" = 200 ] || { echo "port $t answered $code to a small envelope" >&2; cat "$work/ferry.err" >&2; exit 1; }
done

port_of() { case $1 in upstream) echo "$up_port";; nginx) echo "$px_port";; node) echo "$node_port";; ferry) echo "$ferry_port";; esac; }
pid_of() { case $1 in node) echo "$node_pid";; ferry) echo "$ferry_pid";; *) echo "";; esac; }

# run_wrk TARGET PAYLOAD CONN RUN KIND [RATE]  -> appends one JSON line to results.jsonl
run_wrk() {
  local target=$1 payload=$2 conn=$3 run=$4 kind=$5 rate=${6:-} pid gz=0 close=0 line hwm=null
  pid=$(pid_of "$target")
  [ "$payload" = medium ] && gz=1
  [ "$conn" = close ] && close=1
  [ -n "$pid" ] && echo 5 > "/proc/$pid/clear_refs"   # reset VmHWM to the current RSS
  PAYLOAD="$work/payloads/$payload" GZIP=$gz CONN_CLOSE=$close RATE=$rate CONNS=$conns \
    wrk -t2 -c"$conns" -d"${secs}s" -s bench/lua/tunnel_payload.lua \
    "http://127.0.0.1:$(port_of "$target")" > "$work/wrk.out" 2>&1 || true
  [ -n "$pid" ] && hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  line=$(grep '^BENCH ' "$work/wrk.out" || { cat "$work/wrk.out" >&2; echo "BENCH requests=0"; })
  echo "$line" | node -e '
    const [kind, target, payload, conn, run, rate, hwm] = process.argv.slice(1);
    const o = { kind, target, payload, conn, run: +run, rate: rate ? +rate : null, hwm_kb: hwm === "null" ? null : +hwm };
    for (const kv of require("fs").readFileSync(0, "utf8").trim().split(" ").slice(1)) {
      const [k, v] = kv.split("="); o[k] = +v; }
    console.log(JSON.stringify(o));' "$kind" "$target" "$payload" "$conn" "$run" "$rate" "$hwm" >> "$work/results.jsonl"
  log "$kind $payload/$conn run $run $target: $(echo "$line" | sed -E 's/.*rps=([0-9.]+).*p99_us=([0-9]+).*non2xx=([0-9]+).*/\1 req\/s, p99 \2 us, non-2xx \3/')${rate:+ (rate $rate)}"
}

# ---- throughput: every payload x connection mode, targets interleaved within each run -------
: > "$work/results.jsonl"
for payload in small medium large; do
  for conn in keepalive close; do
    for run in $(seq "$runs"); do
      for target in upstream nginx node ferry; do
        run_wrk "$target" "$payload" "$conn" "$run" peak
      done
    done
  done
done

# ---- latency at half of ferry's peak (small envelope, keep-alive) ----------------------------
half=$(node -e '
const rs = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse)
  .filter(r => r.kind === "peak" && r.target === "ferry" && r.payload === "small" && r.conn === "keepalive")
  .map(r => r.rps).sort((a, b) => a - b);
console.log(Math.round(rs[Math.floor(rs.length / 2)] / 2));' "$work/results.jsonl")
for run in $(seq "$runs"); do
  for target in upstream nginx ferry; do
    run_wrk "$target" small keepalive "$run" half "$half"
  done
done

# ---- stop the load servers; start-up time and idle memory on a quiet machine ---------------
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
pids=()
log "start-up: tunnel config (store off), 5 runs"
node bench/startup_time.mjs "$ferry" "$work/ferry.yml" "$ferry_port" 5 > "$work/startup_tunnel.json"
log "start-up: default config with the store, fresh data dir each time, 5 runs"
node bench/startup_time.mjs "$ferry" "$work/ferry-store.yml" "$st_port" 5 "$work/store-data" \
  > "$work/startup_store.json"

# ---- the older single-run scripts -------------------------------------------------------------
if [ "${BENCH_SKIP_OLD:-0}" != 1 ]; then
  log "bench/ingest_bench.sh 8 32"
  bench/ingest_bench.sh 8 32 > "$work/ingest.txt" 2>&1 || echo "(ingest_bench.sh failed)" >> "$work/ingest.txt"
  log "bench/tunnel_modes_bench.sh 8 32 100000"
  bench/tunnel_modes_bench.sh 8 32 100000 > "$work/modes.txt" 2>&1 || echo "(tunnel_modes_bench.sh failed)" >> "$work/modes.txt"
fi

log "micro-benchmarks"
micro_dir=$(dirname "$ferry")/bench
{ "$micro_dir/protocol_bench" --benchmark_min_time="$micro_time" &&
  "$micro_dir/event_bench" --benchmark_min_time="$micro_time"; } \
  > "$work/micro.txt" 2>/dev/null || echo "(micro-benchmarks failed)" >> "$work/micro.txt"

echo $(( $(date +%s) - t_start )) > "$work/elapsed"
assemble
log "wrote $out_md"
