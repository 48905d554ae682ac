// Data filters (docs/algorithms.md section 4).
//  - Zero-variance filtering (ScaleRL): drop every prompt whose G final rewards (after overlong shaping) are
//    all equal; the batch is not refilled. DAPO's dynamic sampling refills it instead: the learner hands out
//    new leases of the same step for the dropped groups (Learner::assemble, learner/learner.h).
//  - Soft overlong shaping (DAPO, GRPO-TCR): reward += R_len(|y|), |y| the completion's sampled tokens (those
//    with loss: tool output, template glue and forced interruption text do not count).
//  - Overlong filtering (truncated completions get zero loss weight) lives in AggregationConfig.
#pragma once

#include <cstdint>

#include "learner/rollout_batch.h"

namespace ascent {

bool group_is_zero_variance(const PromptGroup& g);
// Removes zero-variance groups in place, keeping the order of the rest; returns how many were dropped.
int64_t filter_zero_variance(RolloutBatch* batch);

// R_len(len) = 0 if len <= L_max - L_cache; ((L_max - L_cache) - len) / L_cache up to L_max; -1 beyond.
double overlong_shaping_reward(int64_t len, int64_t max_tokens, int64_t cache_tokens);
void apply_overlong_shaping(RolloutBatch* batch, int64_t max_tokens, int64_t cache_tokens);

}  // namespace ascent
