#!/usr/bin/env bash
# Builds lossfn's fuzz targets (tests/fuzz/fuzz_*.cpp) and runs them.
#   bash scripts/fuzz.sh <seconds>   each target for that many seconds (new
#                                    inputs go to build/fuzz/corpus/<target>;
#                                    crashes to build/fuzz/crash-*)
#   bash scripts/fuzz.sh smoke       each target once over its committed
#                                    corpus (tests/fuzz/corpus/<target>): CI
#   bash scripts/fuzz.sh <mode> fuzz_rowwise ...   only the targets named
# FUZZ_NATIVE=1 builds for this CPU (-march=native, in build/fuzz-native), so
# that the widest SIMD paths (AVX-512 here) are the ones fuzzed.
# With clang++-14 and its libFuzzer runtime: -fsanitize=fuzzer,address,undefined.
# Without: g++ with ASan+UBSan and a main() that replays the corpus (smoke only).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:?usage: fuzz.sh <seconds>|smoke [target...]}"
shift
native=()
if [ "${FUZZ_NATIVE:-0}" = 1 ]; then native=(-march=native); fi
build="${FUZZ_BUILD_DIR:-$root/build/fuzz${native:+-native}}"
mkdir -p "$build"
eigen="$(pkg-config --cflags eigen3 2>/dev/null || echo -isystem /usr/include/eigen3)"
# The smoke pass only replays the corpus: -O0 builds the target in a fraction
# of -O1's time (most of it is optimizing ~250 instantiations); fuzzing uses -O1.
opt=-O1
if [ "$mode" = smoke ]; then opt=-O0; build="$build/smoke"; mkdir -p "$build"; fi
common=(-std=c++17 "$opt" -g -fno-omit-frame-pointer -fno-sanitize-recover=all
        "${native[@]}" -I"$root/include" $eigen)

cxx="$(command -v clang++-14 || command -v clang++ || true)"
libfuzzer=0
if [ -n "$cxx" ] && echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' |
     "$cxx" -x c++ -fsanitize=fuzzer - -o "$build/probe" 2>/dev/null; then
  libfuzzer=1
fi

sources=("$root"/tests/fuzz/fuzz_*.cpp)
if (($#)); then
  sources=()
  for t in "$@"; do
    [ -f "$root/tests/fuzz/$t.cpp" ] || { echo "no fuzz target $t (tests/fuzz/$t.cpp)" >&2; exit 1; }
    sources+=("$root/tests/fuzz/$t.cpp")
  done
fi
for src in "${sources[@]}"; do
  target="$(basename "$src" .cpp)"
  exe="$build/$target"
  if [ ! -x "$exe" ] || [ "$src" -nt "$exe" ] || [ "$root/tests/fuzz/fuzz_support.hpp" -nt "$exe" ] ||
     [ -n "$(find "$root/include" -newer "$exe" -name '*.hpp' -print -quit)" ]; then
    echo "building $target"
    if ((libfuzzer)); then
      "$cxx" "${common[@]}" -fsanitize=fuzzer,address,undefined "$src" -o "$exe"
    else
      g++ "${common[@]}" -fsanitize=address,undefined -DLOSSFN_FUZZ_REPLAY "$src" -o "$exe"
    fi
  fi
  corpus="$root/tests/fuzz/corpus/$target"
  if [ "$mode" = smoke ]; then
    echo "smoke: $target over $corpus"
    if ((libfuzzer)); then
      (cd "$build" && "$exe" -runs=0 "$corpus")
    else
      "$exe" "$corpus"
    fi
  else
    if ((!libfuzzer)); then echo "libFuzzer (clang++-14, libclang-rt-14-dev) is needed to fuzz" >&2; exit 1; fi
    work="$build/corpus/$target"
    mkdir -p "$work"
    echo "fuzzing $target for $mode s"
    (cd "$build" && "$exe" -max_total_time="$mode" -timeout=20 -rss_limit_mb=4096 \
       -print_final_stats=1 "$work" "$corpus")
  fi
done
