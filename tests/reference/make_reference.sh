#!/usr/bin/env bash
# Regenerates tests/fixtures/ref_*/ from PyTorch + transformers (PyPI) in a virtualenv this script creates.
# The build and the tests never need this: the fixtures are committed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${ASCENT_REF_VENV:-$here/../../.venv-ref}
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q torch transformers safetensors numpy
fi
if [[ "${1:-}" == lora ]]; then  # the LoRA fixtures (tests/fixtures/lora_*) from peft
  "$venv/bin/python" -c "import peft" 2>/dev/null || "$venv/bin/pip" install -q peft
  exec "$venv/bin/python" "$here/make_lora_reference.py"
fi
[[ "${1:-}" == rm ]] || "$venv/bin/python" "$here/make_reference.py" "$@"
"$venv/bin/python" "$here/make_rm_reference.py"
