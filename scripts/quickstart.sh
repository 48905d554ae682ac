#!/usr/bin/env bash
# The README's main-job command: installs what is missing, builds, and runs the quickstart.
# Until the RL pipeline lands, the quickstart initialises a tiny Qwen3-family model and samples from it with
# the KV-cache engine (ascent generate).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install_deps.sh
bash scripts/build.sh
./build/cli/ascent init-model --out runs/quickstart/model --arch qwen3 --preset tiny --seed 0
./build/cli/ascent generate --model runs/quickstart/model --prompt "What is 2+3? " --batch 4 --max-tokens 48 \
  --temperature 1.0 --top-p 0.95 --seed 0
