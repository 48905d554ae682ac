#!/usr/bin/env bash
# The reference virtualenv of the benchmarks (.venv-ref, or $ASCENT_REF_VENV): makes it if missing and installs
# PACKAGES from PyPI when MODULE does not import; prints the venv's python for the caller.
#   python=$(bash bench/ref_venv.sh MODULE PACKAGE...)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${ASCENT_REF_VENV:-$root/.venv-ref}
module=$1
shift
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c "import $module" 2>/dev/null; then
  [[ -x $venv/bin/python ]] || python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q "$@" >&2
fi
echo "$venv/bin/python"
