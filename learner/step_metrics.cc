#include "learner/step_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ascent {

namespace {

// Multi-turn tool use (docs/agentic.md), when the batch's completions report turns (the recipe's tools on):
// turns and tool calls per completion, the share of calls that succeeded, failed calls by kind, and the
// tokens masked from the loss (tool output and template glue) per completion.
void tool_metrics(const RolloutBatch& b, std::map<std::string, double>& m) {
  int64_t completions = 0, turns = 0, calls = 0, failed = 0, masked = 0;
  std::map<std::string, int64_t> errors;
  for (const auto& g : b.groups) {
    for (const auto& c : g.completions) {
      ++completions;
      turns += c.turns;
      calls += c.tool_calls;
      for (const auto& [kind, n] : c.tool_errors) errors[kind] += n, failed += n;
      for (uint8_t x : c.loss_mask) masked += x == 0;
    }
  }
  if (turns == 0 || completions == 0) return;
  const double n = static_cast<double>(completions);
  m["turns/mean"] = static_cast<double>(turns) / n;
  m["tools/calls_per_completion"] = static_cast<double>(calls) / n;
  if (calls > 0) m["tools/success_rate"] = static_cast<double>(calls - failed) / static_cast<double>(calls);
  for (const auto& [kind, k] : errors) m["tools/errors/" + kind] = static_cast<double>(k);
  m["tokens/masked"] = static_cast<double>(masked) / n;
}

}  // namespace

std::map<std::string, double> step_metrics_compute(const StepMetricsInput& in) {
  std::map<std::string, double> m;
  if (in.loss) {
    const LossStats& s = in.loss->stats;
    m["loss/value"] = in.loss->loss;
    m["loss/clip_frac_low"] = s.clip_frac_low;
    m["loss/clip_frac_high"] = s.clip_frac_high;
    m["loss/rho_mean"] = s.rho_mean;
    m["loss/rho_max"] = s.rho_max;
    m["loss/kl_gen_train"] = s.kl_gen_train;
    m["batch/loss_tokens"] = static_cast<double>(s.loss_tokens);
    if (s.kl_ref_max > -1e299) {  // a KL to the reference was computed (algorithm.kl.beta > 0)
      m["kl/ref_mean"] = s.kl_ref_mean;
      m["kl/ref_max"] = s.kl_ref_max;
    }
    if (s.ratio_hist.total() > 0) {  // the behaviour ratio pi_train / pi_gen at the correction's level
      m["mismatch/ratio_p50"] = s.ratio_hist.quantile(0.5);
      m["mismatch/ratio_p99"] = s.ratio_hist.quantile(0.99);
      m["mismatch/ratio_max"] = std::exp(std::clamp(s.ratio_log_max, -80.0, 80.0));
    }
    m["mismatch/truncated_frac"] = s.mismatch_truncated_frac;
    m["mismatch/masked_frac"] = s.mismatch_masked_frac;
  }
  if (in.batch) {
    const int64_t kept = static_cast<int64_t>(in.batch->groups.size());
    m["batch/prompts"] = static_cast<double>(kept);
    m["batch/filtered_prompt_frac"] =
        in.groups_before_filter > 0
            ? static_cast<double>(in.groups_before_filter - kept) / in.groups_before_filter
            : 0.0;
    int64_t completions = 0, truncated = 0, tokens = 0;
    int64_t lag_min = std::numeric_limits<int64_t>::max(), lag_max = 0;
    double lag_sum = 0.0, reward_sum = 0.0;
    for (const auto& g : in.batch->groups) {
      for (const auto& c : g.completions) {
        ++completions;
        truncated += c.truncated;
        reward_sum += c.reward;
        for (int64_t v : c.version) {
          const int64_t lag = in.learner_version - v;
          lag_min = std::min(lag_min, lag);
          lag_max = std::max(lag_max, lag);
          lag_sum += static_cast<double>(lag);
          ++tokens;
        }
      }
    }
    m["batch/completions"] = static_cast<double>(completions);
    m["batch/truncated_frac"] = completions ? static_cast<double>(truncated) / completions : 0.0;
    m["batch/reward_mean"] = completions ? reward_sum / completions : 0.0;
    m["lag/min"] = tokens ? static_cast<double>(lag_min) : 0.0;
    m["lag/mean"] = tokens ? lag_sum / static_cast<double>(tokens) : 0.0;
    m["lag/max"] = tokens ? static_cast<double>(lag_max) : 0.0;
    tool_metrics(*in.batch, m);
  }
  if (in.entropy && !in.entropy->empty()) {
    double s = 0.0;
    for (float e : *in.entropy) s += e;
    m["policy/entropy"] = s / static_cast<double>(in.entropy->size());
  }
  return m;
}

}  // namespace ascent
