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

# A short tour: each program takes a second or two and ends with checks of its claim.
run() {
  echo
  echo "=================================================================="
  echo "== $1: $2"
  echo "=================================================================="
  "$build/examples/$1" "${@:3}"
}
run quickstart "logistic regression trained with the fused value_and_gradient"
tour=(
  "robust_regression|MSE vs MAE vs Huber vs log-cosh when 15% of the targets are outliers"
  "imbalanced_classification|cross-entropy vs class-weighted vs focal loss at 1:50"
  "svm_vs_logistic|hinge and squared hinge (linear SVM) vs logistic regression"
  "model_selection|choosing between trained models by several held-out losses"
  "ctc_sequence|CTC: a frame classifier learns to read symbol sequences of varying duration"
  "xgboost_objectives|lossfn objectives inside XGBoost, beside its built-in ones (with libxgboost-dev)"
)
for entry in "${tour[@]}"; do
  example="${entry%%|*}"
  if [ -x "$build/examples/$example" ]; then run "$example" "${entry#*|}"; fi
done
echo
echo "=================================================================="
echo "Read more:"
echo "  docs/choosing-a-loss.md   which loss for which task and data (decision table)"
echo "  docs/README.md            one page per loss family: formulas, derivatives, edge cases, plots"
echo "  docs/api.md               entry points, weights, Hessians, shards, traits, errors"
echo "  examples/                 these programs; each also takes your own CSV file"
