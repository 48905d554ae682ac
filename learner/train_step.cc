#include "learner/train_step.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "learner/advantages.h"
#include "learner/aggregation.h"
#include "learner/losses.h"
#include "learner/policy_batch.h"
#include "learner/reference_policy.h"
#include "model/transformer.h"

namespace ascent {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The loss statistics of a step, summed over micro-batches (token-weighted means as sums), then over ranks.
struct StatSums {
  // loss, loss tokens, clip low / high, rho, kl_gen_train, entropy sum, entropy tokens, kl_ref, truncated,
  // masked
  double sum[11] = {};
  double max[3] = {0, -1e300, -1e300};  // rho, kl_ref, log ratio
  RatioHistogram hist;

  void add(const LossResult& r, const std::vector<float>& ent) {
    const LossStats& s = r.stats;
    const double n = static_cast<double>(s.loss_tokens);
    const double v[11] = {r.loss,
                          n,
                          s.clip_frac_low * n,
                          s.clip_frac_high * n,
                          s.rho_mean * n,
                          s.kl_gen_train * n,
                          0,
                          static_cast<double>(ent.size()),
                          s.kl_ref_mean * n,
                          s.mismatch_truncated_frac * n,
                          s.mismatch_masked_frac * n};
    for (int i = 0; i < 11; ++i) sum[i] += v[i];
    for (float e : ent) sum[6] += e;
    max[0] = std::max(max[0], s.rho_max);
    max[1] = std::max(max[1], s.kl_ref_max);
    max[2] = std::max(max[2], s.ratio_log_max);
    hist.merge(s.ratio_hist);
  }

  void allreduce(Collective& coll) {
    coll.allreduce_sum(sum, 11);
    coll.allreduce_max(max, 3);
    coll.allreduce_sum(hist.counts.data(), static_cast<int64_t>(hist.counts.size()));
  }

  StepGradient result() const {
    StepGradient out;
    out.loss = sum[0];
    const double n = std::max(1.0, sum[1]);
    LossStats& st = out.stats;
    st.loss_tokens = static_cast<int64_t>(sum[1]);
    st.clip_frac_low = sum[2] / n;
    st.clip_frac_high = sum[3] / n;
    st.rho_mean = sum[4] / n;
    st.kl_gen_train = sum[5] / n;
    st.kl_ref_mean = sum[8] / n;
    st.mismatch_truncated_frac = sum[9] / n;
    st.mismatch_masked_frac = sum[10] / n;
    st.rho_max = max[0];
    st.kl_ref_max = max[1];
    st.ratio_log_max = max[2];
    st.ratio_hist = hist;
    out.entropy_mean = sum[7] > 0 ? sum[6] / sum[7] : 0;
    out.tokens = static_cast<int64_t>(sum[7]);
    return out;
  }
};

}  // namespace

absl::StatusOr<StepGradient> train_step_gradients(Model& m, const RolloutBatch& rb_in, const AlgoConfig& cfg,
                                                  const LmHeadOptions& head, int64_t micro_batch_tokens,
                                                  Collective& coll, Model* ref) {
  const KlConfig& kl = cfg.loss.kl;
  if (kl.beta > 0 && ref == nullptr) {
    return absl::FailedPreconditionError("algorithm.kl.beta > 0 needs the reference policy (reference_load)");
  }
  model_grads_zero(m);
  double reference_s = 0;
  // Reward form: the KL penalty leaves the rewards before the advantages see them.
  const RolloutBatch* rb = &rb_in;
  RolloutBatch penalised;
  KlPenalty pen;
  if (kl.beta > 0 && kl.form == KlForm::kReward) {
    const Clock::time_point t0 = Clock::now();
    ASCENT_ASSIGN_OR_RETURN(pen, kl_reward_penalty(*ref, rb_in, kl, head, micro_batch_tokens, coll));
    reference_s += since(t0);
    penalised = rb_in;
    size_t k = 0;
    for (PromptGroup& g : penalised.groups)
      for (Rollout& c : g.completions) c.reward -= pen.per_completion[k++];
    rb = &penalised;
  }
  const std::vector<std::vector<double>> adv = advantages_compute(*rb, cfg.advantage);
  const std::vector<float> coef = aggregation_coefficients(*rb, cfg.aggregation);
  // Where each group's tokens start in coef (flattened group by group, completion by completion).
  std::vector<size_t> coef_at(rb->groups.size() + 1, 0);
  for (size_t g = 0; g < rb->groups.size(); ++g) {
    size_t n = 0;
    for (const Rollout& c : rb->groups[g].completions) n += c.tokens.size();
    coef_at[g + 1] = coef_at[g] + n;
  }
  StatSums sums;
  for (const std::vector<size_t>& groups :
       rank_micro_batches(*rb, coll.rank(), coll.size(), micro_batch_tokens)) {
    const RolloutBatch sub = rollout_batch_subset(*rb, groups);
    std::vector<std::vector<double>> sub_adv;
    std::vector<float> sub_coef;
    for (size_t g : groups) {
      sub_adv.push_back(adv[g]);
      sub_coef.insert(sub_coef.end(), coef.begin() + static_cast<long>(coef_at[g]),
                      coef.begin() + static_cast<long>(coef_at[g + 1]));
    }
    const FlatTokens tok = flat_tokens_build(sub, sub_adv, sub_coef);
    std::vector<float> logp_ref;
    if (kl.beta > 0 && kl.form == KlForm::kLoss) {
      const Clock::time_point t0 = Clock::now();
      ASCENT_ASSIGN_OR_RETURN(logp_ref, reference_logprobs(*ref, sub, head));
      reference_s += since(t0);
    }
    const PolicyBatch pb = policy_batch_build(sub);
    ForwardState st;
    std::vector<float> entropy;
    auto engine_lp = model_forward_logprobs(m, pb.batch, &st, head, &entropy);
    if (!engine_lp.ok()) return engine_lp.status();
    const std::vector<float> logp = policy_batch_gather(pb, *engine_lp);
    const LossResult r = loss_compute(cfg.loss, tok, logp, logp, logp_ref.empty() ? nullptr : &logp_ref);
    model_backward_logprobs(m, pb.batch, st, policy_batch_scatter(pb, r.dlogp), head);
    sums.add(r, policy_batch_gather(pb, entropy));
  }
  sums.allreduce(coll);
  StepGradient out = sums.result();
  if (kl.beta > 0 && kl.form == KlForm::kReward) {  // the penalty's KL, every rank's tokens
    out.stats.kl_ref_mean = pen.tokens > 0 ? pen.kl_sum / pen.tokens : 0;
    out.stats.kl_ref_max = pen.kl_max;
  }
  out.reference_s = reference_s;
  return out;
}

}  // namespace ascent
