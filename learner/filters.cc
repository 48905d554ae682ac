#include "learner/filters.h"

#include <algorithm>

namespace ascent {

bool group_is_zero_variance(const PromptGroup& g) {
  for (const auto& c : g.completions) {
    if (c.reward != g.completions.front().reward) return false;
  }
  return true;
}

int64_t filter_zero_variance(RolloutBatch* batch) {
  auto& gs = batch->groups;
  const auto before = gs.size();
  gs.erase(std::remove_if(gs.begin(), gs.end(), group_is_zero_variance), gs.end());
  return static_cast<int64_t>(before - gs.size());
}

double overlong_shaping_reward(int64_t len, int64_t max_tokens, int64_t cache_tokens) {
  const int64_t soft = max_tokens - cache_tokens;
  if (len <= soft) return 0.0;
  if (len <= max_tokens) return static_cast<double>(soft - len) / static_cast<double>(cache_tokens);
  return -1.0;
}

void apply_overlong_shaping(RolloutBatch* batch, int64_t max_tokens, int64_t cache_tokens) {
  for (auto& g : batch->groups) {
    for (auto& c : g.completions) {
      // |y| counts the policy's own tokens: not tool output, template glue or forced interruption text.
      int64_t len = static_cast<int64_t>(c.tokens.size());
      for (uint8_t m : c.loss_mask) len -= m == 0;
      c.reward += overlong_shaping_reward(len, max_tokens, cache_tokens);
    }
  }
}

}  // namespace ascent
