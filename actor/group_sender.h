// The actor's scorer/sender thread (docs/actor.md): takes finished groups from the outbox, scores them
// through rewards/ (verifier, reward model, HERO normalisation, plugins, remote servers; HERO's sigma_u goes
// with the group, the learner weights it) and streams them to the learner (transport/rollout_client.h:
// acks, window, resend after a broken stream). A full outbox blocks the decode loop: backpressure.
#pragma once

#include <string>

#include "actor/actor_config.h"
#include "actor/actor_shared.h"
#include "rewards/reward_pipeline.h"

namespace ascent {

// Runs until the decode loop is done and every group is acked; returns without flushing when the actor
// quits (an error, stop(), the end of the run: what is unsent is of no use). rewards may be null (every
// reward 0, ok).
void group_sender_loop(ActorShared& shared, const ActorConfig& cfg, RewardPipeline* rewards,
                       const std::string& learner_address);

}  // namespace ascent
