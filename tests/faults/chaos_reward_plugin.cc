// A reward plugin for the fault-injection soak (tests/faults/fault_soak.py): it scores 0.5 per item, and
// misbehaves as the first word of its control file says, read at every call (config {"control": PATH}):
// "ok" (or no file), "crash" (SIGSEGV), "hang" (never returns), "nan" (a NaN reward), "garbage" (an error
// code and no rewards). The soak writes the file at random moments; the actor must survive each.
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "ascent/reward_plugin.h"

namespace {

struct State {
  std::string control;
};

void* create(const char* config_json, char* err, size_t err_len) {
  // {"control": "/path"}: the value between the quotes after "control".
  static State state;
  const char* key = config_json ? std::strstr(config_json, "\"control\"") : nullptr;
  const char* open = key ? std::strchr(key + 9, '"') : nullptr;
  const char* close = open ? std::strchr(open + 1, '"') : nullptr;
  if (!close) {
    std::snprintf(err, err_len, "config needs {\"control\": PATH}");
    return nullptr;
  }
  state.control.assign(open + 1, close);
  return &state;
}

std::string mode(const State& s) {
  char buf[32] = {0};
  if (std::FILE* f = std::fopen(s.control.c_str(), "r")) {
    if (std::fscanf(f, "%31s", buf) != 1) buf[0] = 0;
    std::fclose(f);
  }
  return buf[0] ? buf : "ok";
}

int score(void* self, const ascent_reward_item*, size_t n, double* rewards, int* ok, char*, size_t) {
  const std::string m = mode(*static_cast<State*>(self));
  if (m == "crash") std::raise(SIGSEGV);
  if (m == "hang") {
    for (;;) pause();
  }
  if (m == "garbage") return 7;  // an error code: the whole batch failed
  for (size_t i = 0; i < n; ++i) ok[i] = 1, rewards[i] = m == "nan" ? std::nan("") : 0.5;
  return 0;
}

const ascent_reward_plugin kPlugin = {
    ASCENT_REWARD_ABI_VERSION, sizeof(ascent_reward_plugin), "chaos", create, score, nullptr};

}  // namespace

extern "C" const ascent_reward_plugin* ascent_reward_plugin_get(void) {
  return &kPlugin;
}
