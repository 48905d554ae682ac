#!/usr/bin/env bash
# A real-model curve for the fit benchmark (docs/curve_fit.md): recipes/smollm2_addition.yaml (SmolLM2-135M-
# Instruct learning two-digit additions, docs/real_model.md) for 48 steps with a validation every 3 (17
# validations of mean@2 over 100 held-out prompts, as the run in issue 22's text), seed SEED (default 1).
# Writes bench/real_curves/smollm2_addition_long_s<SEED>.metrics.jsonl (the validation lines). ~25 minutes on
# a 2-core machine. Needs the imported model (bash scripts/smollm2_rl.sh addition once, or `ascent import gguf`).
set -euo pipefail
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
seed=${1:-1}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
[ -f runs/smollm2-model/config.json ] || { echo "run bash scripts/smollm2_rl.sh addition first" >&2; exit 2; }
name=curve_smollm2_addition_long_s$seed
recipe=runs/$name.yaml
sed -e "s/^name: smollm2_addition$/name: $name/" -e "s/^seed: 1$/seed: $seed/" -e "s/^  steps: 40$/  steps: 48/" \
  -e "s/validation: {every: 5, samples: 2/validation: {every: 3, samples: 2/" recipes/smollm2_addition.yaml >"$recipe"
for key in "name: $name" "seed: $seed" "steps: 48" "every: 3, samples: 2"; do
  grep -q "$key" "$recipe" || { echo "make_smollm2_addition_curve.sh: the recipe edit '$key' did not apply" >&2; exit 1; }
done
./build/cli/ascent train "$recipe" --fresh --no-progress
python3 bench/real_curves/slim.py "runs/$name/metrics.jsonl" "bench/real_curves/smollm2_addition_long_s$seed.metrics.jsonl"
