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
# The binaries: in smoke mode two per target, float only and double only
# (FUZZ_SCALARS, tests/fuzz/fuzz_support.hpp), built JOBS (nproc) at a time —
# each half builds in about half the time and memory of a whole target
# (clang++-14 -O0 with ASan, one TU: 4.5 minutes and 14 GB); fuzzing builds
# one binary per target, both types.
scalars=(3)
if [ "$mode" = smoke ]; then scalars=(1 2); fi
suffix() { case "$1" in 1) echo -float ;; 2) echo -double ;; *) echo ;; esac; }
stale() {  # exe src
  [ ! -x "$1" ] || [ "$2" -nt "$1" ] || [ "$root/tests/fuzz/fuzz_support.hpp" -nt "$1" ] ||
    [ -n "$(find "$root/include" -newer "$1" -name '*.hpp' -print -quit)" ]
}
build_one() {  # exe src scalars
  if ((libfuzzer)); then
    "$cxx" "${common[@]}" -DFUZZ_SCALARS="$3" -fsanitize=fuzzer,address,undefined "$2" -o "$1"
  else
    g++ "${common[@]}" -DFUZZ_SCALARS="$3" -fsanitize=address,undefined -DLOSSFN_FUZZ_REPLAY "$2" -o "$1"
  fi
}
jobs_max="${JOBS:-$(nproc)}"
running=0
failed=0
for src in "${sources[@]}"; do
  for k in "${scalars[@]}"; do
    exe="$build/$(basename "$src" .cpp)$(suffix "$k")"
    if stale "$exe" "$src"; then
      echo "building $(basename "$exe")"
      build_one "$exe" "$src" "$k" &
      running=$((running + 1))
      if ((running >= jobs_max)); then
        wait -n || failed=1
        running=$((running - 1))
      fi
    fi
  done
done
while ((running > 0)); do
  wait -n || failed=1
  running=$((running - 1))
done
if ((failed)); then echo "fuzz.sh: a build failed" >&2; exit 1; fi

for src in "${sources[@]}"; do
  target="$(basename "$src" .cpp)"
  corpus="$root/tests/fuzz/corpus/$target"
  for k in "${scalars[@]}"; do
    exe="$build/$target$(suffix "$k")"
    if [ "$mode" = smoke ]; then
      echo "smoke: $(basename "$exe") over $corpus"
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
done
