// Held-out validation: mean@k pass rate of the current policy on a prompt set, generated with the actor's
// engine (continuous batching) on the learner's weights and checked by the math verifier. Greedy at
// temperature 0 (then k = 1 is enough), else k samples per prompt with seeds fixed per prompt, so two
// validations of the same weights agree.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "generation/generation_config.h"
#include "generation/prompt_text.h"
#include "learner/prompt_leases.h"

namespace ascent {

struct ValidationResult {
  double pass_rate = 0;  // mean over prompts of (correct samples / k)
  int64_t prompts = 0, samples = 0, tokens = 0;
  double seconds = 0;
};

// cfg: the engine's size and every request's settings (the recipe's generation section); k per prompt.
absl::StatusOr<ValidationResult> validation_run(Model& m, const std::vector<PromptRecord>& prompts,
                                                const DecodeSettings& cfg, const PromptText& text, int64_t k,
                                                uint64_t seed);

}  // namespace ascent
