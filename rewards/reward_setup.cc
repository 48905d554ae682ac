#include "rewards/reward_setup.h"

#include "absl/strings/str_cat.h"

namespace ascent {

absl::StatusOr<RewardSetup> reward_setup_make(const RewardsConfig& cfg, const std::string& recipe) {
  RewardSetup s;
  RewardModelFn rm_fn;
  if (cfg.reward_model) {
    absl::StatusOr<std::unique_ptr<RewardModel>> loaded =
        RewardModel::load(cfg.reward_model->path, cfg.reward_model->batch_tokens);
    if (!loaded.ok()) {
      return absl::Status(loaded.status().code(),
                          recipe + ": rewards.reward_model: " + std::string(loaded.status().message()));
    }
    s.rm = std::move(*loaded);
    RewardModel* rm = s.rm.get();
    rm_fn = [rm](const std::vector<RewardInput>& items) { return rm->score(items); };
  }
  s.pipeline = std::make_unique<RewardPipeline>(cfg, rm_fn);
  if (absl::Status st = s.pipeline->start(); !st.ok()) {
    return absl::Status(st.code(), absl::StrCat(recipe, ": ", st.message()));
  }
  return s;
}

}  // namespace ascent
