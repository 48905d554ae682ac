// Glue between a RolloutBatch and the engine: one packed engine PackedBatch with a segment per completion
// (prompt tokens + completion tokens), and where each completion token's log-prob sits in the engine's output
// (model_forward_logprobs returns log-probs of tokens 1..len-1 of every segment, segment after segment).
// Completion token j of a segment with a P-token prompt is segment token P + j, so its log-prob is that
// segment's target P + j - 1.
#pragma once

#include <cstdint>
#include <vector>

#include "learner/rollout_batch.h"
#include "model/transformer.h"

namespace ascent {

struct PolicyBatch {
  PackedBatch batch;
  std::vector<int64_t> rows;  // per completion token (flattened as in FlatTokens): index in the engine output
  int64_t num_targets = 0;    // length of the engine output
};

PolicyBatch policy_batch_build(const RolloutBatch& rb);
// The completion tokens' log-probs out of the engine output.
std::vector<float> policy_batch_gather(const PolicyBatch& pb, const std::vector<float>& engine_logp);
// The engine's dlogp (zeros on prompt positions) from the learner's per-completion-token dL/dlogp.
std::vector<float> policy_batch_scatter(const PolicyBatch& pb, const std::vector<float>& dlogp);

// A rank's share of rb's groups (group g on rank g % ranks), in micro-batches of whole groups holding at most
// micro_batch_tokens prompt + completion tokens (a larger group makes a micro-batch of its own).
std::vector<std::vector<size_t>> rank_micro_batches(const RolloutBatch& rb, int rank, int ranks,
                                                    int64_t micro_batch_tokens);
// The groups `groups` of rb as a batch of their own.
RolloutBatch rollout_batch_subset(const RolloutBatch& rb, const std::vector<size_t>& groups);

}  // namespace ascent
