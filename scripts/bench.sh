#!/usr/bin/env bash
# Builds lossfn_bench (-O3 -march=native) in build/bench, runs it and prints the
# table of ratios (bench/README.md explains every column).
#
#   bash scripts/bench.sh                 full run: 5 interleaved repetitions (~15 min)
#   bash scripts/bench.sh --quick         smallest sizes, 1 repetition (< 1 min)
#   bash scripts/bench.sh --torch         also install libtorch-dev for its baselines
#   bash scripts/bench.sh --repetitions N --min-time S --filter REGEX
#
# Results: build/bench/results/{lossfn,torch_stock}.json and table.md.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quick=0 torch=0 repetitions=5 min_time=0.1 filter=""
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --torch) torch=1 ;;
    --repetitions) repetitions="$2"; shift ;;
    --min-time) min_time="$2"; shift ;;
    --filter) filter="$2"; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
if ((quick)); then
  repetitions=1 min_time=0.01
  [ -n "$filter" ] || filter='/(1024|1024x10)$'
fi

# libtorch is optional: installed only on request, used whenever present.
packages=(libbenchmark-dev)
((torch)) && packages+=(libtorch-dev)
bash "$root/scripts/install-deps.sh" "${packages[@]}"

build="$root/build/bench"
nice -n 10 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DLOSSFN_BUILD_BENCHMARKS=ON -DLOSSFN_BUILD_TESTS=OFF -DLOSSFN_BUILD_EXAMPLES=OFF >/dev/null
nice -n 10 cmake --build "$build" -j2 --target lossfn_bench
bench="$build/bench/lossfn_bench"
results="$build/results"
mkdir -p "$results"

common=(--benchmark_repetitions="$repetitions"
      --benchmark_enable_random_interleaving=true
      --benchmark_report_aggregates_only=true
      --benchmark_min_time="$min_time"
      --benchmark_format=json)
args=("${common[@]}")
[ -n "$filter" ] && args+=(--benchmark_filter="$filter")

# Fair run: glibc never returns memory to the kernel (no mmap for large blocks,
# no trimming) and the heap starts with 3 GiB already paged in, so temporaries
# — libtorch's above all — reuse touched pages instead of faulting per 4 KiB.
tunables="glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=1099511627776"
echo "running lossfn_bench: ${repetitions} interleaved repetition(s), results in $results" >&2
GLIBC_TUNABLES="$tunables" LOSSFN_BENCH_PRETOUCH_MB=3072 \
  "$bench" "${args[@]}" >"$results/lossfn.json"

# libtorch once more as a stock user gets it: glibc's default allocator.
stock=()
# (listed into a variable: with pipefail, `| grep -q` would fail on SIGPIPE)
torch_benchmarks="$("$bench" --benchmark_list_tests --benchmark_filter='^torch/' 2>/dev/null || true)"
if [ -n "$torch_benchmarks" ]; then
  torch_filter='^torch/'
  [ -n "$filter" ] && torch_filter="^torch/.*${filter#^}"
  echo "running the libtorch baselines again with glibc's default allocator" >&2
  "$bench" "${common[@]}" --benchmark_filter="$torch_filter" \
    >"$results/torch_stock.json"
  stock=(--stock "$results/torch_stock.json")
fi

python3 "$root/bench/report.py" "$results/lossfn.json" "${stock[@]}" | tee "$results/table.md"
