#!/usr/bin/env bash
# Installs what is missing, builds lossfn's tests and examples, runs them all.
# With SANITIZERS=1, then the sanitizer stages (issue 6; about 20 more minutes
# on 2 cores, so not in the default run that CI makes):
#   - the Catch2 suite under ASan+UBSan (preset asan; the consumer,
#     compile-fail, header and configuration tests only compile things and
#     are not repeated there),
#   - the thread-safety test under ThreadSanitizer (preset tsan),
#   - a smoke pass of the fuzz targets over their committed corpus.
#   bash scripts/test.sh          (fresh Debian 12, as root)
# Build directory: build/test (BUILD_DIR overrides); parallelism: JOBS (nproc).
#   SANITIZERS=1 bash scripts/test.sh   adds the three sanitizer stages.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/install-deps.sh" clang-14 libclang-rt-14-dev pkg-config

build="${BUILD_DIR:-$root/build/test}"
jobs="${JOBS:-$(nproc)}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLOSSFN_BUILD_BENCHMARKS=OFF
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs"

if [ "${SANITIZERS:-0}" != 0 ]; then
  cd "$root"
  echo "== ASan + UBSan"
  cmake --preset asan
  cmake --build --preset asan -j "$jobs"
  ctest --preset asan -j "$jobs"
  echo "== ThreadSanitizer"
  cmake --preset tsan
  cmake --build --preset tsan -j "$jobs"
  ctest --preset tsan
  echo "== fuzz smoke"
  bash "$root/scripts/fuzz.sh" smoke
fi
