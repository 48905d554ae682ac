// Policy losses (docs/algorithms.md section 2), minimised, over the completion tokens of a batch flattened
// group by group and completion by completion. Each returns the loss value and dL/dlogp_theta per token,
// which is exactly what model_backward_logprobs takes. With c the aggregation coefficient (aggregation.h), A
// the token's completion advantage and rho = exp(logp - logp_gen):
//   cispo:    L = -sum c * sg(clamp(rho, lo, eps_max)) * A * logp    lo = 1 - eps_low_is, or no lower bound
//             dL/dlogp = -c * sg(clamp(rho, lo, eps_max)) * A        (exactly; the clip only caps the weight)
//   ppo_clip: L = -sum c * min(rho A, clip(rho, 1 - eps_low, 1 + eps_high) A)   (GRPO, DAPO, GRPO-TCR)
//             dL/dlogp = -c * rho * A, and exactly 0 where the clipped term is the smaller one
//   gspo:     GSPO-token: s_i = sg((pi/pi_gen)^(1/|y_i|)) over the completion's loss tokens and per token
//             s_{i,t} = s_i * pi(y_t) / sg(pi(y_t)); L = -sum c * min(s_{i,t} A, clip(s_{i,t}, 1-eps_low,
//             1+eps_high) A). With sample aggregation this is GSPO's sequence objective exactly.
// With a mismatch correction (learner/mismatch.h: weight w_t = sg(correction of the behaviour ratio)):
//   cispo:    the mask of mis / icepop multiplies CISPO's weight (w_t > 0 keeps it, 0 drops the token); tis is
//             refused at the recipe, because CISPO's weight already is a truncated IS weight (cap: eps_max)
//   ppo_clip, gspo: the decoupled objective (gspo with a sequence or geometric level only, so that the
//             weight stays per completion) (Hilton et al. 2022; AReaL): the proximal policy is the trainer's
//             own, r = pi / sg(pi), and L = -sum c * w_t * min(r A, clip(r, 1-eps_low, 1+eps_high) A),
//             dL/dlogp = -c * w_t * A. With one optimiser step per batch r = 1, so the clip never binds: the
//             correction's weight is what bounds off-policy updates (as in verl with TIS and one mini-batch).
// KL to the reference in loss form (learner/kl.h) adds c * beta * k(logp, logp_ref) per token and its
// gradient; it is not weighted by w_t.
// `logp_sg` holds the values seen inside sg() (normally the same array as logp): a finite-difference check
// can perturb logp alone and so differentiate the loss as autograd would.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "learner/kl.h"
#include "learner/mismatch.h"
#include "learner/rollout_batch.h"

namespace ascent {

enum class LossKind { kCispo, kPpoClip, kGspo };

absl::StatusOr<LossKind> loss_kind_parse(const std::string& s);

struct LossConfig {
  LossKind kind = LossKind::kCispo;
  double cispo_eps_max = 4.0;              // ScaleRL: 4 (5 and 8 equivalent)
  std::optional<double> cispo_eps_low_is;  // MiniMax's lower bound 1 - eps_low_is; off by default
  double clip_eps_low = 0.2;
  double clip_eps_high = 0.28;  // DAPO / GRPO-TCR clip-higher; GRPO uses 0.2
  double gspo_eps_low = 3e-4;   // GSPO paper
  double gspo_eps_high = 4e-4;
  KlConfig kl;
  MismatchConfig mismatch;
};

// The per-token view of a batch that the losses read.
struct FlatTokens {
  std::vector<float> logp_gen;
  std::vector<float> advantage;
  std::vector<float> coef;
  std::vector<int64_t> version;
  std::vector<int64_t> seq_offsets;  // completion boundaries, size completions + 1
};

// coef from aggregation_coefficients, advantages from advantages_compute.
FlatTokens flat_tokens_build(const RolloutBatch& batch, const std::vector<std::vector<double>>& advantages,
                             const std::vector<float>& coef);

struct LossStats {
  double clip_frac_low = 0, clip_frac_high = 0;  // share of loss tokens whose clip is active, below / above
  double rho_mean = 0, rho_max = 0;              // over loss tokens (sequence ratio s_i for gspo)
  double kl_gen_train = 0;  // k3 estimate of KL(pi_gen || pi_theta), mean over loss tokens
  double kl_ref_mean = 0, kl_ref_max = -1e300;  // the KL estimator per loss token (-1e300: none)
  double mismatch_truncated_frac = 0, mismatch_masked_frac = 0;  // share of loss tokens (correction on)
  RatioHistogram ratio_hist;      // the behaviour ratio at the correction's level (token level when off)
  double ratio_log_max = -1e300;  // its largest log
  int64_t loss_tokens = 0;
};

struct LossResult {
  double loss = 0;
  std::vector<float> dlogp;
  LossStats stats;
};

// logp: log pi_theta per token; logp_ref (log pi_ref per token) only when kl.beta > 0 in loss form.
LossResult loss_compute(const LossConfig& cfg, const FlatTokens& tok, const std::vector<float>& logp,
                        const std::vector<float>& logp_sg, const std::vector<float>* logp_ref = nullptr);

}  // namespace ascent
