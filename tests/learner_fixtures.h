// Shared by the learner tests: the current policy's log-prob of every completion token of a batch, flattened
// group by group, completion by completion (a forward pass over prompt + completion); scored groups.
#pragma once

#include <string>
#include <vector>

#include "learner/policy_batch.h"
#include "model/transformer.h"

namespace ascent {

inline std::vector<float> completion_logprobs(Model& m, const RolloutBatch& rb) {
  PolicyBatch pb = policy_batch_build(rb);
  return policy_batch_gather(pb, *model_forward_logprobs(m, pb.batch, nullptr, LmHeadOptions{}));
}

// A group whose G = 10 completions have `correct` right answers; reward = 1 for a right answer.
inline PromptGroup scored_group(const std::string& id, int correct) {
  PromptGroup g;
  g.prompt_id = id;
  for (int i = 0; i < 10; ++i) {
    Rollout c;
    c.correct = i < correct;
    c.reward = c.correct ? 1.0 : 0.0;
    g.completions.push_back(c);
  }
  return g;
}

}  // namespace ascent
