// Data filters (docs/algorithms.md section 4).
//  - Zero-variance filtering (ScaleRL): drop every prompt whose G rewards are all equal; the batch is not
//    refilled.
//  - DAPO dynamic sampling: keep taking groups, dropping degenerate ones, until the batch holds P groups.
//  - Soft overlong shaping (DAPO, GRPO-TCR): reward += R_len(|y|).
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

// DAPO dynamic sampling: offer groups until full(); degenerate (zero-variance) ones are counted and dropped.
class DynamicSamplingBuffer {
 public:
  explicit DynamicSamplingBuffer(int64_t target_groups) : target_(target_groups) {}
  bool offer(PromptGroup g);  // true if kept
  bool full() const { return static_cast<int64_t>(batch_.groups.size()) >= target_; }
  RolloutBatch take();  // the collected groups; the buffer starts over
  int64_t dropped() const { return dropped_; }

 private:
  int64_t target_;
  int64_t dropped_ = 0;
  RolloutBatch batch_;
};

}  // namespace ascent
