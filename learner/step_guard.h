// The learner's guard against training on non-finite numbers, step by step. LearnerOptimizer::step skips an
// update whose global gradient norm is NaN/Inf (nothing changes) and reports whether the parameters it wrote
// are finite; this counts the skipped steps, says so in a WARNING line, and decides when the run must stop:
// after `max_in_a_row` skipped steps in a row (broken data or weights, not one unlucky batch: recipe key
// optimizer.max_skipped_steps), or at once when an update made a parameter non-finite (an overflowing
// learning rate), before those parameters are published or saved.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace ascent {

class StepGuard {
 public:
  explicit StepGuard(int64_t max_in_a_row) : max_in_a_row_(max_in_a_row) {}
  // After the optimiser's step `step` (0-based): OK to go on, with *warning set (non-empty) when the step was
  // skipped; FailedPrecondition naming the cause when the run must stop. last_checkpoint < 0: none yet.
  absl::Status after_step(int64_t step, double grad_norm, bool params_finite, int64_t last_checkpoint,
                          std::string* warning);
  int64_t skipped() const { return skipped_; }  // steps skipped so far in this run

 private:
  int64_t max_in_a_row_;
  int64_t skipped_ = 0, in_a_row_ = 0;
};

}  // namespace ascent
