#!/usr/bin/env bash
# The one device-machine check (run by the `device` tool on an H100/H200 host, Ubuntu 24.04, CUDA 13, torch and
# transformers installed; see ../shared/device/README.md). Binaries come bundled in .gpu/ (bundle.sh, built here
# with -DASCENT_CUDA=ON for sm_90); logs go to $OUT. Stages, each with its own time limit, each printing a
# CHECK line:
#   1. device discovery (`ascent version` vs nvidia-smi);
#   2. the CUDA op harness (tests/test_cuda_ops.cc: every op and whole models, CUDA vs the CPU backend), then
#      the op tests again under compute-sanitizer (memcheck; racecheck and synccheck on the attention kernels:
#      a read past a span or a missing barrier can leave the numbers right);
#   3. whole-model log-probs vs transformers on the GPU (bench/gpu_vs_transformers.py);
#   4. the quickstart with the learner on cpu, then on cuda (same seed): held-out pass rate before -> after;
#   5. the learner-step benchmark vs PyTorch eager and torch.compile (bench/gpu_learner_bench.py).
# The last lines printed are the CHECK summary and the benchmark table.
# On your own GPU machine, without bundling: build with -DASCENT_CUDA=ON, then run build/tests/test_cuda_ops,
# `python3 bench/gpu_vs_transformers.py --ascent build/cli/ascent` and this script's stages by hand.
# In this project's device sessions (../shared/device/, outside the repository), prepare here (about 1 minute
# after a build of build/ with CUDA, the default where nvcc is found):
#   rm -rf .gpu && ../shared/device/bundle.sh .gpu build/cli/ascent build/tests/test_cuda_ops build/bench/bench_engine
#   (cd .gpu && tar czf bundle.tgz bin lib && rm -rf bin lib)      # ~23 MB: the tree that travels is <= 64 MiB
# then on the device: `BENCH_TIMEOUT=270 bash bench/gpu_check.sh` with .gpu carried; typically about 8 minutes
# (the stages' own limits add up to about 28).
set -uo pipefail
[ -d .gpu/lib ] || tar -C .gpu -xzf .gpu/bundle.tgz  # carried compressed (the tree that travels is <= 64 MiB)
export LD_LIBRARY_PATH=$PWD/.gpu/lib PYTHONUNBUFFERED=1
bin=$PWD/.gpu/bin
out=${OUT:-/tmp/gpu_check_out}
mkdir -p "$out"
checks=$out/checks.txt
: >"$checks"
check() { echo "CHECK $1: $2" | tee -a "$checks"; }
stage() { echo "== $1 ($(date +%T))"; }

stage "1 device discovery"
{ nvidia-smi -L; nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv; "$bin/ascent" version; } \
  >"$out/version.txt" 2>&1
cat "$out/version.txt"
gpus=$(nvidia-smi -L | grep -c '^GPU')
grep -q "cuda: built in; $gpus device(s)" "$out/version.txt" && check "device discovery" "ok ($gpus)" ||
  check "device discovery" FAIL

stage "2 op harness"
timeout 180 "$bin/test_cuda_ops" >"$out/ops.txt" 2>&1
rc=$?
grep -E "^\[  (PASSED|FAILED) |FAILED  \]|NMSE" "$out/ops.txt" | head -40
[ $rc = 0 ] && check "CUDA op harness" "ok ($(grep -c '^\[       OK' "$out/ops.txt") tests)" ||
  check "CUDA op harness" "FAIL (exit $rc)"

san=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null)
if [ -n "$san" ]; then
  for tool in memcheck racecheck synccheck; do
    filter='CudaOps.*-CudaOps.RmsNormManyRows'
    [ $tool = memcheck ] || filter='CudaOps.AttentionCacheSpans:CudaOps.OptionalOutputsAndEmptyInputs'
    timeout 150 "$san" --tool $tool --error-exitcode 3 "$bin/test_cuda_ops" --gtest_filter="$filter" \
      >"$out/sanitizer_$tool.txt" 2>&1
    rc=$?
    tail -3 "$out/sanitizer_$tool.txt"
    [ $rc = 0 ] && check "compute-sanitizer $tool" ok || check "compute-sanitizer $tool" "FAIL (exit $rc)"
  done
else
  check "compute-sanitizer" "not found on this machine"
fi

stage "3 vs transformers"
timeout 240 python3 bench/gpu_vs_transformers.py --ascent "$bin/ascent" --presets small \
  >"$out/vs_transformers.txt" 2>&1
rc1=$?
timeout 120 python3 bench/gpu_vs_transformers.py --ascent "$bin/ascent" --presets 0.5b --archs qwen2 \
  >>"$out/vs_transformers.txt" 2>&1
rc2=$?
grep -E "^\|" "$out/vs_transformers.txt"
[ $rc1 = 0 ] && [ $rc2 = 0 ] && check "log-probs vs transformers" ok ||
  check "log-probs vs transformers" "FAIL (exit $rc1/$rc2, see vs_transformers.txt)"

stage "4 quickstart, learner on cpu then cuda"
models=runs/quickstart-model
"$bin/ascent" init-model --out "$models/base" --arch qwen3 --preset tiny --seed 1 >/dev/null
"$bin/ascent" init-model --out "$models/reward" --arch qwen3 --preset tiny --seed 2 --num-labels 1 >/dev/null
timeout 120 "$bin/ascent" sft --recipe recipes/quickstart.yaml --init "$models/base" --steps 800 --batch 64 \
  --lr 2e-3 --threads 8 >"$out/sft.txt" 2>&1
for dev in cpu cuda; do
  sed -e "s/^name: quickstart/name: quickstart-$dev/" \
    -e "s/^  actors: 1/  actors: 3\n  actor_threads: 2\n  learner_threads: 6\n  device: $dev/" \
    -e "s/^  steps: 150/  steps: ${STEPS:-60}/" recipes/quickstart.yaml >recipes/.gpu_quickstart_$dev.yaml
  t0=$(date +%s)
  timeout 150 "$bin/ascent" train recipes/.gpu_quickstart_$dev.yaml --fresh --no-progress >"$out/train_$dev.txt" 2>&1
  echo "train ($dev learner) exit $?, $(($(date +%s) - t0)) s"
  line=$(grep -E "held-out pass rate" "$out/train_$dev.txt" | tail -1)
  echo "  $line"
  pts=$(echo "$line" | grep -oE '[+-][0-9.]+ points' | grep -oE '[+-][0-9.]+')
  skipped=$(grep -o '"optim/skipped_steps":[0-9.]*' runs/quickstart-$dev/metrics.jsonl 2>/dev/null | tail -1 | cut -d: -f2)
  [ -n "$pts" ] && awk "BEGIN{exit !($pts > 5)}" && awk "BEGIN{exit !(${skipped:-0} == 0)}" &&
    check "quickstart, learner on $dev" "ok ($pts points, no skipped step)" ||
    check "quickstart, learner on $dev" "FAIL (${line:-no held-out line}; skipped steps ${skipped:-?})"
done
cp runs/quickstart-cuda/metrics.jsonl "$out/metrics_cuda.jsonl" 2>/dev/null

stage "5 learner-step benchmark"
timeout ${BENCH_TIMEOUT:-330} python3 bench/gpu_learner_bench.py --ascent "$bin/ascent" --bench "$bin/bench_engine" \
  ${BENCH_ARGS:-} >"$out/bench.txt" 2>&1
echo "benchmark exit $?"
stage "done"
echo
cat "$checks"
echo
grep -E "^\||^learner step" "$out/bench.txt" || tail -5 "$out/bench.txt"
