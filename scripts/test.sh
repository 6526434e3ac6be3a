#!/usr/bin/env bash
# Installs what is missing, builds lossfn's tests and examples, runs them all:
#   - the Catch2 suite under ASan+UBSan (any report fatal) with Eigen's
#     assertions, built for this CPU (-march=native, when it runs here), so
#     that the widest SIMD paths are the ones tested;
#   - the threads test (OpenMP), the examples, the header, compile-fail,
#     consumer (find_package, add_subdirectory, FetchContent) and
#     configuration tests;
#   - the thread-safety test under ThreadSanitizer (preset tsan);
#   - a smoke pass of the fuzz targets over their committed corpus.
#   bash scripts/test.sh          (fresh Debian 12, as root)
# Build directory: build/test (BUILD_DIR overrides); parallelism: JOBS (nproc).
# SANITIZERS=0 skips the sanitizers: a plain -O1 suite, no TSan, no fuzz pass.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/install-deps.sh" clang-14 libclang-rt-14-dev pkg-config

build="${BUILD_DIR:-$root/build/test}"
jobs="${JOBS:-$(nproc)}"
sanitize=ON
if [ "${SANITIZERS:-1}" = 0 ]; then sanitize=OFF; fi
SECONDS=0
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLOSSFN_BUILD_BENCHMARKS=OFF \
  -DLOSSFN_TEST_SANITIZE=$sanitize -DLOSSFN_TEST_NATIVE=$sanitize
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs"
echo "== suite, examples, consumers, configurations: ${SECONDS} s"

if [ "$sanitize" = ON ]; then
  cd "$root"
  echo "== ThreadSanitizer: concurrent const calls"
  cmake --preset tsan >/dev/null
  cmake --build --preset tsan -j "$jobs"
  ctest --preset tsan
  echo "== fuzz smoke"
  bash "$root/scripts/fuzz.sh" smoke
  echo "== all stages: ${SECONDS} s"
fi
