// What the actor's four threads share (docs/actor.md): the outbox of finished groups, the first error, the
// learner's "finished", the decode loop's view for heartbeats and the statistics, under one mutex. Every
// change that a thread waits for is announced on `changed`. Staged weights are the weight fetcher's (actor/weight_fetcher.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "proto/rollout.pb.h"
#include "rewards/reward_pipeline.h"

namespace ascent {

struct ActorStats {
  int64_t groups_sent = 0, completions = 0, tokens = 0, steps = 0;
  int64_t weight_updates = 0, buckets_rejected = 0, weight_restarts = 0, reregistrations = 0;
  int64_t weight_shm_updates = 0;   // of weight_updates: received through the learner's shared memory
  std::string weight_shm_fallback;  // why the last version offered in shared memory came over gRPC instead
  int64_t lag_paused_steps = 0;     // steps taken with admission held by the lag bound
  int64_t max_admission_lag = 0;    // version - oldest in-flight version whenever admission was open
  int64_t version = -1;
  double decode_s = 0, weight_swap_s = 0, idle_s = 0, weight_receive_s = 0, reward_s = 0, send_s = 0;
};

// A finished group on its way to the rewards and the stream.
struct OutgoingGroup {
  rollout::v1::Group group;
  std::vector<RewardInput> inputs;  // one per completion, in the group's order
};

struct ActorShared {
  explicit ActorShared(const std::atomic<bool>* stop_flag) : stop(stop_flag) {}

  // Ends every thread's loop: an error (the first one is kept), the end of the run, or Actor::stop().
  void fail(absl::Status st) ABSL_LOCKS_EXCLUDED(mu);
  bool done() const { return quit || *stop; }
  // Waits on `changed` until the deadline (true: woken; false: timed out). Callers re-check their condition.
  bool wait(absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return !changed.WaitWithDeadline(&mu, deadline);
  }

  absl::Mutex mu;
  absl::CondVar changed;
  std::deque<OutgoingGroup> outbox ABSL_GUARDED_BY(mu);
  bool sender_done ABSL_GUARDED_BY(mu) = false;  // the decode loop sends nothing more
  absl::Status error ABSL_GUARDED_BY(mu);        // the first error of any thread
  bool learner_finished ABSL_GUARDED_BY(mu) = false;
  int64_t oldest_running ABSL_GUARDED_BY(mu) = -1;  // the decode loop's view, for heartbeats
  int64_t running ABSL_GUARDED_BY(mu) = 0;
  ActorStats stats ABSL_GUARDED_BY(mu);
  double heartbeat_s = 1;  // set before the threads start
  std::atomic<bool> quit{false};
  const std::atomic<bool>* stop;
};

}  // namespace ascent
