#!/usr/bin/env bash
# Installs what is missing, builds lossfn's tests and examples, runs them all:
#   - the Catch2 suite under ASan+UBSan (any report fatal) with Eigen's
#     assertions, built with clang++-14 at -O0 for this CPU (-march=native,
#     when it runs here), so that the widest SIMD paths are the ones tested;
#   - with g++: the threads test (OpenMP), the examples (the MPI one under
#     mpirun on 1, 2 and 3 processes; lossfn objectives inside XGBoost
#     against its built-in ones), the header, compile-fail, consumer
#     (find_package, add_subdirectory, FetchContent) and configuration tests
#     (g++ and clang++, C++17 and C++20);
#   - the thread-safety test under ThreadSanitizer (preset tsan);
#   - a smoke pass of the fuzz targets over their committed corpus;
#   - first of all, clang-format-14 --dry-run --Werror over the sources.
#   bash scripts/test.sh          (fresh Debian 12, as root)
# Build directories: build/test-asan and build/test (BUILD_DIR overrides the
# second; the first is its name + "-asan"); parallelism: JOBS (nproc).
# SANITIZERS=0 skips the sanitizers: the suite built with g++ -O1 in
# build/test with everything else, no TSan, no fuzz pass.
#
# Why two compilers: the suite instantiates every loss over every layout in
# two precisions, and ASan+UBSan make that build slow; clang++-14 builds it
# at -O0 in a quarter of g++ 12's time at -O1 (5 minutes against 20+ on two
# cores), which keeps CI well inside its limit. g++ builds everything else.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/install-deps.sh" clang-14 libclang-rt-14-dev pkg-config clang-format-14 \
  libopenmpi-dev openmpi-bin libxgboost-dev

# Formatting first: it takes seconds and fails fast.
echo "== clang-format-14 --dry-run --Werror (include, tests, examples, bench)"
(cd "$root" && find include tests examples bench \( -name '*.hpp' -o -name '*.cpp' \) ! -name catch.hpp \
  -print0 | xargs -0 clang-format-14 --dry-run --Werror)

build="${BUILD_DIR:-$root/build/test}"
jobs="${JOBS:-$(nproc)}"
SECONDS=0
if [ "${SANITIZERS:-1}" = 0 ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLOSSFN_BUILD_BENCHMARKS=OFF
  cmake --build "$build" -j "$jobs"
  ctest --test-dir "$build" --output-on-failure -j "$jobs"
  echo "== suite, examples, consumers, configurations: ${SECONDS} s"
  exit 0
fi

echo "== the suite under ASan+UBSan (clang++-14, -O0, -march=native)"
cmake -S "$root" -B "$build-asan" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Release \
  -DLOSSFN_BUILD_BENCHMARKS=OFF -DLOSSFN_BUILD_EXAMPLES=OFF \
  -DLOSSFN_TEST_SANITIZE=ON -DLOSSFN_TEST_NATIVE=ON
cmake --build "$build-asan" -j "$jobs" --target lossfn_tests
ctest --test-dir "$build-asan" --output-on-failure -R '^lossfn_tests$'
echo "== suite: ${SECONDS} s"

echo "== threads, examples, headers, compile-fail, consumers, configurations (g++)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLOSSFN_BUILD_BENCHMARKS=OFF \
  -DLOSSFN_TEST_SUITE=OFF
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs"
echo "== everything else: ${SECONDS} s"

cd "$root"
echo "== ThreadSanitizer: concurrent const calls"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j "$jobs"
ctest --preset tsan
echo "== fuzz smoke"
bash "$root/scripts/fuzz.sh" smoke
echo "== all stages: ${SECONDS} s"
