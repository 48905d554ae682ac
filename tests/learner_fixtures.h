// Shared by the learner tests that run the engine: the current policy's log-prob of every completion token of
// a batch, flattened group by group, completion by completion (a forward pass over prompt + completion).
#pragma once

#include <vector>

#include "learner/policy_batch.h"
#include "model/transformer.h"

namespace ascent {

inline std::vector<float> completion_logprobs(Model& m, const RolloutBatch& rb) {
  PolicyBatch pb = policy_batch_build(rb);
  return policy_batch_gather(pb, *model_forward_logprobs(m, pb.batch, nullptr, LmHeadOptions{}));
}

}  // namespace ascent
