#!/usr/bin/env bash
# The README's main-job command: installs what is missing, builds `ascent`, and runs the quickstart
# (recipes/quickstart.yaml): a tiny random Qwen3-shaped policy is taught the task's format by `ascent sft`
# (800 steps), a tiny reward model is initialised for HERO, then `ascent train` runs RL with one actor and one
# learner on this machine and prints the held-out pass rate before and after, and the live sigmoid fit.
# Models are kept under runs/quickstart-model/ and reused by later runs; the run itself starts afresh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install_deps.sh
bash scripts/build.sh ascent
ascent=./build/cli/ascent
models=runs/quickstart-model
start=$(date +%s)
[ -f "$models/base/config.json" ] ||
  "$ascent" init-model --out "$models/base" --arch qwen3 --preset tiny --seed 1
[ -f "$models/reward/config.json" ] ||
  "$ascent" init-model --out "$models/reward" --arch qwen3 --preset tiny --seed 2 --num-labels 1
[ -f "$models/policy/config.json" ] ||
  "$ascent" sft --recipe recipes/quickstart.yaml --init "$models/base" --steps 800 --batch 64 --lr 2e-3
"$ascent" train recipes/quickstart.yaml --fresh
echo "quickstart: models and RL in $(($(date +%s) - start)) s; metrics in runs/quickstart/metrics.jsonl," \
  "TensorBoard: tensorboard --logdir runs/quickstart"
