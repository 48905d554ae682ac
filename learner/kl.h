// KL to a frozen reference policy (docs/algorithms.md section 2b). Per token, with d = log pi_ref - log pi
// (the log-ratio r = pi_ref / pi), Schulman's estimators of KL(pi || pi_ref) ("Approximating KL Divergence",
// 2020):
//   k1 = -d                  dk1/dlogp = 1
//   k2 = d^2 / 2             dk2/dlogp = -d
//   k3 = e^d - d - 1         dk3/dlogp = 1 - e^d
// Under sampling from pi, k1 and k3 are unbiased for the KL, k2 is biased but low-variance. As losses
// (Tang & Munos 2025, "On a few pitfalls in KL divergence gradient estimation for RL"), k2's gradient is the
// on-policy gradient of KL(pi || pi_ref), k1's has zero expectation, k3's is that of KL(pi_ref || pi).
// d is clamped to [-kKlMaxLogRatio, kKlMaxLogRatio] (verl clamps low_var_kl's value instead): beyond, the
// value is that of the bound and the gradient 0, so one token whose log-probs disagree by more cannot
// overflow the loss (k3 = e^d) or swamp the step's gradient norm.
// Two ways to apply them (KlForm):
//   loss     GRPO-style: beta * k(logp, logp_ref) is added per token to the policy loss, with its gradient,
//            aggregated like the loss (learner/losses.h)
//   reward   PPO/RLHF-style: beta * sum_t k(logp_gen_t, logp_ref_t) over a completion's loss tokens is
//            subtracted from its reward before advantages (a penalty on the sampled sequence, no gradient)
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace ascent {

enum class KlEstimator { kK1, kK2, kK3 };
enum class KlForm { kLoss, kReward };

struct KlConfig {
  double beta = 0.0;  // 0: no reference policy is loaded and its forward is skipped
  KlEstimator estimator = KlEstimator::kK3;
  KlForm form = KlForm::kLoss;
  std::string reference;  // Hugging Face model directory; empty: the recipe's model (the run's start)
};

absl::StatusOr<KlEstimator> kl_estimator_parse(const std::string& s);
absl::StatusOr<KlForm> kl_form_parse(const std::string& s);
const char* kl_estimator_name(KlEstimator e);
const char* kl_form_name(KlForm f);

constexpr double kKlMaxLogRatio = 20.0;

// The estimator's value at one token, and its derivative with respect to logp (logp_ref held fixed).
double kl_value(KlEstimator e, double logp, double logp_ref);
double kl_grad(KlEstimator e, double logp, double logp_ref);

}  // namespace ascent
