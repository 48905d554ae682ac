// The actor's heartbeat thread (docs/actor.md): every heartbeat_s it tells the learner the weights version,
// the oldest in-flight version, the running sequences and the seconds spent by activity; the reply says when
// the run is over. An actor declared lost (silent too long) registers again under the same incarnation; a
// learner unreachable for learner_lost_s ends the actor with an error.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "actor/actor_config.h"
#include "actor/actor_shared.h"
#include "transport/rollout_client.h"

namespace ascent {

// Registers again under the actor's name and incarnation (after NOT_FOUND: the learner declared it lost).
absl::Status actor_register_again(LearnerClient& client, const ActorConfig& cfg, ActorShared& shared);

// Runs until the actor is done.
void heartbeat_loop(ActorShared& shared, LearnerClient& client, const ActorConfig& cfg,
                    const std::string& learner_address);

}  // namespace ascent
