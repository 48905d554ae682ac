// The learner's input: scored rollout groups. A group is one prompt with its G completions; every completion
// carries per-token data from the actor (docs/algorithms.md notation: y_{i,t}, logp_gen, policy version).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ascent {

// One sampled completion as the learner trains on it. Its wire form is rollout::v1::Completion
// (proto/rollout.proto); the actor's in-engine form is GenSequence (generation/continuous_batcher.h); the
// rewards see it as text (rewards/reward_pipeline.h's ScoredCompletion is its score).
struct Rollout {
  std::vector<int32_t> tokens;     // completion tokens only (the prompt is in the group)
  std::vector<uint8_t> loss_mask;  // 1: the token carries loss; 0: forced interruption text, tool output
  std::vector<float> logp_gen;     // log-prob under the sampling policy, float32, one per token
  std::vector<int64_t> version;    // policy version that sampled each token
  double reward = 0.0;             // final scalar reward (after shaping)
  bool correct = false;            // verifier outcome, for pass rates (No-Positive-Resampling)
  bool truncated = false;          // hit the generation limit
  // Multi-turn tool use (0 without tools): assistant turns, tool calls answered, failed calls by kind.
  int64_t turns = 0, tool_calls = 0;
  std::map<std::string, int64_t> tool_errors;
};

struct PromptGroup {
  std::string prompt_id;
  std::vector<int32_t> prompt_tokens;
  std::vector<Rollout> completions;  // G
  double weight = 1.0;               // per-prompt advantage weight (HERO's w(sigma_u)); 1 = none
};

struct RolloutBatch {
  std::vector<PromptGroup> groups;
};

int64_t rollout_batch_num_completions(const RolloutBatch& b);
int64_t rollout_batch_num_tokens(const RolloutBatch& b);  // completion tokens, masked or not

}  // namespace ascent
