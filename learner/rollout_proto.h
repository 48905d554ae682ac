// The learner's proto glue: the actors' groups (proto/rollout.proto's Group) to the learner's PromptGroup, and
// a step's batch to and from the TrainBatch that rank 0 broadcasts to the other learner ranks.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "learner/rollout_batch.h"
#include "proto/rollout.pb.h"

namespace ascent {

// The learner's edge check of a group from an actor, before anything of it is used: a prompt and
// completions of tokens inside the vocabulary [0, vocab_size), one log-prob (finite, <= 0) and one weights
// version (>= 0) per completion token, forced flags absent or one per token, finite rewards and HERO sigma.
// InvalidArgument naming the completion and the field otherwise.
absl::Status rollout_group_validate(const rollout::v1::Group& g, int64_t vocab_size);

// Completions whose reward failed (reward_ok false) are left out; `dropped` (may be null) counts them. Loss
// mask = not forced; truncated = finish_reason "length".
PromptGroup prompt_group_from_proto(const rollout::v1::Group& g, int64_t* dropped);

// The batch of `step` with each group's weight, for the other ranks; and back (DataLoss when the weights do
// not match the groups).
rollout::v1::TrainBatch train_batch_to_proto(int64_t step, const RolloutBatch& rb);
absl::StatusOr<RolloutBatch> train_batch_from_proto(const rollout::v1::TrainBatch& tb);

}  // namespace ascent
