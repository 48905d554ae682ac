#!/usr/bin/env bash
# The README's test command: installs what is missing, builds with warnings as errors, runs clang-tidy
# (scripts/lint.sh), the whole test suite with ctest, then the fuzz targets' short runs (scripts/fuzz.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install_deps.sh --test
ASCENT_WERROR=ON bash scripts/build.sh
bash scripts/lint.sh
(cd build && ctest --output-on-failure -j "$(nproc)" --timeout 900)
# The fuzz targets 20 s each and the bad-input tests under ASan + UBSan (clang, build-fuzz/: fuzz/README.md).
bash scripts/fuzz.sh 20
