// Advantages per completion (docs/algorithms.md section 1), with HERO's per-prompt weight (section 6).
//   group_centered: A_i = r_i - mean_group
//   grpo:           A_i = (r_i - mean_group) / (std_group + eps)
//   batch_std:      A_i = (r_i - mean_group) / std_batch   (ScaleRL; std over every centred value in the batch)
//   dr_grpo:        A_i = r_i - mean_group                 (same as group_centered; Dr.GRPO's name)
//   leave_one_out:  A_i = r_i - mean_{j != i} r_j          (RLOO / PipelineRL)
// Standard deviations are Bessel-corrected (divide by n - 1), as torch.std computes them in TRL and verl.
// A zero batch std (every centred value 0) gives A = 0.
// The prompt weight w_u multiplies the normalised advantage: A_i = w_u * centred_i / s, with s the group or
// batch std of the UNweighted centred rewards, so the weight acts in every mode (a weight applied to rewards
// before a per-group normalisation would cancel).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "learner/rollout_batch.h"

namespace ascent {

enum class AdvantageMode { kGroupCentered, kGrpo, kBatchStd, kDrGrpo, kLeaveOneOut };

absl::StatusOr<AdvantageMode> advantage_mode_parse(const std::string& s);

struct AdvantageConfig {
  AdvantageMode mode = AdvantageMode::kBatchStd;
  double grpo_eps = 1e-6;
};

// One vector per group, one value per completion.
std::vector<std::vector<double>> advantages_compute(const RolloutBatch& batch, const AdvantageConfig& cfg);

}  // namespace ascent
