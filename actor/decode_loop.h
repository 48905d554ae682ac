// The actor's decode loop (the caller's thread; docs/actor.md): keeps `prefetch` prompt leases in hand
// (GetPrompts), submits a lease to the continuous batcher only when the weights version >= lease.step -
// max_lag, holds admission while the oldest in-flight token is more than max_lag versions behind
// (docs/algorithms.md section 8), swaps in staged weights between two steps, steps
// the batcher and hands each finished group (all G completions of a lease) to the sender.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "actor/actor_config.h"
#include "actor/actor_shared.h"
#include "actor/weight_fetcher.h"
#include "generation/continuous_batcher.h"
#include "generation/prompt_text.h"
#include "transport/rollout_client.h"

namespace ascent {

class DecodeLoop {
 public:
  DecodeLoop(ActorShared& shared, const ActorConfig& cfg, Model& model, const PromptText& text,
             LearnerClient& client, WeightFetcher& weights, int64_t version);
  // Runs until the learner says finished, max_groups leases are done, or the actor is done. Errors: a
  // lease's prompt that cannot be encoded, a request the engine refuses, re-registration refused.
  absl::Status run();
  bool learner_finished() const { return finished_; }

 private:
  // A submitted lease whose completions are not all finished.
  struct Open {
    rollout::v1::Prompt prompt;
    std::vector<int32_t> tokens;
    std::vector<GenSequence> done;
  };
  absl::Status lease_more();
  absl::Status admit(int64_t version);
  void view_update(int64_t version, bool lag_hold) ABSL_LOCKS_EXCLUDED(shared_.mu);
  absl::Status step();
  OutgoingGroup group_make(Open& o);
  void outbox_push(std::vector<OutgoingGroup>& ready, double decode_s) ABSL_LOCKS_EXCLUDED(shared_.mu);

  ActorShared& shared_;
  const ActorConfig& cfg_;
  Model& model_;
  const PromptText& text_;
  LearnerClient& client_;
  WeightFetcher& weights_;
  ContinuousBatcher batcher_;
  std::unique_ptr<ToolHook> tools_;          // the recipe's tools: section (null: single-turn)
  std::deque<rollout::v1::Prompt> pending_;  // leased, not yet submitted
  std::map<int64_t, Open> open_;             // by lease
  int64_t leased_ = 0;
  bool finished_ = false;
  std::chrono::steady_clock::time_point next_ask_;
};

}  // namespace ascent
