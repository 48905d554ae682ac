// The actor's weights thread (docs/actor.md): polls the learner's WeightService manifest and receives every
// newer version into a staging copy of the parameters while decoding goes on (bucket checksums verified, a
// bad bucket fetched again, a version replaced mid-transfer started over). The decode loop swaps a staged
// version into the model between two steps (model_swap_params: an exchange of arenas on the CPU, a copy
// into the backend's memory on a device). Memory: two copies of the parameters.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "actor/actor_config.h"
#include "actor/actor_shared.h"
#include "model/model.h"
#include "transport/weight_client.h"

namespace ascent {

class WeightFetcher {
 public:
  WeightFetcher(ActorShared& shared, const ActorConfig& cfg, std::string address, int64_t numel);
  // Receives newer versions until the actor is done; with once, returns after staging the first one. Errors
  // end the actor (shared.fail): the learner's weights unreachable for learner_lost_s, a parameter count
  // that differs from the model's, a transfer that fails for another reason than a newer version.
  void run(bool once);
  // The decode thread, between two steps: swaps a staged version into m. Returns its version, or -1.
  int64_t swap_into(Model& m) ABSL_LOCKS_EXCLUDED(shared_.mu);
  // The decode thread, while it has nothing to decode: waits until a version is staged, up to `d`.
  void wait_staged(absl::Duration d) ABSL_LOCKS_EXCLUDED(shared_.mu);

 private:
  // Receives version m.version into staging_ (the caller checked that nothing is staged).
  void receive(const WeightManifest& m);

  ActorShared& shared_;
  const ActorConfig& cfg_;
  const std::string address_;
  const int64_t numel_;
  WeightClient client_;
  // Owned by run() while staged_ready_ is false and by swap_into() while it is true.
  std::vector<float> staging_;
  bool staged_ready_ ABSL_GUARDED_BY(shared_.mu) = false;
  int64_t staged_version_ ABSL_GUARDED_BY(shared_.mu) = -1;
  int64_t have_version_ ABSL_GUARDED_BY(shared_.mu) = -1;
};

}  // namespace ascent
