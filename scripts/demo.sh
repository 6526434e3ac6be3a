#!/usr/bin/env bash
# Installs what is missing, builds the examples and runs the demonstration.
#   bash scripts/demo.sh          (fresh Debian 12, as root)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/install-deps.sh"

build="${BUILD_DIR:-$root/build/demo}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DLOSSFN_BUILD_TESTS=OFF -DLOSSFN_BUILD_BENCHMARKS=OFF -DLOSSFN_BUILD_EXAMPLES=ON >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null

run() {
  echo
  echo "=================================================================="
  echo "== $1"
  echo "=================================================================="
  "$build/examples/$1" "${@:2}"
}
run quickstart
for example in robust_regression imbalanced_classification svm_vs_logistic model_selection; do
  if [ -x "$build/examples/$example" ]; then run "$example"; fi
done
echo
echo "Read more: README.md (the losses and how to consume lossfn), docs/ (one page per"
echo "loss family, with plots, and docs/choosing-a-loss.md), examples/ (these programs)."
