// Loss aggregation (docs/algorithms.md section 3): the coefficient c_{i,t} of each token's loss l_{i,t} in
// L = sum c_{i,t} l_{i,t}. Independent of the loss. Tokens without loss (mask 0, or every token of a
// completion dropped by overlong filtering) get 0 and do not count in any denominator.
//   token:  c = 1 / (loss tokens in the batch)                                   (DAPO, GRPO-TCR)
//   prompt: c = 1 / (P * loss tokens of the prompt's G completions)             (ScaleRL)
//   sample: c = 1 / (number of completions * loss tokens of the completion)     (GRPO)
//   fixed:  c = 1 / (fixed_max_tokens * number of completions)                  (Dr.GRPO)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "learner/rollout_batch.h"

namespace ascent {

enum class AggregationMode { kToken, kPrompt, kSample, kFixed };

absl::StatusOr<AggregationMode> aggregation_mode_parse(const std::string& s);

struct AggregationConfig {
  AggregationMode mode = AggregationMode::kPrompt;
  int64_t fixed_max_tokens = 16384;  // fixed mode's constant per completion
  bool overlong_filter = false;      // truncated completions get zero loss weight
};

// Coefficients for every completion token of the batch, flattened group by group, completion by completion.
std::vector<float> aggregation_coefficients(const RolloutBatch& batch, const AggregationConfig& cfg);

}  // namespace ascent
