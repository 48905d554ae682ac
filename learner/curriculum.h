// No-Positive-Resampling (ScaleRL) and the epoch sampler over a prompt set.
// PassRateHistory keeps every prompt's pass rate per step; once a prompt's pass rate in one step reaches the
// threshold [0.9] it is retired and never sampled again in later epochs. PromptSampler walks the prompt set
// epoch by epoch in a seeded shuffled order, skipping retired prompts. Both serialise to JSON exactly
// (doubles are written in shortest round-trip form), so a resumed run continues bit for bit.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "learner/rollout_batch.h"

namespace ascent {

// Share of a group's completions the verifier marked correct.
double group_pass_rate(const PromptGroup& g);

class PassRateHistory {
 public:
  explicit PassRateHistory(double threshold = 0.9) : threshold_(threshold) {}
  void record(const std::string& prompt_id, double pass_rate, int64_t step);
  bool retired(const std::string& prompt_id) const;
  int64_t num_retired() const;
  double threshold() const { return threshold_; }
  const std::vector<std::pair<int64_t, double>>& history(const std::string& prompt_id) const;

  std::string serialize() const;
  static absl::StatusOr<PassRateHistory> parse(const std::string& text, const std::string& source);

 private:
  struct Entry {
    std::vector<std::pair<int64_t, double>> rates;  // (step, pass rate)
    int64_t retired_at = -1;
  };
  double threshold_;
  std::map<std::string, Entry> entries_;
};

class PromptSampler {
 public:
  // history may be null (no No-Positive-Resampling); it must outlive the sampler.
  PromptSampler(std::vector<std::string> prompt_ids, uint64_t seed, const PassRateHistory* history);
  // The next prompt to sample, or an error when every prompt is retired.
  absl::StatusOr<std::string> next();
  int64_t epoch() const { return epoch_; }

  std::string serialize() const;  // epoch and cursor (the prompt ids and seed come from the recipe)
  absl::Status restore(const std::string& text, const std::string& source);

 private:
  void shuffle_epoch();
  std::vector<std::string> ids_;
  uint64_t seed_;
  const PassRateHistory* history_;
  std::vector<size_t> order_;
  int64_t epoch_ = 0;
  size_t cursor_ = 0;
};

}  // namespace ascent
