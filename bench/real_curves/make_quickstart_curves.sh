#!/usr/bin/env bash
# Real RL curves for the fit benchmark (bench/run_real_curve_bench.sh, docs/curve_fit.md): the quickstart's
# recipe run longer than usual (600 steps, a validation every 20) under several seeds and learning rates.
# Each run's validation lines go to bench/real_curves/quickstart_<variant>.metrics.jsonl; the files committed
# there were made by this script on a 2-core machine (2026-11-30).
#   bash bench/real_curves/make_quickstart_curves.sh [VARIANT ...]   # default: all of them
# A variant is <lr>_s<seed>, e.g. 1e-4_s3. Needs the quickstart's models (bash scripts/quickstart.sh once).
set -euo pipefail
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
[ -f runs/quickstart-model/policy/config.json ] || { echo "run bash scripts/quickstart.sh first" >&2; exit 2; }
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(1e-4_s1 1e-4_s2 1e-4_s3 1e-4_s4 5e-5_s1 5e-5_s2 2e-4_s1 2e-4_s2)
for v in "${variants[@]}"; do
  lr=${v%_s*}
  seed=${v#*_s}
  name=curve_quickstart_$v
  recipe=runs/$name.yaml
  sed -e "s/^name: quickstart$/name: $name/" -e "s/^seed: 1$/seed: $seed/" -e "s/^  lr: 1.0e-4$/  lr: $lr/" \
    -e "s/^  steps: 150$/  steps: 600/" -e "s/every: 15, samples: 4/every: 20, samples: 4/" \
    -e "s/checkpoint: {every: 25, keep: 2}/checkpoint: {every: 200, keep: 1}/" recipes/quickstart.yaml >"$recipe"
  for key in "name: $name" "seed: $seed" "lr: $lr" "steps: 600" "every: 20"; do
    grep -q "$key" "$recipe" || { echo "make_quickstart_curves.sh: the recipe edit '$key' did not apply" >&2; exit 1; }
  done
  ./build/cli/ascent train "$recipe" --fresh --no-progress
  # The validation lines only, with val/samples = 200 prompts x 4 samples (bench/real_curves/slim.py).
  python3 bench/real_curves/slim.py "runs/$name/metrics.jsonl" "bench/real_curves/quickstart_$v.metrics.jsonl" \
    --samples 800
done
