// The recipe's `rewards:` section (keys in docs/recipes.md). Errors name file:line and the dotted key.
//   rewards:
//     verifier: math            # math | none
//     verifier_timeout_s: 2
//     mapping: "01"             # the verifier's 0/1 verdict as 0/1 or as -1/+1 (pm1)
//     weight: 1.0               # the verifier's weight in the sum
//     reward_model: {path: DIR, weight: 1.0, batch_tokens: 16384}
//     hero: {alpha: 0.1, beta: 0.1, eps: 1e-6, weighting: true, w_min: 0.4, w_max: 3.0, k: 6}
//     plugins:  [{name, path, config: {...}, weight, timeout_s, retries, memory_mb}]
//     remote:   [{name, address | command, weight, batch_timeout_s, item_timeout_s, retries, max_batch,
//                 start_timeout_s, max_restarts, dir}]   command: [argv...], run in `dir` (default: the
//                 recipe's directory)
//     on_error: drop            # drop | zero: what a completion whose reward component failed gets
// With hero present, the verifier and the reward model are combined by HERO (their weights are unused) and
// plugins / remote rewards are added with their weights.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rewards/hero.h"
#include "rewards/plugin_host.h"
#include "rewards/remote_reward.h"
#include "yaml-cpp/yaml.h"

namespace ascent {

enum class OnRewardError { kDrop, kZero };

struct RewardModelConfig {
  std::string path;
  double weight = 1.0;
  int64_t batch_tokens = 16384;
};

struct NamedPlugin {
  std::string name;
  double weight = 1.0;
  PluginOptions options;
};

struct NamedRemote {
  std::string name;
  double weight = 1.0;
  RemoteOptions options;
};

struct RewardsConfig {
  bool verifier = true;
  double verifier_timeout_s = 2.0;
  bool plus_minus_one = false;
  double verifier_weight = 1.0;
  std::optional<RewardModelConfig> reward_model;
  std::optional<HeroConfig> hero;
  std::vector<NamedPlugin> plugins;
  std::vector<NamedRemote> remote;
  OnRewardError on_error = OnRewardError::kDrop;
};

// `node` is the rewards section; `file` names the recipe in errors; relative plugin and model paths are taken
// relative to the recipe's directory.
absl::StatusOr<RewardsConfig> rewards_config_parse(const YAML::Node& node, const std::string& file);

}  // namespace ascent
