// What every reward component takes and gives (verifier, reward model, plugins, remote servers).
#pragma once

#include <string>

namespace ascent {

struct RewardInput {
  std::string prompt, completion, answer;
  std::string metadata_json = "{}";
};

// One component's outcome for one completion. ok = false: the reward could not be computed; `reason` says
// why ("timed out after 2 s", "worker crashed: signal 11 (Segmentation fault)", "plugin returned NaN", ...).
struct ComponentResult {
  bool ok = false;
  double value = 0;
  std::string reason;
};

}  // namespace ascent
