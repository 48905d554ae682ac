// A recipe file (YAML): every section parsed and validated, with file:line:key errors. Keys and defaults are
// documented in docs/recipes.md; the sections belong to the parts that use them:
//   name, seed, model: {path}        here
//   data:        here (learner/prompt_data.h reads the prompts)
//   generation:  actor/generation_config.h
//   algorithm:   learner/algo_config.h
//   rewards:     rewards/rewards_config.h
//   optimizer:   here (model/adamw.h)
//   run:         here (steps, processes, validation, checkpoints)
// Relative paths are taken relative to the recipe's directory.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "actor/generation_config.h"
#include "learner/algo_config.h"
#include "model/adamw.h"
#include "rewards/rewards_config.h"
#include "yaml-cpp/yaml.h"

struct DataConfig {
  std::string train;    // JSONL: {"prompt", "answer", optional "id", "metadata"}
  std::string builtin;  // "arithmetic": the synthetic task (instead of train)
  int64_t builtin_size = 4000;
  int64_t builtin_max_operand = 50;
  std::string validation;  // JSONL; else validation_split of train is held out
  double validation_split = 0.0;
  int64_t validation_size = 0;  // at most this many held-out prompts (0: all)
};

struct OptimizerConfig {
  AdamWConfig adamw;
  LrSchedule schedule;     // lr, warmup_steps, kind, min_lr (total_steps = run.steps)
  double grad_clip = 1.0;  // global L2 norm; 0: off
};

struct ValidationConfig {
  int64_t every = 0;         // steps (0: only at start and end)
  int64_t samples = 1;       // k of mean@k
  double temperature = 0.0;  // 0: greedy
  int64_t max_tokens = 0;    // 0: generation.max_tokens
};

struct RunConfig {
  int64_t steps = 100;
  std::string dir = "runs";
  int64_t actors = 1, learner_ranks = 1;
  int64_t actor_threads = 1, learner_threads = 1;
  int64_t port = 0;  // the learner's RolloutService (0: any free port)
  int64_t micro_batch_tokens = 8192;
  int64_t weight_bucket_mb = 32;
  std::string weight_dtype = "bf16";
  ValidationConfig validation;
  int64_t checkpoint_every = 0;  // steps (0: only at the end)
  int64_t checkpoint_keep = 2;
};

struct Recipe {
  std::string file, dir;  // the recipe and its directory
  std::string text;       // the file as read (copied into the run directory)
  std::string name;
  uint64_t seed = 1;
  std::string model_path;
  DataConfig data;
  GenerationConfig generation;
  AlgoConfig algorithm;
  RewardsConfig rewards;
  OptimizerConfig optimizer;
  RunConfig run;
};

absl::StatusOr<Recipe> recipe_load(const std::string& path);
// The same from text; `name` is the file's path (errors, and relative paths resolve from its directory).
absl::StatusOr<Recipe> recipe_parse(const std::string& text, const std::string& name);
// The resolved recipe (every key with its value, defaults included) as YAML.
std::string recipe_resolved_yaml(const Recipe& r);
