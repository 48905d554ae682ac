// A recipe file (YAML): every section parsed and validated, with file:line:key errors. Keys and defaults are
// documented in docs/recipes.md; the sections belong to the parts that use them:
//   name, seed, model: {path}        here
//   data:        here (job/prompt_data.h reads the prompts)
//   generation:  generation/generation_config.h
//   algorithm:   learner/algo_config.h
//   rewards:     rewards/rewards_config.h
//   optimizer:   learner/learner_config.h (model/adamw.h)
//   run:         learner/learner_config.h (steps, processes, validation, checkpoints)
//   cluster:     job/cluster_config.h (ascent launch)
// Relative paths are taken relative to the recipe's directory.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "job/cluster_config.h"
#include "learner/learner_config.h"
#include "yaml-cpp/yaml.h"

namespace ascent {

struct DataConfig {
  std::string train;    // JSONL: {"prompt", "answer", optional "id", "metadata"}
  std::string builtin;  // "arithmetic" or "addition": the synthetic task (instead of train)
  int64_t builtin_size = 4000;
  int64_t builtin_min_operand = 0, builtin_max_operand = 50;
  std::string validation;  // JSONL; else validation_split of train is held out
  double validation_split = 0.0;
  int64_t validation_size = 0;  // at most this many held-out prompts (0: all)
};

// A recipe is the learner's settings (learner/learner_config.h) plus what only the job reads: the file's
// directory (relative paths resolve from it) and the data section (the learner gets the prompts loaded).
struct Recipe : LearnerConfig {
  std::string dir;
  DataConfig data;
  ClusterConfig cluster;  // cluster: (job/cluster_config.h), for `ascent launch`
};

absl::StatusOr<Recipe> recipe_load(const std::string& path);
// The same from text; `name` is the file's path (errors, and relative paths resolve from its directory).
absl::StatusOr<Recipe> recipe_parse(const std::string& text, const std::string& name);
// The resolved recipe (every key with its value, defaults included) as YAML.
std::string recipe_resolved_yaml(const Recipe& r);

}  // namespace ascent
