#!/usr/bin/env bash
# The threaded parts under ThreadSanitizer (docs/testing.md): builds build-tsan/ with clang and
# -DASCENT_SANITIZE=thread, then runs the suites of the actor loop, the rollout and weight services, the
# learner and the thread pool. Any data race fails the suite (halt_on_error); its report is in
# build-tsan/<suite>.log. OpenMP runs one thread per region here (OMP_NUM_THREADS=1): the threads under test are
# ours, and the distribution's OpenMP runtime is not built with TSan. The distribution's Abseil is not either:
# core/tsan_absl_mutex.cc tells TSan what absl::Mutex does. Neither is gRPC: its header code stays uninstrumented
# (cmake/tsan_ignorelist.txt) and reports inside its callback API are dropped (tests/tsan.supp, with the one
# handler this leaves unchecked). Usage: scripts/tsan.sh [SUITE...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
suites=("$@")
if ((${#suites[@]} == 0)); then
  suites=(test_threads test_rollout_channel test_weight_transfer test_weight_shm test_transport_security
          test_remote_reward test_actor test_learner_engine test_background_validation test_tool_session
          test_tool_turns)
fi
# (The suites also run at build time: gtest_discover_tests lists their cases.)
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1:suppressions=$root/tests/tsan.supp"
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
# Older TSan runtimes (clang 14) stop at "unexpected memory mapping" under kernels with 32 bits of mmap
# randomisation: everything TSan-built runs without address randomisation where the kernel allows it.
norand=()
if setarch "$(uname -m)" -R true 2>/dev/null; then norand=(setarch "$(uname -m)" -R); fi
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Release -DASCENT_CUDA=OFF -DASCENT_SANITIZE=thread \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
"${norand[@]}" cmake --build build-tsan -j "$(nproc)" --target "${suites[@]}"
failed=()
for t in "${suites[@]}"; do
  log="build-tsan/$t.log"
  if timeout 900 "${norand[@]}" "build-tsan/tests/$t" >"$log" 2>&1; then
    echo "[tsan] $t: $(grep -o "[0-9]* tests\? from [0-9]* test suites\? ran" "$log"), passed"
  else
    echo "[tsan] $t: FAILED ($log):"
    grep -E "ThreadSanitizer|SUMMARY|FAILED" "$log" | head -5 || true
    failed+=("$t")
  fi
done
((${#failed[@]} == 0)) || { echo "[tsan] failed: ${failed[*]}"; exit 1; }
