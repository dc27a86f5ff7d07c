#!/usr/bin/env bash
# Python cross-check of murmur's checkpoints (tools/check_checkpoint.py): torch.load reads them into
# the reference's dict shape and the reference SeedCNN gives murmur's logits within 1e-5.
#
#   bash tests/checkpoint_check.sh <path-to-murmur-binary>     (ctest runs it from the repo root)
#
# By default runs `murmur_tests --gtest_filter=Checkpoint.WriteForPython` (next to the murmur
# binary), which writes a checkpoint, an input tensor and murmur's logits to a temporary folder.
# With MURMUR_CHECKPOINT=<file> set, checks that file instead (keys and strict loading, no logits).
# Exits 77 (ctest: skipped) when /usr/bin/python3 has no torch.
set -euo pipefail

py=/usr/bin/python3
if ! "$py" -c 'import torch' 2>/dev/null; then
  echo "checkpoint_check: $py cannot import torch (Debian python3-torch): skipping"
  exit 77
fi
cd "$(dirname "$0")/.."

if [[ -n "${MURMUR_CHECKPOINT:-}" ]]; then
  exec "$py" tools/check_checkpoint.py "$MURMUR_CHECKPOINT"
fi

murmur_bin="${1:?usage: bash tests/checkpoint_check.sh <path-to-murmur-binary>}"
tests_bin="$(dirname "$murmur_bin")/murmur_tests"
if [[ ! -x "$tests_bin" ]]; then
  echo "checkpoint_check: $tests_bin not found: build the murmur_tests target"
  exit 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
MURMUR_CHECKPOINT_OUT_DIR="$out" "$tests_bin" --gtest_filter=Checkpoint.WriteForPython > "$out/gtest.log" || {
  cat "$out/gtest.log"
  exit 1
}
if [[ ! -f "$out/expected.json" ]]; then
  cat "$out/gtest.log"
  echo "checkpoint_check: Checkpoint.WriteForPython wrote nothing to $out"
  exit 1
fi
"$py" tools/check_checkpoint.py "$out/checkpoint.pth" --expected "$out/expected.json"
