#!/usr/bin/env bash
# Installs what is missing, builds lossfn's tests and examples, runs them all.
#   bash scripts/test.sh          (fresh Debian 12, as root)
# Build directory: build/test (BUILD_DIR overrides); parallelism: JOBS (nproc).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/install-deps.sh"

build="${BUILD_DIR:-$root/build/test}"
jobs="${JOBS:-$(nproc)}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLOSSFN_BUILD_BENCHMARKS=OFF
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs"
