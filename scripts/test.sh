#!/usr/bin/env bash
# The README's test command: installs what is missing, builds with warnings as errors, runs clang-tidy
# (scripts/lint.sh) and the whole test suite with ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install_deps.sh --test
ASCENT_WERROR=ON bash scripts/build.sh
bash scripts/lint.sh
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 900
