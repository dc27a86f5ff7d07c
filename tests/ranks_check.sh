#!/usr/bin/env bash
# murmur cv as two ranks on loopback (data-parallel over c10d, docs/cluster.md): rank 0 writes a
# complete run folder (the same files a one-process cv writes) and the report; rank 1 prints
# nothing and leaves no scratch behind; a run resumed with different folds already done (here
# fold 0, run first on its own) takes rank 0's view of what is done, on both ranks.
#
#   bash tests/ranks_check.sh <path-to-murmur-binary>     (ctest runs it from the repo root)
set -euo pipefail
murmur_bin="$(realpath "${1:?usage: bash tests/ranks_check.sh <path-to-murmur-binary>}")"
work=$(mktemp -d)
export TMPDIR="$work/tmp"  # where rank 1's scratch goes: must be empty at the end
mkdir -p "$TMPDIR"
trap 'rm -rf "$work"' EXIT
fail() { echo "ranks_check: $1" >&2; exit 1; }

"$murmur_bin" -q synth -o "$work/data" --patients 12 --duration 8 --seed 5
cv_args="--preset native --folds 2 --epochs 2 --bootstrap 50 --no-shifts --no-explain"
port=$((30000 + $$ % 20000))
two_ranks() {  # two_ranks RUN_DIR [extra cv args]: ranks 0 and 1; rank 0's stdout to RUN_DIR.out
  local run=$1; shift
  # shellcheck disable=SC2086
  WORLD_SIZE=2 RANK=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
    "$murmur_bin" -q --threads 1 cv $cv_args --data "$work/data" -o "$run" "$@" > "$run.rank1.out" 2>&1 &
  local other=$!
  # shellcheck disable=SC2086
  WORLD_SIZE=2 RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
    "$murmur_bin" -q --threads 1 cv $cv_args --data "$work/data" -o "$run" "$@" > "$run.out"
  wait "$other" || fail "rank 1 failed: $(cat "$run.rank1.out")"
  port=$((port + 1))
}

# shellcheck disable=SC2086
"$murmur_bin" -q --threads 2 cv $cv_args --data "$work/data" -o "$work/one" > /dev/null
two_ranks "$work/two"
[ -s "$work/two/report.json" ] || fail "two ranks wrote no report"
[ ! -s "$work/two.rank1.out" ] || fail "rank 1 printed: $(cat "$work/two.rank1.out")"
grep -q "report:" "$work/two.out" || fail "rank 0 printed no summary"
one_files=$(cd "$work/one" && find . -type f | sort)
two_files=$(cd "$work/two" && find . -type f | sort)
[ "$one_files" = "$two_files" ] || fail "files differ from a one-process run: $(diff <(echo "$one_files") <(echo "$two_files"))"
[ -z "$(ls -A "$TMPDIR")" ] || fail "scratch left behind: $(ls -A "$TMPDIR")"

# Fold 0 alone, then the whole run: both ranks skip fold 0 and train fold 1 together.
two_ranks "$work/resumed" --fold 0
[ ! -e "$work/resumed/repeat0/fold1/done.json" ] || fail "--fold 0 trained fold 1"
two_ranks "$work/resumed"
[ -s "$work/resumed/report.json" ] || fail "the resumed run wrote no report"
cmp -s "$work/resumed/oof_predictions.csv" "$work/two/oof_predictions.csv" ||
  fail "a run made in two parts predicts differently from one made at once"
echo "ranks_check: two ranks wrote the run folder one process writes, and resumed as rank 0 saw it"
