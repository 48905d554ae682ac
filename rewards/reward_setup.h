// A recipe's rewards made ready to score: the reward model loaded when the config names one, and the
// pipeline over it. Used by `ascent reward` and the actor.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "rewards/reward_model.h"
#include "rewards/reward_pipeline.h"

namespace ascent {

struct RewardSetup {
  std::unique_ptr<RewardModel> rm;
  std::unique_ptr<RewardPipeline> pipeline;
};

// `recipe` names the file in errors.
absl::StatusOr<RewardSetup> reward_setup_make(const RewardsConfig& cfg, const std::string& recipe);

}  // namespace ascent
