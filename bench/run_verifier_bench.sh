#!/usr/bin/env bash
# Runs bench/verifier_vs_math_verify.py (math-verify from PyPI in the reference virtualenv) against
# bench_verifier. Pass --write-doc to rewrite the disagreement table in docs/verifier_agreement.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=$(bash "$root/bench/ref_venv.sh" math_verify math-verify)
bash "$root/scripts/build.sh"
"$python" "$root/bench/verifier_vs_math_verify.py" "$root/build/bench/bench_verifier" "$root" "$@"
