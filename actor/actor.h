// The generator actor (PipelineRL): leases prompts from the learner, generates their groups with continuous
// batching, scores each finished group through rewards/ and streams it to the learner, while new weights are
// received beside decoding into a staging copy and swapped in between two decode steps (running sequences
// keep their KV caches). One unit per thread (docs/actor.md): the decode loop (the caller's thread,
// actor/decode_loop.h), the weight fetcher (actor/weight_fetcher.h), the scorer/sender
// (actor/group_sender.h) and the heartbeat (actor/heartbeat.h), sharing actor/actor_shared.h.
// Lag bound (docs/algorithms.md section 8, max_lag = k): a lease for step s starts only with weights version
// >= s - k, and no new prompt is admitted while the oldest in-flight token is more than k versions behind.
#pragma once

#include <atomic>
#include <string>

#include "absl/status/status.h"
#include "actor/actor_config.h"
#include "actor/actor_shared.h"
#include "generation/prompt_text.h"
#include "model/model.h"
#include "rewards/reward_pipeline.h"

namespace ascent {

class Actor {
 public:
  // The model's parameters are replaced by the learner's; rewards may be null (every reward 0, ok).
  Actor(ActorConfig cfg, Model& model, PromptText text, RewardPipeline* rewards);
  // Runs until the learner says finished, max_groups leases are done, or stop(). Errors: the learner
  // unreachable, a request the engine refuses, a lease's prompt that cannot be encoded (the decode loop's own
  // error first, else the first error of another thread; none after stop() or the end of the run). Once per
  // Actor: a second run() returns at once.
  absl::Status run(const std::string& learner_address);
  // From any thread (a signal handler's watcher): abandon in-flight work and return from run().
  void stop() ABSL_LOCKS_EXCLUDED(shared_.mu);
  ActorStats stats() ABSL_LOCKS_EXCLUDED(shared_.mu);
  const std::string& incarnation() const { return cfg_.incarnation; }

 private:
  ActorConfig cfg_;
  Model& model_;
  PromptText text_;
  RewardPipeline* rewards_;
  std::atomic<bool> stop_{false};
  ActorShared shared_{&stop_};
};

}  // namespace ascent
