#!/usr/bin/env bash
# `murmur serve` under load from outside, as a user runs it: one `murmur serve` process, a 20 s
# recording POSTed by ApacheBench (`ab` from apache2-utils, keep-alive) at 1, 4, 16 and 64
# concurrent clients. Prints throughput, p50/p99 latency, failures and the mean micro-batch
# (recordings per forward pass) per level.
#   bash bench/serve_load.sh [BUILD_DIR] [MODEL] [REQUESTS_PER_LEVEL] [SERVE FLAGS...]
# Without MODEL it trains a small native model on synthetic data first (same architecture, so the
# same cost per request). The per-client connection limit is raised to the client count: all
# load comes from one address here, as it would through a proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
MODEL=${2:-}
REQUESTS=${3:-2000}
shift $(( $# < 3 ? $# : 3 ))  # the rest: extra `murmur serve` flags (e.g. --workers 2)
MURMUR=$(realpath "$BUILD/murmur")
command -v ab >/dev/null || { echo "serve_load: ab not found (apt-get install apache2-utils); skipped"; exit 0; }
WORK=$(mktemp -d /tmp/murmur_serve_load.XXXXXX)
SERVER=
cleanup() { if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait 2>/dev/null || true; fi; rm -rf "$WORK"; }
trap cleanup EXIT
"$MURMUR" -q synth -o "$WORK/data" --patients 20 >/dev/null
if [ -z "$MODEL" ]; then
  "$MURMUR" -q --threads 1 train --data "$WORK/data" --epochs 2 --cache "$WORK/cache" -o "$WORK/model" >/dev/null
  MODEL=$WORK/model/model.pth
fi
WAVS=("$WORK"/data/train/*.wav)
WAV=${WAVS[0]}
PORT=$(( 20000 + RANDOM % 20000 ))
"$MURMUR" -q --threads 1 serve --model "$MODEL" --port "$PORT" --max-connections 200 \
  --max-connections-per-client 100 "$@" 2>"$WORK/serve.log" &
SERVER=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
echo "model $MODEL; serve flags: ${*:-none}; $(nproc) cores; $REQUESTS requests per level; recording $(basename "$WAV") ($(stat -c %s "$WAV") bytes)"
printf "%-8s %10s %9s %9s %9s %7s %10s\n" clients "req/s" "p50_ms" "p99_ms" "max_ms" failed "mean_batch"
# Recordings and forward passes so far (micro-batching, /healthz "batches").
batches() { curl -sf "http://127.0.0.1:$PORT/healthz" |
            python3 -c 'import json,sys; b=json.load(sys.stdin)["batches"]; print(b["recordings"], b["count"])'; }
ab -q -k -n 50 -c 1 -p "$WAV" -T audio/wav "http://127.0.0.1:$PORT/v1/predict" >/dev/null 2>&1  # warm-up
for c in 1 4 16 64; do
  read -r rec0 pass0 < <(batches)
  out=$(ab -q -k -n "$REQUESTS" -c "$c" -p "$WAV" -T audio/wav "http://127.0.0.1:$PORT/v1/predict" 2>&1)
  rps=$(awk '/^Requests per second/ {print $4}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  max=$(awk '$1 == "100%" {print $2}' <<<"$out")
  # ab counts a body whose length differs from the first one's as failed ("Length"): answers
  # carry elapsed_ms, so only connect, receive and exception failures and non-2xx answers count.
  failed=$(sed -n 's/.*(Connect: \([0-9]*\), Receive: \([0-9]*\), Length: [0-9]*, Exceptions: \([0-9]*\)).*/\1 \2 \3/p' <<<"$out" |
           awk '{print $1 + $2 + $3}')
  non2xx=$(awk '/^Non-2xx responses/ {print $3}' <<<"$out")
  failed=$(( ${failed:-0} + ${non2xx:-0} ))
  read -r rec1 pass1 < <(batches)
  mean_batch=$(awk -v r=$((rec1 - rec0)) -v p=$((pass1 - pass0)) 'BEGIN {printf "%.2f", p ? r / p : 0}')
  printf "%-8s %10s %9s %9s %9s %7s %10s\n" "$c" "$rps" "$p50" "$p99" "$max" "$failed" "$mean_batch"
done
