// A completion's reward from the recipe's components (rewards_config.h): the math verifier, a reward model,
// HERO over the two, plugins (out of process) and remote servers; weighted and summed, each component's value
// and reason kept. Groups are the completions of one prompt (HERO normalises inside a group).
// A failed component (a plugin crash, a remote timeout, a reward-model error) is recorded with its reason and
// counted; the completion is then dropped (on_error: drop; `ok` false, no reward) or the component counts 0
// (on_error: zero). Nothing a component does stops the batch.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "rewards/math_verify.h"
#include "rewards/rewards_config.h"

namespace ascent {

struct ScoredCompletion {
  bool ok = false;  // false: dropped (a component failed and on_error is drop)
  double reward = 0;
  std::string error;                                  // the failed components and why
  std::map<std::string, ComponentResult> components;  // "verifier", "rm", "hero", plugin/remote names
  std::string extracted;                              // the verifier's extracted answer
  // Whether the answer counts as right (batch/pass_rate, No-Positive-Resampling): the verifier's verdict;
  // without a verifier, the raw value (before its weight) of the one plugin or remote component when there
  // is exactly one and no reward model, >= 1 (a reasoning-gym score of 1); else false.
  bool correct = false;
  // HERO's w(sigma_u) from this pipeline's own running sigma_bar, the same for the whole group (what `ascent
  // reward` reports). In training the learner weights instead, from sigma_u and its checkpointed sigma_bar.
  double group_weight = 1;
  bool has_group_sigma = false;  // HERO: the group's sigma_u, sent with the group
  double group_sigma = 0;
};

// Scores (prompt, completion) pairs with a reward model; one value per input (rewards/reward_setup.h builds
// one on the engine's reward model, rewards/reward_model.h).
using RewardModelFn = std::function<std::vector<ComponentResult>(const std::vector<RewardInput>&)>;

class RewardPipeline {
 public:
  RewardPipeline(RewardsConfig cfg, RewardModelFn rm);
  // Starts the reward servers that the config asks ascent to run (rewards.remote[].command); an error names
  // the entry. score_groups() starts them itself when needed, so a failure there costs only rewards.
  absl::Status start();
  std::vector<std::vector<ScoredCompletion>> score_groups(
      const std::vector<std::vector<RewardInput>>& groups);
  HeroState& hero_state() { return hero_state_; }
  // Counters since construction: reward/scored, reward/dropped, reward/errors/<component>.
  const std::map<std::string, double>& counters() const { return counters_; }

 private:
  bool correct_of(const ScoredCompletion& s) const;
  RewardsConfig cfg_;
  RewardModelFn rm_;
  std::vector<std::unique_ptr<PluginReward>> plugins_;
  std::vector<std::unique_ptr<RemoteReward>> remotes_;
  HeroState hero_state_;
  std::map<std::string, double> counters_;
};

}  // namespace ascent
