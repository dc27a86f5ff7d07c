#!/usr/bin/env bash
# Runs every benchmark: google-benchmark timings of the stages, then the side-by-side with the
# Python reference pipeline (needs ../shared/data/bmd-hs; skipped with a message otherwise).
#   bash bench/run_all.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
echo "== feature stages (one thread)"
"$BUILD/features_bench" --benchmark_min_time=0.5
echo
echo "== side by side with the reference's Python pipeline"
/usr/bin/python3 bench/side_by_side.py "$BUILD" 50
echo
echo "== seed preset against the reference's PyTorch code (training, forward, predict), 2 threads"
/usr/bin/python3 bench/seed_side_by_side.py "$BUILD" 2 64
echo
echo "== efficientat preset against the encoder's PyTorch code (one 20 s recording), 1 thread"
/usr/bin/python3 bench/efficientat_side_by_side.py "$BUILD" 20
echo
echo "== whole processes against the reference's Python pipeline: one file, and a folder on all cores"
/usr/bin/python3 bench/batch_side_by_side.py "$BUILD" all 200
for extra in bench/*_load.sh; do
  [ -f "$extra" ] && { echo; echo "== $extra"; bash "$extra" "$BUILD"; }
done
