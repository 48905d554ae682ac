#!/usr/bin/env bash
# The README's test command: installs what is missing, builds with warnings as errors, runs clang-tidy
# (scripts/lint.sh), the whole test suite with ctest, then every gtest suite under ASan + UBSan and the fuzz
# targets' short runs (scripts/fuzz.sh), then the threaded suites under TSan (scripts/tsan.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install_deps.sh --test
ASCENT_WERROR=ON bash scripts/build.sh
bash scripts/lint.sh
(cd build && ctest --output-on-failure -j "$(nproc)" --timeout 900)
# The gtest suites under ASan + UBSan, then the fuzz targets 20 s each (clang, build-fuzz/: fuzz/README.md).
bash scripts/fuzz.sh 20
# The actor, transport, learner and thread-pool suites under TSan (clang, build-tsan/).
bash scripts/tsan.sh
