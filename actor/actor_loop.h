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
#include "actor/continuous_batcher.h"
#include "rewards/reward_pipeline.h"

struct ActorConfig {
  std::string name = "actor-0";
  std::string incarnation;  // "" : name + a random suffix, new at every start
  int64_t slots = 16, max_len = 1024;
  int64_t group_size = 8;  // completions per prompt (G)
  int64_t max_tokens = 256;
  SamplerConfig sampler;
  InterruptConfig interrupt;
  std::vector<int32_t> stop_ids;
  std::vector<std::string> stop_strings;
  int64_t max_lag = 8;
  size_t window = 8;     // unacked groups in flight to the learner
  int64_t prefetch = 0;  // leases held beyond the running ones (0: slots / group_size)
  double register_timeout_s = 120;
  double learner_lost_s = 60;  // the learner unreachable this long ends the actor with an error
  double weight_poll_s = 0.02;
  int64_t max_groups = 0;  // stop after this many leases (0: until the learner says finished)
};

// Text for the actor: a lease's prompt text to tokens (the recipe's template applied), completion tokens to
// text (for the rewards), and a token's bytes (stop strings; may be null).
struct ActorText {
  std::function<absl::StatusOr<std::vector<int32_t>>(const std::string& prompt)> encode;
  std::function<absl::StatusOr<std::vector<int32_t>>(const std::string& text)> encode_plain;  // no template
  std::function<std::string(const std::vector<int32_t>&)> decode;
  std::function<std::string(int32_t)> token_bytes;
};

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
  Actor(ActorConfig cfg, Model& model, ActorText text, RewardPipeline* rewards);
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
  ActorText text_;
  RewardPipeline* rewards_;
  std::atomic<bool> stop_{false};
};
