#!/usr/bin/env bash
# Runs bench/tokenizer_vs_hf.py (Hugging Face tokenizers from PyPI in the reference virtualenv).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${ASCENT_REF_VENV:-$root/.venv-ref}
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c "import tokenizers" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q tokenizers
fi
bash "$root/scripts/build.sh"
"$venv/bin/python" "$root/bench/tokenizer_vs_hf.py" "$root/build/bench/bench_tokenizer" "$root" \
  "${ASCENT_TOKENIZERS:-${ASCENT_SHARED_TOKENIZERS:-$root/tests/fixtures/tokenizer}}"
