// Held-out validation: mean@k pass rate of the current policy on a prompt set, generated with the actor's
// engine (continuous batching) on the learner's weights and checked by the math verifier. Greedy at
// temperature 0 (then k = 1 is enough), else k samples per prompt with seeds fixed per prompt, so two
// validations of the same weights agree. A SampleJudge replaces the verifier (a task's own scorer).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "generation/generation_config.h"
#include "generation/prompt_text.h"
#include "learner/prompt_leases.h"
#include "rewards/reward_types.h"

namespace ascent {

struct ValidationResult {
  double pass_rate = 0;  // mean over prompts of (correct samples / k)
  int64_t prompts = 0, samples = 0, tokens = 0;
  int64_t unscored = 0;     // samples the judge could not score (counted as not correct)
  std::string first_error;  // the judge's reason for the first of them
  double seconds = 0;
};

// Scores every sample of a validation at once: ComponentResult.ok false = could not score; a sample passes
// when ok and value >= 1.
using SampleJudge = std::function<std::vector<ComponentResult>(const std::vector<RewardInput>&)>;

// Whether a validation of k samples per prompt under cfg fits m's KV cache (InvalidArgument naming
// run.validation.samples otherwise): validation_run's first check, also asked before a validation starts on
// another thread.
absl::Status validation_check_fits(const ModelConfig& m, const DecodeSettings& cfg, int64_t k);

// cfg: the engine's size and every request's settings (the recipe's generation section); k per prompt;
// judge: empty = the math verifier. cancel (may be null), checked before each decode step: once set, the
// validation stops with a Cancelled error (a learner ending on an error does not wait for it).
absl::StatusOr<ValidationResult> validation_run(Model& m, const std::vector<PromptRecord>& prompts,
                                                const DecodeSettings& cfg, const PromptText& text, int64_t k,
                                                uint64_t seed, const SampleJudge& judge = {},
                                                const std::atomic<bool>* cancel = nullptr);

}  // namespace ascent
