// Prompt sets for training and validation: JSONL files (one {"prompt": "...", "answer": "...", optional "id",
// optional "metadata": {...}} per line; errors name file:line), or the built-in synthetic arithmetic task of
// the quickstart. The validation set is its own file, or a seeded share of the training prompts held out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "job/recipe.h"
#include "learner/prompt_leases.h"

namespace ascent {

absl::StatusOr<std::vector<PromptRecord>> prompt_data_read_jsonl(const std::string& path);
// "a+b=" / "a-b=" (additions_only: "a+b=") with operands in [min_operand, max_operand]; answers are the
// integer results. Ids "arith-<i>". The same seed gives the same prompts as before min_operand existed.
std::vector<PromptRecord> prompt_data_arithmetic(int64_t n, int64_t min_operand, int64_t max_operand,
                                                 uint64_t seed, bool additions_only = false);
absl::StatusOr<PromptSet> prompt_data_load(const DataConfig& d, uint64_t seed);

}  // namespace ascent
