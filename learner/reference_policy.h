// The frozen reference policy of the KL term (learner/kl.h, docs/algorithms.md section 2b): loaded by every
// learner rank from algorithm.kl.reference (default: the recipe's model, which is where the run started,
// also after a resume), put on the learner's backend, forward only, never trained or saved. Nothing of it
// exists when kl.beta is 0.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "collective/collective.h"
#include "learner/kl.h"
#include "learner/rollout_batch.h"
#include "model/backend.h"
#include "model/model.h"
#include "model/transformer.h"

namespace ascent {

// Loads `dir` (the reference) onto backend b. Errors: the load's own (file and tensor named), or a reference
// whose vocabulary size differs from the policy's (its log-probs would be of other tokens).
absl::StatusOr<Model> reference_load(const std::string& dir, const Model& policy, Backend& b);

// log pi_ref of every completion token of rb, flattened group by group and completion by completion (as
// FlatTokens), at the head's temperature (the policy's), forward only.
absl::StatusOr<std::vector<float>> reference_logprobs(Model& ref, const RolloutBatch& rb,
                                                      const LmHeadOptions& head);

// The reward-form KL (KlForm::kReward): per completion of rb (flattened), beta * sum_t k(logp_gen_t,
// logp_ref_t) over its loss tokens (loss_mask). Each rank computes its groups (g % size == rank) in
// micro-batches of whole groups; the result is summed over ranks, so every rank returns the whole vector.
// kl_sum / kl_max / tokens get the estimator's sum and max over those loss tokens and their count (all ranks).
struct KlPenalty {
  std::vector<double> per_completion;
  double kl_sum = 0, kl_max = -1e300, tokens = 0;  // kl_max: -1e300 with no tokens
};
absl::StatusOr<KlPenalty> kl_reward_penalty(Model& ref, const RolloutBatch& rb, const KlConfig& kl,
                                            const LmHeadOptions& head, int64_t micro_batch_tokens,
                                            Collective& coll);

}  // namespace ascent
