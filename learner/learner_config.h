// What the learner process reads of a recipe (job/recipe.h parses the file; docs/recipes.md documents every
// key): the policy, the generation settings (validation decodes as the actors do), the algorithm, the rewards
// (HERO weighting happens in the learner), the optimizer and the run section.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "generation/generation_config.h"
#include "learner/algo_config.h"
#include "model/adamw.h"
#include "model/lora.h"
#include "rewards/rewards_config.h"

namespace ascent {

struct OptimizerConfig {
  AdamWConfig adamw;
  LrSchedule schedule;     // lr, warmup_steps, kind, min_lr (total_steps = run.steps)
  double grad_clip = 1.0;  // global L2 norm; 0: off
  int64_t zero_stage = 1;  // 0: every rank holds the whole AdamW state; 1: ZeRO-1 (learner/optimizer.h)
  // A step whose global gradient norm is not finite is skipped (nothing trained); this many in a row stop
  // the run with an error (the data or the weights are broken, not one unlucky batch).
  int64_t max_skipped_steps = 5;
};

struct ValidationConfig {
  int64_t every = 0;         // steps (0: only at start and end)
  int64_t samples = 1;       // k of mean@k
  double temperature = 0.0;  // 0: greedy
  int64_t max_tokens = 0;    // 0: generation.max_tokens
  // "verifier": the math verifier's verdict; else the name of a rewards.remote entry (a task's own scorer),
  // and a sample passes when that reward is >= 1.
  std::string scorer = "verifier";
  // The live sigmoid fit's c_min (curve_fit/fit.h): a compute in device-hours, or "auto" for ScaleRL's rule
  // (kCMinFraction x the largest compute so far). 0: every validation is fitted, as `ascent fit`'s default.
  std::string fit_c_min = "0";
  // Validate beside training (learner/background_validation.h): on a copy of the weights, at the lowest CPU
  // priority, one at a time; a checkpoint waits for the one in flight. false: the step waits for it.
  bool background = false;
};

struct RunConfig {
  int64_t steps = 100;
  std::string dir = "runs";
  int64_t actors = 1, learner_ranks = 1;
  int64_t actor_threads = 1, learner_threads = 1;
  int64_t port = 0;  // the learner's RolloutService (0: any free port)
  // Where the learner's ports listen (an address of this host; "0.0.0.0": every interface) and the host that
  // actors dial ("" = the bind address, or this host's name for 0.0.0.0). Beyond loopback the ports use TLS
  // (docs/security.md): run.tls's files, or a per-run CA made in <run dir>/tls/ when they are not given.
  std::string bind = "127.0.0.1", advertise;
  std::string tls_ca, tls_cert, tls_key;  // run.tls: {ca, cert, key}, PEM files
  int64_t micro_batch_tokens = 8192;
  // Small buckets keep several calls in flight and their buffers in malloc's heap (32 MB ones are mmap'd and
  // faulted in anew for every call): 2 MB measured fastest on loopback (bench_weight_update, docs/actor.md).
  int64_t weight_bucket_mb = 2;
  double lease_timeout_s = 900;  // a prompt lease open this long is handed out again (0: never)
  std::string weight_dtype = "bf16";
  bool weight_shm =
      true;  // the snapshot in /dev/shm for actors on the learner's host (transport/weight_shm.h)
  std::string device = "cpu";  // the learner's engine: cpu, cuda, cuda:N (model/backend.h)
  ValidationConfig validation;
  int64_t checkpoint_every = 0;  // steps (0: only at the end)
  int64_t checkpoint_keep = 2;
};

struct LearnerConfig {
  std::string file;  // the recipe, for errors
  std::string name;
  uint64_t seed = 1;
  std::string model_path;
  std::optional<LoraConfig> lora;  // model.lora: train LoRA adapters (model/lora.h) instead of the weights
  GenerationConfig generation;
  AlgoConfig algorithm;
  RewardsConfig rewards;
  OptimizerConfig optimizer;
  RunConfig run;
  // Written into the run directory: the recipe as given, and every key with its value.
  std::string recipe_text, recipe_resolved;
};

// runs/<name>: run.dir (relative to the recipe's directory) / name.
std::string learner_run_dir(const LearnerConfig& c);
// Loopback addresses: 127.0.0.0/8, ::1, localhost.
bool address_is_loopback(const std::string& host);
// The host of "HOST:PORT" (IPv6 "[::1]:PORT" -> "::1").
std::string address_host(const std::string& address);

}  // namespace ascent
