#include "learner/train_step.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "learner/advantages.h"
#include "learner/aggregation.h"
#include "learner/losses.h"
#include "learner/policy_batch.h"
#include "model/transformer.h"

namespace ascent {

absl::StatusOr<StepGradient> train_step_gradients(Model& m, const RolloutBatch& rb, const AlgoConfig& cfg,
                                                  const LmHeadOptions& head, int64_t micro_batch_tokens,
                                                  Collective& coll) {
  if (cfg.loss.kl_beta > 0) {
    return absl::UnimplementedError(
        "algorithm.kl_beta > 0 needs a reference policy, which the learner does not "
        "keep yet; use kl_beta: 0 (the ScaleRL, GRPO-TCR and HERO recipes do)");
  }
  model_grads_zero(m);
  const std::vector<std::vector<double>> adv = advantages_compute(rb, cfg.advantage);
  const std::vector<float> coef = aggregation_coefficients(rb, cfg.aggregation);
  // Where each group's tokens start in coef (flattened group by group, completion by completion).
  std::vector<size_t> coef_at(rb.groups.size() + 1, 0);
  for (size_t g = 0; g < rb.groups.size(); ++g) {
    size_t n = 0;
    for (const Rollout& c : rb.groups[g].completions) n += c.tokens.size();
    coef_at[g + 1] = coef_at[g] + n;
  }
  // This rank's groups, in micro-batches of whole groups.
  std::vector<std::vector<size_t>> micro;
  int64_t in_micro = 0;
  for (size_t g = static_cast<size_t>(coll.rank()); g < rb.groups.size();
       g += static_cast<size_t>(coll.size())) {
    int64_t t = 0;
    for (const Rollout& c : rb.groups[g].completions)
      t += static_cast<int64_t>(rb.groups[g].prompt_tokens.size() + c.tokens.size());
    if (micro.empty() || in_micro + t > micro_batch_tokens) micro.emplace_back(), in_micro = 0;
    micro.back().push_back(g);
    in_micro += t;
  }
  // Sums: loss, loss tokens, clip low / high, rho, kl (token-weighted), entropy sum, tokens.
  double sums[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  double rho_max = 0;
  for (const std::vector<size_t>& groups : micro) {
    RolloutBatch sub;
    std::vector<std::vector<double>> sub_adv;
    std::vector<float> sub_coef;
    for (size_t g : groups) {
      sub.groups.push_back(rb.groups[g]);
      sub_adv.push_back(adv[g]);
      sub_coef.insert(sub_coef.end(), coef.begin() + static_cast<long>(coef_at[g]),
                      coef.begin() + static_cast<long>(coef_at[g + 1]));
    }
    const FlatTokens tok = flat_tokens_build(sub, sub_adv, sub_coef);
    const PolicyBatch pb = policy_batch_build(sub);
    ForwardState st;
    std::vector<float> entropy;
    auto engine_lp = model_forward_logprobs(m, pb.batch, &st, head, &entropy);
    if (!engine_lp.ok()) return engine_lp.status();
    const std::vector<float> logp = policy_batch_gather(pb, *engine_lp);
    const LossResult r = loss_compute(cfg.loss, tok, logp, logp);
    model_backward_logprobs(m, pb.batch, st, policy_batch_scatter(pb, r.dlogp), head);
    const double n = static_cast<double>(r.stats.loss_tokens);
    sums[0] += r.loss;
    sums[1] += n;
    sums[2] += r.stats.clip_frac_low * n;
    sums[3] += r.stats.clip_frac_high * n;
    sums[4] += r.stats.rho_mean * n;
    sums[5] += r.stats.kl_gen_train * n;
    const std::vector<float> ent = policy_batch_gather(pb, entropy);
    for (float e : ent) sums[6] += e;
    sums[7] += static_cast<double>(ent.size());
    rho_max = std::max(rho_max, r.stats.rho_max);
  }
  coll.allreduce_sum(sums, 8);
  coll.allreduce_max(&rho_max, 1);
  StepGradient out;
  out.loss = sums[0];
  const double n = std::max(1.0, sums[1]);
  out.stats.loss_tokens = static_cast<int64_t>(sums[1]);
  out.stats.clip_frac_low = sums[2] / n;
  out.stats.clip_frac_high = sums[3] / n;
  out.stats.rho_mean = sums[4] / n;
  out.stats.kl_gen_train = sums[5] / n;
  out.stats.rho_max = rho_max;
  out.entropy_mean = sums[7] > 0 ? sums[6] / sums[7] : 0;
  out.tokens = static_cast<int64_t>(sums[7]);
  return out;
}

}  // namespace ascent
