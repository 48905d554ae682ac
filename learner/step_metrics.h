// Per-step learner metrics. The names are a file format (metrics.jsonl, TensorBoard): documented in
// docs/metrics.md, chosen once, never renamed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "learner/losses.h"
#include "learner/rollout_batch.h"

namespace ascent {

struct StepMetricsInput {
  const LossResult* loss = nullptr;
  const RolloutBatch* batch = nullptr;  // after filtering
  int64_t groups_before_filter = 0;
  int64_t learner_version = 0;                  // lag = learner_version - token version
  const std::vector<float>* entropy = nullptr;  // per token, optional
};

std::map<std::string, double> step_metrics_compute(const StepMetricsInput& in);

}  // namespace ascent
