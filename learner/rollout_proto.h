// The learner's proto glue: the actors' groups (proto/rollout.proto's Group) to the learner's PromptGroup, and
// a step's batch to and from the TrainBatch that rank 0 broadcasts to the other learner ranks.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "learner/rollout_batch.h"
#include "proto/rollout.pb.h"

namespace ascent {

// What a group may hold, from the recipe and the learner's state (the defaults bound nothing but the
// vocabulary, which has no default).
struct GroupLimits {
  int64_t vocab_size = 0;
  int64_t max_completions = INT64_MAX;      // algorithm.group_size
  int64_t max_sequence_tokens = INT64_MAX;  // prompt + completion: the model's max_position_embeddings
  int64_t max_version = INT64_MAX;          // the learner's published version: no token from a later one
  int64_t max_prompt_id_bytes = 1024;
  int64_t max_turns = 1;  // tools.max_turns with the recipe's tools on (generation/tool_config.h)
};

// The learner's edge check of a group from an actor, before anything of it is used: a prompt and
// completions of tokens inside the vocabulary [0, vocab_size), one log-prob (finite, <= 0) and one weights
// version (in [0, max_version]) per completion token, forced flags absent or one per token, finite rewards and
// HERO sigma, tool-use counts in range (turns <= max_turns, calls <= tokens, failed <= calls); at most max_completions completions, each with its prompt at most max_sequence_tokens long; a
// prompt id of at most max_prompt_id_bytes. Counts are checked before the contents, so a huge group costs no
// more than its size check. InvalidArgument naming the completion and the field otherwise.
absl::Status rollout_group_validate(const rollout::v1::Group& g, const GroupLimits& limits);
// The same with only the vocabulary bounded.
absl::Status rollout_group_validate(const rollout::v1::Group& g, int64_t vocab_size);

// Completions whose reward failed (reward_ok false) are left out; `dropped` (may be null) counts them. Loss
// mask = not forced; truncated = finish_reason "length".
PromptGroup prompt_group_from_proto(const rollout::v1::Group& g, int64_t* dropped);

// The batch of `step` with each group's weight, for the other ranks; and back (DataLoss when the weights do
// not match the groups).
rollout::v1::TrainBatch train_batch_to_proto(int64_t step, const RolloutBatch& rb);
absl::StatusOr<RolloutBatch> train_batch_from_proto(const rollout::v1::TrainBatch& tb);

}  // namespace ascent
