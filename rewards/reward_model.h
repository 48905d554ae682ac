// Reward-model scoring on the engine: a Hugging Face *ForSequenceClassification checkpoint (score.weight, one
// label) scores prompt + completion at the last non-pad token (model_forward_sequence_scores). Sequences are
// packed into batches of at most batch_tokens tokens. Text becomes tokens through the checkpoint's
// tokenizer.json (or the byte tokenizer for our own tiny models without one), as the raw concatenation
// prompt + completion: the RM's chat template is not applied yet.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rewards/reward_types.h"

namespace ascent {

class RewardModel {
 public:
  static absl::StatusOr<std::unique_ptr<RewardModel>> load(const std::string& dir, int64_t batch_tokens);
  ~RewardModel();
  // One result per item; a sequence longer than the model's context fails only itself.
  std::vector<ComponentResult> score(const std::vector<RewardInput>& items);
  // The same on token ids (tests, and callers with their own tokenizer).
  std::vector<ComponentResult> score_ids(const std::vector<std::vector<int32_t>>& seqs);

 private:
  struct Impl;
  explicit RewardModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ascent
