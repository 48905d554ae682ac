#!/usr/bin/env bash
# Configures and builds ascent into build/ (Release, Ninja, ccache when present). CUDA is auto-detected;
# override with ASCENT_CUDA=ON|OFF. ASCENT_WERROR=ON (test.sh, CI) makes warnings errors. Used by
# quickstart.sh and test.sh. Arguments: build targets (default: all).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cuda=${ASCENT_CUDA:-AUTO}
# ASCENT_WERROR only when set: a build tree configured by test.sh keeps its setting (no full rebuild).
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DASCENT_CUDA="$cuda" ${ASCENT_WERROR:+-DASCENT_WERROR="$ASCENT_WERROR"} >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build -j "$(nproc)" "${targets[@]}"
