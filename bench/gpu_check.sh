#!/usr/bin/env bash
# The one device-machine check (run by the `device` tool on an H100/H200 host, Ubuntu 24.04; see
# ../shared/device/README.md): the CUDA build's device discovery (`ascent version`, the only CUDA code so far)
# against nvidia-smi, then the quickstart on that machine's 16 cores (3 actors, more learner threads), as a
# larger-machine figure for docs/performance.md. Binaries come bundled in .gpu/ (bundle.sh); logs go to $OUT.
set -uo pipefail
[ -d .gpu/lib ] || tar -C .gpu -xzf .gpu/bundle.tgz  # carried compressed (the tree that travels is <= 64 MiB)
export LD_LIBRARY_PATH=$PWD/.gpu/lib
ascent=$PWD/.gpu/bin/ascent
out=${OUT:-/tmp/gpu_check_out}
mkdir -p "$out"
{
  nvidia-smi -L
  "$ascent" version
} >"$out/version.txt" 2>&1
cat "$out/version.txt"
gpus=$(nvidia-smi -L | grep -c '^GPU')
if grep -q "cuda: built in; $gpus device(s)" "$out/version.txt"; then
  echo "CHECK cuda device discovery: ok ($gpus)"
else
  echo "CHECK cuda device discovery: FAIL"
fi
models=runs/quickstart-model
"$ascent" init-model --out "$models/base" --arch qwen3 --preset tiny --seed 1 >/dev/null
"$ascent" init-model --out "$models/reward" --arch qwen3 --preset tiny --seed 2 --num-labels 1 >/dev/null
t0=$(date +%s)
"$ascent" sft --recipe recipes/quickstart.yaml --init "$models/base" --steps 800 --batch 64 --lr 2e-3 \
  --threads 8 >"$out/sft.txt" 2>&1
tail -2 "$out/sft.txt"
t1=$(date +%s)
sed -e 's/^  actors: 1/  actors: 3\n  actor_threads: 2\n  learner_threads: 6/' -e "s/^  steps: 150/  steps: ${STEPS:-60}/" recipes/quickstart.yaml \
  >recipes/.gpu_quickstart.yaml
"$ascent" train recipes/.gpu_quickstart.yaml --fresh --no-progress >"$out/train.txt" 2>&1
echo "train exit $?"
t2=$(date +%s)
grep -E "held-out|live sigmoid|actor-" "$out/train.txt"
cp runs/quickstart/metrics.jsonl "$out/" 2>/dev/null
echo "sft $((t1 - t0)) s, RL $((t2 - t1)) s on $(nproc) cores"
