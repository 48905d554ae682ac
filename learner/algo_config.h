// The recipe's `algorithm:` section: every key of the learner's maths, with the published defaults of
// docs/algorithms.md (ScaleRL unless noted). Keys are documented in docs/recipes.md. Unknown keys, wrong
// types and out-of-range values are errors naming the file, the line and the key.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "learner/advantages.h"
#include "learner/aggregation.h"
#include "learner/losses.h"
#include "yaml-cpp/yaml.h"

namespace ascent {

enum class ZeroVarianceMode { kOff, kFilter, kResample };  // resample = DAPO dynamic sampling

struct AlgoConfig {
  LossConfig loss;
  AdvantageConfig advantage;
  AggregationConfig aggregation;
  int64_t group_size = 16;        // G
  int64_t prompts_per_step = 48;  // P
  ZeroVarianceMode zero_variance = ZeroVarianceMode::kFilter;
  bool overlong_shaping = false;
  int64_t overlong_max_tokens = 20480;
  int64_t overlong_cache_tokens = 4096;
  bool no_positive_resampling = true;
  double npr_threshold = 0.9;
  int64_t max_lag = 8;  // PipelineRL-k
};

// `node` is the algorithm section (may be absent: all defaults); `file` names the recipe in errors.
absl::StatusOr<AlgoConfig> algo_config_parse(const YAML::Node& node, const std::string& file);

}  // namespace ascent
