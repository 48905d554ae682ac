// What a learner rank trains with: the policy on its backend; the KL's frozen reference (learner/
// reference_policy.h; null when algorithm.kl.beta is 0); with LoRA (model.lora) the adapters, the only
// trained parameters: the policy then holds the merged weights W0 + s B A (model/lora.h), the optimiser,
// the published versions and the checkpoints hold the adapters.
#pragma once

#include "model/lora.h"
#include "model/model.h"

namespace ascent {

struct LearnerModels {
  Model& policy;
  Model* reference = nullptr;
  LoraAdapters* lora = nullptr;
  // The parameters the optimiser updates and the actors receive: the adapters, or the policy's own.
  float* trained() { return lora ? lora->params.data() : policy.params.data(); }
  int64_t trained_count() const { return lora ? lora->size() : static_cast<int64_t>(policy.params.size()); }
};

}  // namespace ascent
