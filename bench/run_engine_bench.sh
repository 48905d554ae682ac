#!/usr/bin/env bash
# Runs bench/engine_vs_pytorch.py in the reference virtualenv (torch + transformers from PyPI).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${ASCENT_REF_VENV:-$root/.venv-ref}
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q torch transformers safetensors numpy
fi
bash "$root/scripts/build.sh"
"$venv/bin/python" "$root/bench/engine_vs_pytorch.py" "$@"
