// An example reward plugin: rewards a completion that states its final answer in the expected format.
// config (recipe rewards.plugins[].config): {"marker": "\\boxed{", "reward": 1.0, "penalty": 0.0}
// reward = `reward` if the completion contains `marker`, else `penalty`. Build: see CMakeLists.txt here; it
// needs only include/ascent/reward_plugin.h.
#include <cstdio>
#include <cstring>
#include <string>

#include "ascent/reward_plugin.h"

namespace {

struct State {
  std::string marker = "\\boxed{";
  double reward = 1.0, penalty = 0.0;
};

// A tiny reader for the three flat keys above (a real plugin would use a JSON library).
bool read_string(const char* json, const char* key, std::string* out) {
  const char* at = std::strstr(json, key);
  if (!at) return false;
  at = std::strchr(at + std::strlen(key), ':');
  if (!at || !(at = std::strchr(at, '"'))) return false;
  std::string v;
  for (++at; *at && *at != '"'; ++at) {
    if (*at == '\\' && at[1]) ++at;
    v += *at;
  }
  *out = v;
  return true;
}
void read_number(const char* json, const char* key, double* out) {
  const char* at = std::strstr(json, key);
  if (at && (at = std::strchr(at + std::strlen(key), ':'))) std::sscanf(at + 1, "%lf", out);
}

void* create(const char* config, char* err, size_t err_len) {
  auto* s = new State;
  read_string(config, "\"marker\"", &s->marker);
  read_number(config, "\"reward\"", &s->reward);
  read_number(config, "\"penalty\"", &s->penalty);
  if (s->marker.empty()) {
    std::snprintf(err, err_len, "config.marker must not be empty");
    delete s;
    return nullptr;
  }
  return s;
}

int score(void* state, const ascent_reward_item* items, size_t n, double* rewards, int* ok, char* reasons,
          size_t reason_len) {
  const State* s = static_cast<State*>(state);
  for (size_t i = 0; i < n; ++i) {
    const bool has = std::strstr(items[i].completion, s->marker.c_str()) != nullptr;
    rewards[i] = has ? s->reward : s->penalty;
    ok[i] = 1;
    std::snprintf(reasons + i * reason_len, reason_len, has ? "has %s" : "no %s", s->marker.c_str());
  }
  return 0;
}

void destroy(void* state) {
  delete static_cast<State*>(state);
}

const ascent_reward_plugin kPlugin = {
    ASCENT_REWARD_ABI_VERSION, sizeof(ascent_reward_plugin), "format_reward", create, score, destroy};

}  // namespace

extern "C" const ascent_reward_plugin* ascent_reward_plugin_get(void) {
  return &kPlugin;
}
