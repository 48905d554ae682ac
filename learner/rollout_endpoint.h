// The learner's side of RolloutService (transport/rollout_server.h's RolloutHandler): the actor registry and the
// prompt leases behind one lock. Actors register with an incarnation (new at every start); a name that
// registers again, or an incarnation silent for `lost_after_s`, is lost: its open leases are handed out
// again. The learner thread reports its version (steps done), returns groups' leases and closes steps through
// here.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "learner/prompt_leases.h"
#include "transport/rollout_server.h"

namespace ascent {

struct EndpointConfig {
  double heartbeat_s = 1.0;    // told to actors at registration
  double lost_after_s = 10;    // an actor silent this long is lost
  double lease_timeout_s = 0;  // a lease open this long is handed out again (0: never)
  int weights_port = 0;        // told to actors at registration
};

struct ActorView {
  std::string name, incarnation;
  int64_t weights_version = -1, oldest_version = -1, running = 0;
  bool lost = false;
  std::map<std::string, double> seconds;  // the actor's time by activity (Heartbeat.seconds)
};

class RolloutEndpoint : public RolloutHandler {
 public:
  RolloutEndpoint(EndpointConfig cfg, PromptLeases* leases) : cfg_(cfg), leases_(leases) {}

  // Register: the caller's token names it (transport/auth.h), so actor_name must be the caller and the
  // incarnation start with "<caller>-" (PERMISSION_DENIED otherwise). At most kMaxActorNames names (RESOURCE_EXHAUSTED); a name keeps its
  // live incarnation and the one lost last, older ones are forgotten.
  absl::StatusOr<ascent::rollout::v1::RegisterResponse> on_register(
      const std::string& caller, const ascent::rollout::v1::RegisterRequest& req) override;
  // Heartbeat.seconds keys must be the activities of docs/metrics.md (INVALID_ARGUMENT otherwise: a
  // heartbeat cannot add metric names).
  absl::StatusOr<ascent::rollout::v1::HeartbeatAck> on_heartbeat(
      const std::string& caller, const ascent::rollout::v1::Heartbeat& hb) override;
  absl::StatusOr<ascent::rollout::v1::PromptsReply> on_prompts(
      const std::string& caller, const ascent::rollout::v1::PromptsRequest& req) override;
  absl::Status admit_stream(const std::string& caller, const std::string& incarnation) override;
  std::vector<std::string> take_forgotten() override;
  static constexpr size_t kMaxActorNames = 4096;

  // The learner thread.
  void set_version(int64_t v);
  int64_t version();
  void finish();  // heartbeats and GetPrompts now answer finished
  LeaseReturn complete(int64_t lease, const std::string& from, int64_t* step = nullptr);
  bool refuse(int64_t lease);  // PromptLeases::refuse
  int64_t leases_expired();
  // Declares silent actors lost and expires leases open longer than lease_timeout_s (both go back to the
  // queue); returns the incarnations lost now.
  bool step_closed(int64_t step);
  void trained(int64_t step);
  void refill(int64_t step);
  bool data_exhausted();
  std::vector<std::string> reap();
  std::vector<ActorView> actors();
  int64_t actors_lost();
  // Calls `with` with the leases' state (PromptLeases::to_json) while holding the lock, so that nothing is
  // issued meanwhile: a checkpoint snapshots the leases and the data order that issues them at one moment.
  void leases_snapshot(const std::function<void(const nlohmann::json& leases)>& with);

 private:
  struct Actor {
    ActorView view;
    std::chrono::steady_clock::time_point seen;
  };
  // The caller's registered incarnation: NotFound for an unknown one, PermissionDenied for another caller's.
  absl::StatusOr<Actor*> owned_locked(const std::string& caller, const std::string& incarnation)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // As owned_locked, and NotFound for a lost incarnation; marks it seen.
  absl::Status known_locked(const std::string& caller, const std::string& incarnation)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void lose_locked(Actor& a) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void reap_locked(std::vector<std::string>* lost) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  EndpointConfig cfg_;
  absl::Mutex mu_;
  PromptLeases* leases_ ABSL_PT_GUARDED_BY(mu_);
  std::map<std::string, Actor> actors_ ABSL_GUARDED_BY(mu_);  // by incarnation
  int64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t lost_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> forgotten_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> names_ ABSL_GUARDED_BY(mu_);  // every name registered (a name keeps an entry)
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ascent
