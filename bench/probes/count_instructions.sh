#!/usr/bin/env bash
# Instructions per element of each mode of probe_instructions, counted by
# callgrind: two runs of 1 and 3 calls, the difference is two calls without
# the setup. Usage: bash bench/probes/count_instructions.sh [BUILD_DIR] [N C]
# (BUILD_DIR holds bench/probes/probe_instructions; default build/probes).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$root/build/probes}"
N="${2:-65536}"; C="${3:-10}"
if [ ! -x "$build/bench/probes/probe_instructions" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLOSSFN_BUILD_TESTS=OFF \
    -DLOSSFN_BUILD_EXAMPLES=OFF -DLOSSFN_BUILD_BENCHMARKS=OFF -DLOSSFN_BUILD_PROBES=ON >/dev/null
  cmake --build "$build" --target probe_instructions
fi
command -v valgrind >/dev/null || { echo "needs valgrind (Debian: valgrind)"; exit 1; }
tmp="$(mktemp -d)"
for m in 0 1 2 3 4 5; do
  for k in 1 3; do
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$m.$k" \
      "$build/bench/probes/probe_instructions" "$N" "$C" "$m" "$k" >/dev/null 2>&1
  done
  a=$(awk '/^summary/ {print $2}' "$tmp/cg.$m.1"); b=$(awk '/^summary/ {print $2}' "$tmp/cg.$m.3")
  awk -v m="$m" -v a="$a" -v b="$b" -v n="$((N * C))" \
    'BEGIN {printf "mode %d: %.2f instructions per element\n", m, (b - a) / 2 / n}'
done
rm -rf "$tmp"
