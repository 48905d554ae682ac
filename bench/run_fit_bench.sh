#!/usr/bin/env bash
# Runs bench/fit_vs_scipy.py (scipy from PyPI in the reference virtualenv) against bench_fit.
# BENCH_THREADS=2 times the bootstrap on two threads (default 1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=$(bash "$root/bench/ref_venv.sh" scipy scipy numpy)
bash "$root/scripts/build.sh"
"$python" "$root/bench/fit_vs_scipy.py" "$root/build/bench/bench_fit"
