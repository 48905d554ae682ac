// ascent-reward-worker: the process a reward plugin runs in (see plugin_worker.h).
#include "core/sanitizers.h"
#include "rewards/plugin_worker.h"

using namespace ascent;  // NOLINT(google-build-using-namespace): a main() over the libraries

#ifdef ASCENT_ASAN
// AddressSanitizer builds (docs/testing.md): a plugin that segfaults must end this process by its signal, as
// in every other build (the host reports "worker crashed: signal 11"); ASan's own handler would make it exit
// code 1. Bad reads and writes are still caught: ASan checks accesses, not signals.
extern "C" const char* __asan_default_options() {  // NOLINT(bugprone-reserved-identifier): ASan's hook
  return "handle_segv=0:handle_sigbus=0:handle_sigfpe=0";
}
#endif

int main(int argc, char** argv) {
  return reward_worker_main(argc, argv);
}
