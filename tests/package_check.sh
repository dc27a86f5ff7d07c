#!/usr/bin/env bash
# The installed C++ package: `cmake --install` into a fresh prefix, then examples/consumer (a
# project of its own: find_package(murmur CONFIG), target murmur::murmur) is configured, built
# and run; its answers must equal `murmur predict` on the same files.
#
#   bash tests/package_check.sh <path-to-murmur-binary>     (ctest runs it from the repo root)
#
# Exits 77 (ctest: skipped) when the build made no libmurmur.so (-DMURMUR_LIBRARY=OFF).
set -euo pipefail
cd "$(dirname "$0")/.."
murmur_bin="$(realpath "${1:?usage: bash tests/package_check.sh <path-to-murmur-binary>}")"
build="$(dirname "$murmur_bin")"
if ! compgen -G "$build/libmurmur.so*" > /dev/null; then
  echo "package_check: no libmurmur.so in $build (configure with -DMURMUR_LIBRARY=ON): skipping"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
# Only the public surface is installed: murmur.h and error.h.
headers=$(cd "$work/prefix/include" && find . -type f | sort | tr '\n' ' ')
[[ "$headers" == "./murmur/error.h ./murmur/murmur.h " ]] || { echo "package_check: installed headers: $headers"; exit 1; }
cmake -S examples/consumer -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release > "$work/configure.log" ||
  { cat "$work/configure.log"; exit 1; }
cmake --build "$work/consumer" > "$work/build.log" || { cat "$work/build.log"; exit 1; }
"$work/prefix/bin/murmur" --version

"$murmur_bin" -q synth -o "$work/data" --patients 20 --duration 10
"$murmur_bin" -q train --data "$work/data" --epochs 2 -o "$work/model" > /dev/null
files=("$work"/data/train/*_002_*.wav)
"$work/consumer/classify" "$work/model/model.pth" "${files[@]}" > "$work/consumer.jsonl"
# The library runs models in LibTorch, as the CLI does with MURMUR_LIBTORCH=1 (without it, `murmur
# predict` runs native models on oneDNN: the same answers within 1e-5, tests/native_engine_test.cpp).
for f in "${files[@]}"; do
  MURMUR_LIBTORCH=1 "$murmur_bin" --json -q predict -m "$work/model/model.pth" "$f" > "$work/cli_$(basename "$f").json"
done
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" - "$work" "${files[@]}" <<'PY'
import json, os, sys
work, files = sys.argv[1], sys.argv[2:]
lines = [json.loads(l) for l in open(os.path.join(work, "consumer.jsonl"))]
assert len(lines) == len(files) + 1, f"{len(lines)} lines for {len(files)} files"
for got, f in zip(lines, files):
    want = json.load(open(os.path.join(work, f"cli_{os.path.basename(f)}.json")))["recordings"][0]
    assert got["probabilities"] == want["probabilities"], (f, got["probabilities"], want["probabilities"])
    assert got["class"] == want["class"]
print(f"package_check: the consumer's {len(files)} answers equal murmur predict's; patient: {lines[-1]['class']}")
PY
