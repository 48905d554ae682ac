#!/usr/bin/env bash
# The tree's habits, checked: clang-format (the one .clang-format; the tree is formatted with clang-format 14,
# Debian 12's, and other major versions format a few constructs differently, so only 14 fails the check),
# then clang-tidy over every project source with the checks of .clang-tidy (warnings are errors), including
# clang's thread-safety analysis of the ABSL_GUARDED_BY annotations. Needs build/compile_commands.json
# (scripts/build.sh writes it). Part of the README's test command (scripts/test.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [[ ! -f build/compile_commands.json ]]; then
  echo "[lint] build/compile_commands.json missing: run scripts/build.sh first" >&2
  exit 2
fi
tidy=$(command -v clang-tidy || true)
if [[ -z $tidy ]]; then
  echo "[lint] clang-tidy not found: scripts/install_deps.sh --test installs it" >&2
  exit 2
fi
fmt=$(command -v clang-format || true)
if [[ -n $fmt ]]; then
  mapfile -t sources < <(git ls-files '*.h' '*.cc' '*.cu')
  major=$($fmt --version | grep -o 'version [0-9]*' | grep -o '[0-9]*$')
  if "$fmt" --dry-run "${sources[@]}" 2>&1 | grep -q 'warning:'; then
    "$fmt" --dry-run "${sources[@]}" 2>&1 | grep 'warning:' | cut -d: -f1 | sort -u | sed 's/^/[lint] not formatted: /' >&2
    if [[ $major == 14 ]]; then
      echo "[lint] run clang-format -i on the files above" >&2
      exit 1
    fi
    echo "[lint] (clang-format $major, not 14: reported only)" >&2
  else
    echo "[lint] clang-format $major: every file formatted"
  fi
fi
# fuzz/ is compiled by clang in build-fuzz/ only (scripts/fuzz.sh) and core/tsan_absl_mutex.cc in build-tsan/ only
# (scripts/tsan.sh), so build/'s compile commands do not cover them.
mapfile -t files < <(git ls-files '*.cc' | grep -v -e '^examples/' -e '^tests/plugins/' -e '^fuzz/' \
  -e '^core/tsan_absl_mutex.cc$')
echo "[lint] $($tidy --version | grep -o 'version [0-9.]*') on ${#files[@]} files"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 4 "$tidy" -p build --quiet --extra-arg=-Wthread-safety \
    >"$log" 2>&1; then
  echo "[lint] clean"
else
  grep -E 'error:|warning:' "$log" | sort -u >&2 || cat "$log" >&2
  echo "[lint] clang-tidy found problems (above)" >&2
  exit 1
fi
