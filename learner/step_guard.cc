#include "learner/step_guard.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace ascent {

absl::Status StepGuard::after_step(int64_t step, double grad_norm, bool params_finite,
                                   int64_t last_checkpoint, std::string* warning) {
  warning->clear();
  if (!std::isfinite(grad_norm)) {
    ++skipped_, ++in_a_row_;
    *warning = absl::StrCat("WARNING: step ", step, ": the gradient norm is ", grad_norm,
                            ": the update is skipped (weights and AdamW moments unchanged); ", in_a_row_,
                            " in a row, the run stops at ", max_in_a_row_, " (optimizer.max_skipped_steps)");
    if (in_a_row_ < max_in_a_row_) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        "step ", step, ": ", in_a_row_,
        " steps in a row had a non-finite gradient norm (optimizer.max_skipped_steps): the run stops; "
        "nothing "
        "non-finite was trained, published or saved",
        last_checkpoint >= 0 ? absl::StrCat("; the last checkpoint is step ", last_checkpoint) : ""));
  }
  in_a_row_ = 0;
  if (params_finite) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "step ", step,
      ": the update made a weight non-finite (is optimizer.lr too large?): the run stops without "
      "publishing or saving it",
      last_checkpoint >= 0 ? absl::StrCat("; the last checkpoint is step ", last_checkpoint) : ""));
}

}  // namespace ascent
