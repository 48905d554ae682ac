// Supervised fine-tuning on prompt -> answer pairs: the starting policy of the quickstart (a tiny model that
// learns the task's format, and part of the task, before RL). Each example is the recipe's template applied
// to the prompt, then the answer's tokens and the end-of-sequence token; the loss is the mean negative
// log-likelihood of the answer and eos tokens over the batch (the prompt carries no loss). AdamW with linear
// warm-up; batches drawn with replacement from a seeded stream.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "generation/prompt_text.h"
#include "learner/prompt_leases.h"
#include "model/model.h"

namespace ascent {

struct SftConfig {
  int64_t steps = 500, batch = 64, warmup_steps = 20;
  double lr = 1e-3, weight_decay = 0.0, grad_clip = 1.0;
  uint64_t seed = 1;
};

// Returns the mean loss of the last 20 steps. `log(step, loss)` is called after every step.
absl::StatusOr<double> sft_run(Model& m, const std::vector<PromptRecord>& data, const PromptText& text,
                               int32_t eos, const SftConfig& cfg,
                               const std::function<void(int64_t, double)>& log);

}  // namespace ascent
