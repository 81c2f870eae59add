#!/usr/bin/env bash
# What the memory return costs: ferry as built (glibc malloc with fixed mmap/trim thresholds
# and a trim after bursts) against the same binary on Debian's jemalloc (LD_PRELOAD, its
# default decay), side by side in one run of bench/compare_tunnel.sh, for each payload.
#   bench/compare_allocators.sh [ROUNDS] [SECONDS]
# "before" in the output is jemalloc, "after" is ferry as built.
set -euo pipefail
cd "$(dirname "$0")/.."
jemalloc=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
[ -f "$jemalloc" ] || { echo "install libjemalloc2 first" >&2; exit 1; }
rounds=${1:-3}; secs=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '#!/bin/sh\nLD_PRELOAD=%s exec %s "$@"\n' "$jemalloc" "$(realpath build/ferry)" > "$work/ferry-jemalloc"
chmod +x "$work/ferry-jemalloc"
for payload in small medium large; do
  echo "== $payload"
  bench/compare_tunnel.sh "$work/ferry-jemalloc" build/ferry "$rounds" "$secs" 32 "$payload" | tail -4
done
