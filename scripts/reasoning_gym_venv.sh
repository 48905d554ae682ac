#!/usr/bin/env bash
# Makes the virtual environment that reasoning-gym (PyPI, Apache-2.0) lives in, outside the repository:
# $ASCENT_CACHE/venv-reasoning-gym (default ~/.cache/ascent/...), once. Debian's python3 with
# --system-site-packages, so the reward server keeps Debian's python3-grpcio and python3-protobuf.
# Prints the environment's python. examples/reasoning_gym/*.py re-execute themselves under it.
set -euo pipefail
cache=${ASCENT_CACHE:-$HOME/.cache/ascent}
version=0.1.25
venv=$cache/venv-reasoning-gym
if ! "$venv/bin/python" -c "import reasoning_gym, grpc" 2>/dev/null; then
  echo "reasoning_gym_venv: pip install reasoning-gym==$version into $venv" >&2
  rm -rf "$venv"
  mkdir -p "$cache"
  /usr/bin/python3 -m venv --system-site-packages "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "reasoning-gym==$version" >&2
fi
echo "$venv/bin/python"
