#!/usr/bin/env bash
# The fit on real RL curves (bench/real_curve_fit.py): each committed curve in bench/real_curves fitted on its
# first half and scored on its end, ascent fit against scipy's curve_fit (scipy from PyPI in the reference
# virtualenv). The curves themselves: bench/real_curves/make_*.sh (commands in bench/real_curves/curves.json).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${ASCENT_REF_VENV:-$root/.venv-ref}
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c "import scipy" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q scipy numpy
fi
bash "$root/scripts/build.sh" ascent
"$venv/bin/python" -W ignore "$root/bench/real_curve_fit.py" "$root/build/cli/ascent" "$@"
