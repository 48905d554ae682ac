#!/usr/bin/env bash
# Runs bench/engine_vs_pytorch.py in the reference virtualenv (torch + transformers from PyPI).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=$(bash "$root/bench/ref_venv.sh" torch torch transformers safetensors numpy)
bash "$root/scripts/build.sh"
"$python" "$root/bench/engine_vs_pytorch.py" "$@"
