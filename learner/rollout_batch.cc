#include "learner/rollout_batch.h"

namespace ascent {

int64_t rollout_batch_num_completions(const RolloutBatch& b) {
  int64_t n = 0;
  for (const auto& g : b.groups) n += static_cast<int64_t>(g.completions.size());
  return n;
}

int64_t rollout_batch_num_tokens(const RolloutBatch& b) {
  int64_t n = 0;
  for (const auto& g : b.groups) {
    for (const auto& c : g.completions) n += static_cast<int64_t>(c.tokens.size());
  }
  return n;
}

}  // namespace ascent
