// The generator actor (PipelineRL): leases prompts from the learner, generates their groups with continuous
// batching, scores each finished group through rewards/ and streams it to the learner, while new weights are
// received beside decoding into a staging copy and swapped in between two decode steps (running sequences
// keep their KV caches). Threads: the decode loop (caller's), the weight fetcher, the heartbeat, and the
// scorer/sender (rewards and RolloutSender). See docs/actor.md.
// Lag bound (ALGORITHMS.md section 8, max_lag = k): a lease for step s starts only with weights version
// >= s - k, and no new prompt is admitted while the oldest in-flight token is more than k versions behind.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "actor/actor_config.h"
#include "generation/continuous_batcher.h"
#include "generation/prompt_text.h"
#include "rewards/reward_pipeline.h"

namespace ascent {

struct ActorStats {
  int64_t groups_sent = 0, completions = 0, tokens = 0, steps = 0;
  int64_t weight_updates = 0, buckets_rejected = 0, weight_restarts = 0, reregistrations = 0;
  int64_t lag_paused_steps = 0;   // steps taken with admission held by the lag bound
  int64_t max_admission_lag = 0;  // version - oldest in-flight version whenever admission was open
  int64_t version = -1;
  double decode_s = 0, weight_swap_s = 0, idle_s = 0, weight_receive_s = 0, reward_s = 0, send_s = 0;
};

class Actor {
 public:
  // The model's parameters are replaced by the learner's; rewards may be null (every reward 0, ok).
  Actor(ActorConfig cfg, Model& model, PromptText text, RewardPipeline* rewards);
  ~Actor();
  // Runs until the learner says finished, max_groups leases are done, or stop(). Errors: the learner
  // unreachable, a request the engine refuses, a lease's prompt that cannot be encoded.
  absl::Status run(const std::string& learner_address);
  // From any thread (a signal handler's watcher): abandon in-flight work and return from run().
  void stop() { stop_ = true; }
  ActorStats stats();
  const std::string& incarnation() const { return cfg_.incarnation; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  ActorConfig cfg_;
  Model& model_;
  PromptText text_;
  RewardPipeline* rewards_;
  std::atomic<bool> stop_{false};
};

}  // namespace ascent
