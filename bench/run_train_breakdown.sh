#!/usr/bin/env bash
# Step-time breakdown of ascent train (bench/train_breakdown.py): the quickstart (its models are made as
# scripts/quickstart.sh makes them), and with SHAPE=0.5b a Qwen2.5-0.5B-shaped random model for a few steps.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/build.sh ascent
ascent=./build/cli/ascent
models=runs/quickstart-model
[ -f "$models/base/config.json" ] || "$ascent" init-model --out "$models/base" --arch qwen3 --preset tiny --seed 1
[ -f "$models/reward/config.json" ] ||
  "$ascent" init-model --out "$models/reward" --arch qwen3 --preset tiny --seed 2 --num-labels 1
[ -f "$models/policy/config.json" ] ||
  "$ascent" sft --recipe recipes/quickstart.yaml --init "$models/base" --steps 800 --batch 64 --lr 2e-3
if [[ ${SHAPE:-tiny} == 0.5b ]]; then
  [ -f runs/bench-0.5b/config.json ] ||
    "$ascent" init-model --out runs/bench-0.5b --arch qwen2 --preset 0.5b --seed 1
  python3 bench/train_breakdown.py "$ascent" bench/recipe_0.5b.yaml --steps "${STEPS:-3}" --name bench05b
else
  python3 bench/train_breakdown.py "$ascent" recipes/quickstart.yaml --steps "${STEPS:-40}" --name quickstart
fi
