#!/usr/bin/env bash
# The main job on the built-in data, from a fresh machine: sets up (software GPU driver when there is no GPU,
# npm dependencies, build), generates a synthetic chest X-ray data set, trains CNN-X on it, evaluates it and writes
# class activation maps with an HTML report. Outputs go to runs/demo/.
# Sizes are kept small so it finishes in minutes on a 2-core machine with the software GPU: DEMO_SIZE (image
# side, default 112), DEMO_PER_CLASS (images per class, default 150) and DEMO_EPOCHS (default 8) change them.
set -euo pipefail
cd "$(dirname "$0")/.."
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
SIZE="${DEMO_SIZE:-112}"
PER_CLASS="${DEMO_PER_CLASS:-150}"
EPOCHS="${DEMO_EPOCHS:-8}"
OUT=runs/demo
# Each stage's wall and CPU time (CPU includes the software GPU's threads), so a slow machine shows where it goes.
TIMEFORMAT='  (%0R s wall, %0U s user + %0S s system CPU)'

if ! command -v nvidia-smi >/dev/null 2>&1 && [ "$(uname)" = Linux ]; then
  bash scripts/install-software-gpu.sh
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build --silent

node bin/cnnx.js info | head -2
# A rerun starts over: the generator writes only into an empty folder.
rm -rf "$OUT"
time node bin/cnnx.js data synth --out "$OUT/data" --per-class "$PER_CLASS" --size "$SIZE" --seed 1
time node bin/cnnx.js train --model cnnx --data "$OUT/data" --input-size "$SIZE" --epochs "$EPOCHS" --seed 1 \
  --out "$OUT/cnnx.safetensors" --run-dir "$OUT/run"
time node bin/cnnx.js eval --model cnnx --weights "$OUT/cnnx.safetensors" --data "$OUT/data"
time node bin/cnnx.js cam --model cnnx --weights "$OUT/cnnx.safetensors" --masks "$OUT/data/masks" \
  --report --out "$OUT/cam" "$OUT/data/test"
echo "report: $OUT/cam/report.html"
echo "run folder: $OUT/run (config.json, metrics.jsonl, curves.svg, eval.json)"
