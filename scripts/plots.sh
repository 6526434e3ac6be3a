#!/usr/bin/env bash
# Redraws docs/img/*.svg: builds and runs examples/plot_losses, which evaluates
# every loss and its first and second derivatives through lossfn and writes the
# data and a gnuplot script, then runs gnuplot (Debian: gnuplot-nox) on it.
#   bash scripts/plots.sh            build dir: build/plots (BUILD_DIR overrides)
# Without gnuplot the data are still written, and the command to draw them is printed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build/plots}"
data="$build/plot-data"

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLOSSFN_BUILD_TESTS=OFF \
  -DLOSSFN_BUILD_BENCHMARKS=OFF -DLOSSFN_BUILD_EXAMPLES=ON >/dev/null
cmake --build "$build" --target plot_losses -j 2 >/dev/null
mkdir -p "$data" "$root/docs/img"
"$build/examples/plot_losses" "$data"

if command -v gnuplot >/dev/null 2>&1; then
  gnuplot -e "outdir='$root/docs/img'" "$data/plots.gp"
  echo "drew: $(cd "$root" && ls docs/img/*.svg | tr '\n' ' ')"
else
  echo "gnuplot is not installed; the data are in $data/*.dat (columns: x, loss, first and"
  echo "second derivative; one block per curve). To draw the images:"
  echo "  apt-get install gnuplot-nox && gnuplot -e \"outdir='$root/docs/img'\" $data/plots.gp"
fi
