#!/usr/bin/env bash
# Runs bench/fit_vs_scipy.py (scipy from PyPI in the reference virtualenv) against bench_fit.
# BENCH_THREADS=2 times the bootstrap on two threads (default 1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${ASCENT_REF_VENV:-$root/.venv-ref}
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c "import scipy" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q scipy numpy
fi
bash "$root/scripts/build.sh"
"$venv/bin/python" "$root/bench/fit_vs_scipy.py" "$root/build/bench/bench_fit"
