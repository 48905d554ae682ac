// The two loss kinds the engine trains on, both as a gradient on per-token log-probs (dL/dlogp):
//  - SFT next-token cross-entropy, averaged over the tokens that carry loss;
//  - an RL loss given as a per-token weight: L = -sum_t w_t * logp_t, so dL/dlogp_t = -w_t. The learner's
//    CISPO/PPO/GRPO losses reduce to this with w_t = (their per-token weight) / N_agg (docs/algorithms.md
//    section 2).
#pragma once

#include <vector>

namespace ascent {

// mask: 1 for targets that carry loss (may be empty: all). Returns the mean negative log-likelihood.
double loss_sft(const std::vector<float>& logp, const std::vector<float>& mask, std::vector<float>* dlogp);
double loss_weighted_logprob(const std::vector<float>& logp, const std::vector<float>& weights,
                             std::vector<float>* dlogp);

}  // namespace ascent
