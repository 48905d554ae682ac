// The learner's lead rank (rank 0) as one object with named phases (docs/learner.md). Each step:
//   collect     wait until every lease of the step has returned its group (RolloutService, prompt leases);
//               each group is checked at the edge first (rollout_group_validate): a bad one is refused
//   filter      drop reward-failed completions, record pass rates (No-Positive-Resampling), weight HERO
//               groups, shape overlong rewards, zero-variance filtering; with DAPO resampling, refill leases
//               and collect again (assemble repeats collect + filter)
//   optimise    hand the batch to every rank, gradient (learner/train_step.h), clip, AdamW
//   publish     version step + 1 to the actors (WeightService)
//   validate    every run.validation.every steps and at the end: mean@k and the live sigmoid fit (with
//               run.validation.background, on a copy of the weights beside the next steps)
//   checkpoint  every run.checkpoint.every steps and at the end (after the validation in flight)
// then the step's metrics (metrics.jsonl, TensorBoard, the progress line). The other ranks run
// learner_follow (learner/learner_run.h).
#pragma once

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "collective/collective.h"
#include "curve_fit/live_fit.h"
#include "generation/generation_config.h"
#include "generation/prompt_text.h"
#include "learner/background_validation.h"
#include "learner/curriculum.h"
#include "learner/learner_config.h"
#include "learner/learner_models.h"
#include "learner/optimizer.h"
#include "learner/prompt_leases.h"
#include "learner/rollout_batch.h"
#include "learner/rollout_endpoint.h"
#include "learner/run_log.h"
#include "learner/step_guard.h"
#include "learner/train_step.h"
#include "model/adamw.h"
#include "model/model.h"
#include "model/tokenizer/text_codec.h"
#include "nlohmann/json.hpp"
#include "rewards/hero.h"
#include "transport/rollout_server.h"
#include "transport/weight_server.h"

namespace ascent {

struct LearnerOptions {
  bool resume = false;  // continue from runs/<name>/checkpoints/latest
  bool fresh = false;   // remove an existing run directory first
  bool requeue =
      false;          // a scheduler's restart: resume when a checkpoint exists, else start at step 0 in place
  int64_t port = -1;  // RolloutService port (-1: the recipe's run.port)
  double lost_after_s = 10;
  bool progress = true;   // the one-line console display
  int64_t processes = 0;  // processes of the job for compute/device_hours (0: actors + learner ranks)
  const std::atomic<bool>* stop = nullptr;  // set (Ctrl-C): checkpoint the last finished step and return
};

// What became of every group the actors sent (docs/metrics.md, groups/*); checkpointed.
struct GroupCounters {
  int64_t generated = 0, trained = 0, filtered = 0, dropped_duplicate = 0, dropped_reward = 0;
  int64_t dropped_invalid = 0;     // refused at the edge (rollout_group_validate); not counted as generated
  int64_t dropped_not_holder = 0;  // for a lease never handed to the sender; not counted as generated
  int64_t leases_given_up = 0;     // leases whose groups were refused PromptLeases::kMaxRefusals times
  int64_t completions_dropped_reward = 0, tokens = 0;
  double wall_s = 0;  // of earlier segments of the run (before a resume)
  nlohmann::json to_json() const;
  void from_json(const nlohmann::json& j);
};

// A checkpoint to resume from (empty dir: a fresh start): the step and the run state (state.json).
struct ResumePoint {
  std::string dir;
  int64_t step = 0;
  nlohmann::json state;
};

class Learner {
 public:
  // m and opt are loaded (from the recipe's model or the checkpoint); prompts are the run's.
  Learner(const LearnerConfig& r, const PromptSet& prompts, const LearnerOptions& o, Collective& coll,
          LearnerModels models, LearnerOptimizer& opt, ResumePoint resume);
  // Restores the run state, starts the services and the logs, validates step 0 of a fresh run.
  absl::Status start();
  // Steps until run.steps, Ctrl-C, no prompts left or an error; then the final checkpoint and summary.
  absl::Status run();

