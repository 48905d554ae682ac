#!/usr/bin/env bash
# The fit on real RL curves (bench/real_curve_fit.py): each committed curve in bench/real_curves fitted on its
# first half and scored on its end, ascent fit against scipy's curve_fit (scipy from PyPI in the reference
# virtualenv). The curves themselves: bench/real_curves/make_*.sh (commands in bench/real_curves/curves.json).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=$(bash "$root/bench/ref_venv.sh" scipy scipy numpy)
bash "$root/scripts/build.sh" ascent
"$python" -W ignore "$root/bench/real_curve_fit.py" "$root/build/cli/ascent" "$@"
