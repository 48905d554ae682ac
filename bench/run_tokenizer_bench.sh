#!/usr/bin/env bash
# Runs bench/tokenizer_vs_hf.py (Hugging Face tokenizers from PyPI in the reference virtualenv).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=$(bash "$root/bench/ref_venv.sh" tokenizers tokenizers)
bash "$root/scripts/build.sh"
"$python" "$root/bench/tokenizer_vs_hf.py" "$root/build/bench/bench_tokenizer" "$root" \
  "${ASCENT_TOKENIZERS:-${ASCENT_SHARED_TOKENIZERS:-$root/tests/fixtures/tokenizer}}"
