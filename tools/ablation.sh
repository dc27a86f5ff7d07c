#!/usr/bin/env bash
# The native preset's ablation runs (docs/RESULTS.md, section 3): 5-fold cross-validation on the
# development folds (--seed 100, never the headline seeds 0-2), each ingredient removed in turn.
# Every run is resumable (re-run the script); finished runs only rebuild their report.
#   bash tools/ablation.sh [BUILD_DIR] [DATA_DIR] [THREADS] [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
DATA=${2:-../shared/data/bmd-hs}
THREADS=${3:-1}
shift $(( $# < 3 ? $# : 3 ))
declare -A SETS=(
  [base]=""
  [no-time-reverse]="native.time_reverse=false"
  [no-specaugment]="native.freq_masks=0 native.time_masks=0"
  [one-crop]="native.crops_per_epoch=1"
  [no-standardize]="native.standardize=false"
  [max-db-axis]="log_mel.ref=max"
  [no-md]="native.md_training=false"
  [width-8]="net.width=8"
)
NAMES=("$@")
[ ${#NAMES[@]} -eq 0 ] && NAMES=(base no-time-reverse no-specaugment one-crop no-standardize max-db-axis no-md)
for name in "${NAMES[@]}"; do
  [ -n "${SETS[$name]+x}" ] || { echo "ablation.sh: unknown ablation '$name' (known: ${!SETS[*]})" >&2; exit 2; }
  args=()
  for s in ${SETS[$name]}; do args+=(--set "$s"); done
  echo "== $name: ${SETS[$name]:-(the preset as shipped)}"
  /usr/bin/time -f "$name wall %e s, peak RSS %M kB" \
    "$BUILD/murmur" --threads "$THREADS" cv --preset native --data "$DATA" --seed 100 --bootstrap 200 \
    "${args[@]}" -o "runs/abl-$name"
done
