// A plugin that misbehaves on purpose, driven by the completion text: "CRASH" segfaults, "HANG" sleeps
// forever, "NAN" returns NaN, "FAIL" reports a failed item, "LEAK" allocates until it dies; anything else
// scores its length. Built with -DWRONG_ABI it declares ABI version 999.
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ascent/reward_plugin.h"

namespace {

void* create(const char*, char*, size_t) {
  static int state;
  return &state;
}

int score(void*, const ascent_reward_item* items, size_t n, double* rewards, int* ok, char* reasons,
          size_t reason_len) {
  for (size_t i = 0; i < n; ++i) {
    const char* c = items[i].completion;
    ok[i] = 1;
    rewards[i] = static_cast<double>(std::strlen(c));
    if (std::strstr(c, "CRASH")) std::raise(SIGSEGV);
    if (std::strstr(c, "HANG")) {
      for (;;) pause();
    }
    if (std::strstr(c, "NAN")) rewards[i] = std::nan("");
    if (std::strstr(c, "FAIL"))
      ok[i] = 0, std::snprintf(reasons + i * reason_len, reason_len, "no answer to judge");
    if (std::strstr(c, "LEAK")) {
      for (;;) {
        char* p = static_cast<char*>(std::malloc(1 << 20));
        if (!p) std::abort();
        std::memset(p, 1, 1 << 20);
      }
    }
  }
  return 0;
}

#ifdef WRONG_ABI
constexpr uint32_t kAbi = 999;
#else
constexpr uint32_t kAbi = ASCENT_REWARD_ABI_VERSION;
#endif
const ascent_reward_plugin kPlugin = {kAbi,   sizeof(ascent_reward_plugin), "misbehaving", create, score,
                                      nullptr};

}  // namespace

extern "C" const ascent_reward_plugin* ascent_reward_plugin_get(void) {
  return &kPlugin;
}
