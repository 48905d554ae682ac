#!/usr/bin/env bash
# Runs bench/verifier_vs_math_verify.py (math-verify from PyPI in the reference virtualenv) against
# bench_verifier. Pass --write-doc to rewrite the disagreement table in docs/verifier_agreement.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${ASCENT_REF_VENV:-$root/.venv-ref}
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c "import math_verify" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q math-verify
fi
bash "$root/scripts/build.sh"
"$venv/bin/python" "$root/bench/verifier_vs_math_verify.py" "$root/build/bench/bench_verifier" "$root" "$@"
