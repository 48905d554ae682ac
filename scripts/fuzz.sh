#!/usr/bin/env bash
# The libFuzzer targets (fuzz/README.md): builds them with clang into build-fuzz/ (ASan + UBSan, coverage),
# runs the bad-input and fault unit tests under the same sanitizers (SANITIZED_TESTS below), then each fuzz
# target for SECONDS (default 20) from its committed seed corpus fuzz/corpus/<target>. New inputs go to
# build-fuzz/corpus/<target>; a crash, leak or timeout is written to build-fuzz/crashes/<target>-* and the
# script exits 1 after the other targets ran. Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-20}
shift || true
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DASCENT_CUDA=OFF -DASCENT_FUZZ=ON \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(fuzz_recipe fuzz_model_config fuzz_safetensors fuzz_gguf fuzz_tokenizer_load fuzz_tokenizer_encode
           fuzz_math_verify fuzz_rollout_group fuzz_prompt_data)
fi
# (The test binaries run at build time too: gtest_discover_tests lists their cases.)
export LSAN_OPTIONS="suppressions=$root/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
sanitized_tests=(test_bad_input test_checkpoint_integrity test_nonfinite test_prompt_leases test_rollout_proto
                 test_weight_transfer)
if (($# == 0)); then
  cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]}" "${sanitized_tests[@]}"
else
  cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]}"
  sanitized_tests=()
fi
mkdir -p build-fuzz/crashes
failed=()
# run KIND NAME SUMMARY COMMAND...: COMMAND's output into build-fuzz/NAME.log; SUMMARY (a shell snippet over
# $log) says what passed; on failure the sanitizer's lines are shown and NAME is remembered.
run() {
  local kind=$1 t=$2 summary=$3
  shift 3
  log="build-fuzz/$t.log"
  if "$@" >"$log" 2>&1; then
    echo "[$kind] $t: $(eval "$summary")"
  else
    echo "[$kind] $t: FAILED ($log, build-fuzz/crashes/):"
    grep -E "ERROR|SUMMARY|FAILED|runtime error" "$log" | head -5
    failed+=("$t")
  fi
}
for t in "${sanitized_tests[@]}"; do
  run asan+ubsan "$t" 'echo "$(grep -o "[0-9]* tests\? from [0-9]* test suites\? ran" "$log"), passed"' \
    "build-fuzz/tests/$t"
done
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t"
  run fuzz "$t" 'echo "$(grep -o "stat::number_of_executed_units: *[0-9]*" "$log" | grep -o "[0-9]*$") inputs in ${seconds} s, no crash"' \
    "build-fuzz/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/crashes/$t-" "build-fuzz/corpus/$t" "fuzz/corpus/$t"
done
((${#failed[@]} == 0)) || { echo "[fuzz] failed: ${failed[*]}"; exit 1; }
