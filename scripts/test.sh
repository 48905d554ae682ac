#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs the whole test suite with ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install_deps.sh --test
bash scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 900
