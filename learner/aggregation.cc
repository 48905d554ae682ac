#include "learner/aggregation.h"

namespace ascent {

absl::StatusOr<AggregationMode> aggregation_mode_parse(const std::string& s) {
  if (s == "token") return AggregationMode::kToken;
  if (s == "prompt") return AggregationMode::kPrompt;
  if (s == "sample") return AggregationMode::kSample;
  if (s == "fixed") return AggregationMode::kFixed;
  return absl::InvalidArgumentError("unknown aggregation mode '" + s + "'");
}

namespace {
bool carries_loss(const Rollout& c, size_t t, const AggregationConfig& cfg) {
  if (cfg.overlong_filter && c.truncated) return false;
  return t >= c.loss_mask.size() || c.loss_mask[t] != 0;  // an absent mask means every token carries loss
}

int64_t loss_tokens(const Rollout& c, const AggregationConfig& cfg) {
  int64_t n = 0;
  for (size_t t = 0; t < c.tokens.size(); ++t) n += carries_loss(c, t, cfg);
  return n;
}
}  // namespace

std::vector<float> aggregation_coefficients(const RolloutBatch& batch, const AggregationConfig& cfg) {
  const double P = static_cast<double>(batch.groups.size());
  const double n_completions = static_cast<double>(rollout_batch_num_completions(batch));
  int64_t batch_tokens = 0;
  for (const auto& g : batch.groups) {
    for (const auto& c : g.completions) batch_tokens += loss_tokens(c, cfg);
  }
  std::vector<float> coef;
  coef.reserve(static_cast<size_t>(rollout_batch_num_tokens(batch)));
  for (const auto& g : batch.groups) {
    int64_t group_tokens = 0;
    for (const auto& c : g.completions) group_tokens += loss_tokens(c, cfg);
    for (const auto& c : g.completions) {
      const int64_t own = loss_tokens(c, cfg);
      double v = 0.0;
      switch (cfg.mode) {
        case AggregationMode::kToken:
          v = batch_tokens ? 1.0 / static_cast<double>(batch_tokens) : 0.0;
          break;
        case AggregationMode::kPrompt:
          v = group_tokens ? 1.0 / (P * static_cast<double>(group_tokens)) : 0.0;
          break;
        case AggregationMode::kSample:
          v = own ? 1.0 / (n_completions * static_cast<double>(own)) : 0.0;
          break;
        case AggregationMode::kFixed:
          v = 1.0 / (static_cast<double>(cfg.fixed_max_tokens) * n_completions);
          break;
      }
      for (size_t t = 0; t < c.tokens.size(); ++t)
        coef.push_back(carries_loss(c, t, cfg) ? static_cast<float>(v) : 0.0f);
    }
  }
  return coef;
}

}  // namespace ascent
