// The learner process (`ascent learner`, started by `ascent train`): rank 0 serves RolloutService (prompt
// leases, scored groups) and WeightService, assembles each step's batch from the groups of that step's
// leases, applies HERO weights, No-Positive-Resampling, overlong shaping and zero-variance filtering, and
// hands the batch to every rank; all ranks compute their share of the gradient (learner/train_step.h), sum it
// (Collective) and take the same AdamW step; rank 0 publishes version step + 1, validates, logs metrics
// (metrics.jsonl, TensorBoard, the console line) and writes checkpoints. See docs/learner.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "collective/collective.h"
#include "learner/learner_config.h"
#include "learner/prompt_leases.h"

namespace ascent {

struct LearnerOptions {
  bool resume = false;  // continue from runs/<name>/checkpoints/latest
  bool fresh = false;   // remove an existing run directory first
  int64_t port = -1;    // RolloutService port (-1: the recipe's run.port)
  double lost_after_s = 10;
  bool progress = true;   // the one-line console display
  int64_t processes = 0;  // processes of the job for compute/device_hours (0: actors + learner ranks)
  const std::atomic<bool>* stop = nullptr;  // set (Ctrl-C): checkpoint the last finished step and return
};

// data: the run's prompts (read on rank 0 only; the other ranks may pass an empty set).
absl::Status learner_run(const LearnerConfig& r, const PromptSet& data, const LearnerOptions& o,
                         Collective& coll);

}  // namespace ascent
