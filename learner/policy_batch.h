// Glue between a RolloutBatch and the engine: one packed engine PackedBatch per batch of groups, and where
// each completion token's log-prob sits in the engine's output (model_forward_logprobs returns, segment after
// segment, the log-probs of tokens 1..len-1 of every segment with targets).
// A group of two or more completions is packed with its prompt shared (model/transformer.h): the prompt's
// first P-1 tokens once (no targets), then per completion a continuation [last prompt token, completion], so
// the prompt runs through the layers once per group instead of once per completion; completion token j is
// the continuation's token j + 1, its target j. A lone completion (or a 1-token prompt) is one whole sequence
// (prompt + completion): completion token j is segment token P + j, its target P + j - 1. Either way the
// log-probs and gradients are those of each completion after its own prompt (tests/test_shared_prefix.cc).
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

// share_prompts = false lays every completion out whole (the reference layout of tests and benchmarks).
PolicyBatch policy_batch_build(const RolloutBatch& rb, bool share_prompts = true);
// The completion tokens' log-probs out of the engine output.
std::vector<float> policy_batch_gather(const PolicyBatch& pb, const std::vector<float>& engine_logp);
// The engine's dlogp (zeros on prompt positions) from the learner's per-completion-token dL/dlogp.
std::vector<float> policy_batch_scatter(const PolicyBatch& pb, const std::vector<float>& dlogp);

// A rank's share of rb's groups (group g on rank g % ranks), in micro-batches of whole groups holding at most
// micro_batch_tokens tokens as packed above (a larger group makes a micro-batch of its own).
std::vector<std::vector<size_t>> rank_micro_batches(const RolloutBatch& rb, int rank, int ranks,
                                                    int64_t micro_batch_tokens);
// The groups `groups` of rb as a batch of their own.
RolloutBatch rollout_batch_subset(const RolloutBatch& rb, const std::vector<size_t>& groups);

}  // namespace ascent