 private:
  // start()'s parts: the data order, leases and counters (restored from resume_.state on a resume), then the
  // weight and rollout services, the logs and step 0's validation.
  absl::Status restore_and_lease(const std::string& where);
  absl::Status start_services();
  absl::StatusOr<ServerSecurity> server_security();
  std::string advertised_host() const;
  absl::Status check_prompts();
  // The leases (and prompt ids) of the groups collected for the step being assembled, for leases.jsonl.
  std::vector<int64_t> step_leases_;
  std::vector<std::string> step_prompts_;
  // The phases of one step.
  absl::StatusOr<bool> collect(int64_t step, std::vector<rollout::v1::Group>* groups);  // false: interrupted
  int64_t filter(int64_t step, std::vector<rollout::v1::Group> groups, RolloutBatch* rb, int64_t* received);
  absl::StatusOr<bool> assemble(int64_t step, RolloutBatch* rb,
                                int64_t* groups_before);  // false: interrupted
  absl::StatusOr<StepGradient> optimise(int64_t step, const RolloutBatch& rb, double* grad_norm);
  void publish(int64_t step, const RolloutBatch& rb);
  void report_weight_shm();
  // Validation of the weights after `step`: the step waits for it and its metrics go into mm (the step's
  // row); with run.validation.background, started beside training instead (mm gets time/validation_wait_s
  // when the one before was still in flight) and its metrics become a row of their own when it finishes.
  absl::Status validate(int64_t step, std::map<std::string, double>* mm);
  int64_t validation_k() const;  // samples per held-out prompt (k of mean@k)
  BackgroundValidation::Job validation_job();
  // The val/* and fit/* metrics and log lines of a finished validation; wall: the run's time (compute/
  // wall_s) that made the validated weights.
  void report_validation(int64_t step, const ValidationResult& v, double wall,
                         std::map<std::string, double>* mm);
  absl::Status report_background(BackgroundValidation::Done done);
  absl::Status poll_validation();                    // writes the row of a finished background validation
  absl::Status finish_validation(double* waited_s);  // waits for the one in flight and writes its row
  absl::Status start_validation_scorer();
  absl::Status checkpoint(int64_t next_step);

  // One step through every phase; false when the run ends here (interrupted, or no prompts left).
  absl::StatusOr<bool> step_once(int64_t step);
  void receive(int timeout_ms);
  std::map<std::string, double> step_metrics(int64_t step, const RolloutBatch& rb, int64_t groups_before,
                                             const StepGradient& grad, double grad_norm);
  void compute_metrics(std::map<std::string, double>* mm);
  std::map<std::string, double> compute_now() const;  // compute/wall_s, compute/device_hours, compute/tokens
  double wall_s() const;
  void summary();

  const LearnerConfig& r_;
  const PromptSet& data_;
  const LearnerOptions& o_;
  Collective& coll_;
  LearnerModels models_;
  Model& m_;  // models_.policy
  LearnerOptimizer& opt_;
  ResumePoint resume_;
  int64_t last_checkpoint_step_ = -1;                // the step of the last checkpoint this run wrote
  StepGuard guard_{r_.optimizer.max_skipped_steps};  // non-finite gradient norms and parameters
  const std::string run_dir_;
  std::map<std::string, size_t> by_id_;
  // The data order: the learner thread records pass rates while RolloutService threads draw prompts (through
  // the leases, under the endpoint's lock; lock order: endpoint, then data_mu_).
  absl::Mutex data_mu_;
  PassRateHistory history_ ABSL_GUARDED_BY(data_mu_);
  std::unique_ptr<PromptSampler> sampler_ ABSL_PT_GUARDED_BY(data_mu_);
  std::unique_ptr<PromptLeases> leases_;
  HeroState hero_;
  GroupCounters count_;
  LiveFit live_;
  std::unique_ptr<WeightPublisher> publisher_;
  std::string weight_shm_error_;      // the last shm_error() logged
  std::unique_ptr<ServerAuth> auth_;  // the run's token checks on both ports
  std::unique_ptr<WeightServer> weight_server_;
  EndpointConfig endpoint_cfg_;
  std::unique_ptr<RolloutEndpoint> endpoint_;
  std::unique_ptr<GroupInbox> inbox_;
  std::unique_ptr<RolloutServer> server_;
  std::unique_ptr<RunLog> log_;
  std::unique_ptr<TextCodec> codec_;
  DecodeSettings validation_decode_;
  PromptText validation_text_;
  std::unique_ptr<RemoteReward> validation_scorer_;             // run.validation.scorer names a remote reward
  std::map<int64_t, std::vector<rollout::v1::Group>> pending_;  // received groups by step
  std::chrono::steady_clock::time_point t_start_;
  int64_t processes_ = 1;
  double last_val_ = NAN, step_s_avg_ = 0;
  int64_t last_val_step_ = -1;
  std::map<std::string, double> bg_compute_;  // compute_now() when the validation in flight started
  // Last: destroyed first, so that a validation in flight stops before what it reads (the decode settings,
  // the codec, the scorer) goes.
  std::unique_ptr<BackgroundValidation> bg_val_;
};

}  // namespace ascent
