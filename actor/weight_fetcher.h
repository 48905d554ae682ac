// The actor's weights thread (docs/actor.md): polls the learner's WeightService manifest and receives every
// newer version into a staging copy of the parameters while decoding goes on (bucket checksums verified, a
// bad bucket fetched again, a version replaced mid-transfer started over). The decode loop swaps a staged
// version into the model between two steps (model_swap_params: an exchange of arenas on the CPU, a copy
// into the backend's memory on a device). Memory: two copies of the parameters (with LoRA also W0 of every
// target and the adapters). With LoRA (cfg.lora) the
// learner publishes the adapters only: each received version is merged here, off the decode thread, into the
// staging copy (W0 + s B A at every target, model/lora.h), so the wire carries the adapters' bytes alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "actor/actor_config.h"
#include "actor/actor_shared.h"
#include "model/lora.h"
#include "model/model.h"
#include "transport/weight_client.h"

namespace ascent {

class WeightFetcher {
 public:
  // m: the actor's model, holding the base weights (LoRA's W0 are copied from it).
  WeightFetcher(ActorShared& shared, const ActorConfig& cfg, std::string address, const Model& m);
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
  absl::Status error_;                // a model.lora this model cannot take: run() fails with it
  std::optional<LoraAdapters> lora_;  // with cfg.lora: the adapters' layout, W0 and their latest values
  const int64_t numel_;               // on the wire: the model's parameters, or the adapters'
  WeightClient client_;
  // Owned by run() while staged_ready_ is false and by swap_into() while it is true.
  std::vector<float> staging_;
  bool staged_ready_ ABSL_GUARDED_BY(shared_.mu) = false;
  int64_t staged_version_ ABSL_GUARDED_BY(shared_.mu) = -1;
  int64_t have_version_ ABSL_GUARDED_BY(shared_.mu) = -1;
};

}  // namespace ascent
