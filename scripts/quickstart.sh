#!/usr/bin/env bash
# The README's main-job command: installs what is missing, builds `ascent`, and runs the quickstart
# (recipes/quickstart.yaml): a tiny random Qwen3-shaped policy is taught the task's format by `ascent sft`
# (800 steps), a tiny reward model is initialised for HERO, then `ascent train` runs RL with one actor and one
# learner on this machine and prints the held-out pass rate before and after, and the live sigmoid fit.
# Models are kept under runs/quickstart-model/ and reused by later runs; the run itself starts afresh.
#
# The same numbers on every machine: OpenBLAS picks its kernels by CPU (AVX-512 ones where it can), and the
# SFT's sums depend on its thread count, so the SFT-made starting policy used to differ between machines
# (held-out 0.540 here, 0.475 elsewhere). Pinning OpenBLAS to its Haswell kernels (AVX2/FMA, which every
# x86-64-v3 CPU runs, as our own build requires) and the SFT to 2 threads makes that policy the same bytes
# on any such machine with the same OpenBLAS; RL's own processes use 1 thread each (run.*_threads).
set -euo pipefail
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
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
sft_args=(--steps 800 --batch 64 --lr 2e-3 --threads 2)
stamp="sft ${sft_args[*]} OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE"
if [ "$(cat "$models/policy.made-by" 2>/dev/null)" != "$stamp" ]; then  # made before the pins, or by hand
  rm -rf "$models/policy"
  "$ascent" sft --recipe recipes/quickstart.yaml --init "$models/base" "${sft_args[@]}" --out "$models/policy"
  echo "$stamp" >"$models/policy.made-by"
fi
"$ascent" train recipes/quickstart.yaml --fresh
echo "quickstart: models and RL in $(($(date +%s) - start)) s; metrics in runs/quickstart/metrics.jsonl," \
  "TensorBoard: tensorboard --logdir runs/quickstart"
