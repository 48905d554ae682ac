// ascent-reward-worker: the process a reward plugin runs in (see plugin_worker.h).
#include "core/sanitizers.h"
#include "rewards/plugin_worker.h"

using namespace ascent;  // NOLINT(google-build-using-namespace): a main() over the libraries

// Sanitizer builds (docs/testing.md): a plugin that segfaults must end this process by its signal, as in every
// other build (the host reports "worker crashed: signal 11"); the sanitizer's own handler would make it exit
// code 1 or 66. Bad reads and writes are still caught: ASan checks accesses, not signals.
#ifdef ASCENT_ASAN
extern "C" const char* __asan_default_options() {  // NOLINT(bugprone-reserved-identifier): ASan's hook
  return "handle_segv=0:handle_sigbus=0:handle_sigfpe=0";
}
#endif
#ifdef ASCENT_TSAN
extern "C" const char* __tsan_default_options() {  // NOLINT(bugprone-reserved-identifier): TSan's hook
  return "handle_segv=0:handle_sigbus=0:handle_sigfpe=0";
}
#endif

int main(int argc, char** argv) {
  return reward_worker_main(argc, argv);
}
