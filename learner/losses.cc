#include "learner/losses.h"

#include <algorithm>
#include <cmath>

#include "core/status.h"

namespace ascent {

absl::StatusOr<LossKind> loss_kind_parse(const std::string& s) {
  if (s == "cispo") return LossKind::kCispo;
  if (s == "ppo_clip") return LossKind::kPpoClip;
  if (s == "gspo") return LossKind::kGspo;
  return absl::InvalidArgumentError("unknown loss '" + s + "'");
}

FlatTokens flat_tokens_build(const RolloutBatch& batch, const std::vector<std::vector<double>>& advantages,
                             const std::vector<float>& coef) {
  FlatTokens f;
  f.coef = coef;
  f.seq_offsets.push_back(0);
  for (size_t g = 0; g < batch.groups.size(); ++g) {
    const auto& comps = batch.groups[g].completions;
    for (size_t i = 0; i < comps.size(); ++i) {
      const Rollout& c = comps[i];
      ASCENT_CHECK(c.logp_gen.size() == c.tokens.size(), "one logp_gen per completion token");
      f.logp_gen.insert(f.logp_gen.end(), c.logp_gen.begin(), c.logp_gen.end());
      f.advantage.insert(f.advantage.end(), c.tokens.size(), static_cast<float>(advantages[g][i]));
      if (c.version.size() == c.tokens.size())
        f.version.insert(f.version.end(), c.version.begin(), c.version.end());
      else
        f.version.insert(f.version.end(), c.tokens.size(), 0);
      f.seq_offsets.push_back(f.seq_offsets.back() + static_cast<int64_t>(c.tokens.size()));
    }
  }
  ASCENT_CHECK(f.coef.size() == f.logp_gen.size(), "one aggregation coefficient per token");
  return f;
}

namespace {

// The behaviour ratios' histogram: one entry per loss token at token level, one per completion with loss
// tokens at sequence level.
void ratio_stats(const MismatchConfig& mc, const FlatTokens& tok, const std::vector<double>& log_ratio,
                 LossStats* st) {
  for (size_t s = 0; s + 1 < tok.seq_offsets.size(); ++s) {
    for (int64_t t = tok.seq_offsets[s]; t < tok.seq_offsets[s + 1]; ++t) {
      if (tok.coef[t] == 0.0f) continue;
      st->ratio_hist.add(log_ratio[t]);
      st->ratio_log_max = std::max(st->ratio_log_max, log_ratio[t]);
      if (mc.level != MismatchLevel::kToken) break;
    }
  }
}

// PPO-clip / GSPO per token: loss and dL/dlogp for ratio r (d r / d logp = r); counts an active clip.
void clipped_term(double ratio, double A, double el, double eh, double* l, double* dl, int64_t* low,
                  int64_t* high) {
  const double unclipped = ratio * A;
  const double clipped = std::clamp(ratio, 1.0 - el, 1.0 + eh) * A;
  if (clipped < unclipped) {  // the clipped term is the min: constant in logp, zero gradient
    *l = -clipped;
    *dl = 0.0;
    (ratio > 1.0 ? *high : *low) += 1;
  } else {
    *l = -unclipped;
    *dl = -unclipped;
  }
}

}  // namespace

LossResult loss_compute(const LossConfig& cfg, const FlatTokens& tok, const std::vector<float>& logp,
                        const std::vector<float>& logp_sg, const std::vector<float>* logp_ref) {
  const size_t n = tok.logp_gen.size();
  ASCENT_CHECK(logp.size() == n && logp_sg.size() == n, "one log-prob per token");
  const bool kl_loss = cfg.kl.beta > 0.0 && cfg.kl.form == KlForm::kLoss;
  ASCENT_CHECK(!kl_loss || (logp_ref && logp_ref->size() == n), "a loss-form KL needs logp_ref");
  const MismatchConfig& mc = cfg.mismatch;
  const bool correct = mc.correction != MismatchCorrection::kOff;
  ASCENT_CHECK(!(correct && cfg.kind == LossKind::kCispo && mc.correction == MismatchCorrection::kTis),
               "cispo with tis (the recipe refuses it)");
  LossResult r;
  r.dlogp.assign(n, 0.0f);
  // GSPO's sg'd sequence ratio s_i = exp(mean over the completion's loss tokens of logp - logp_gen): the
  // geometric-level behaviour ratio.
  std::vector<double> seq_ratio;
  if (cfg.kind == LossKind::kGspo && !correct) {
    seq_ratio =
        mismatch_log_ratios(MismatchLevel::kGeometric, tok.logp_gen, logp_sg, tok.coef, tok.seq_offsets);
    for (double& v : seq_ratio) v = std::exp(v);
  }
  const std::vector<double> log_ratio =
      mismatch_log_ratios(mc.level, tok.logp_gen, logp_sg, tok.coef, tok.seq_offsets);
  ratio_stats(mc, tok, log_ratio, &r.stats);
  int64_t low = 0, high = 0, truncated = 0, masked = 0;
  double rho_sum = 0.0, kl_sum = 0.0, kl_ref_sum = 0.0;
  for (size_t t = 0; t < n; ++t) {
    const double c = tok.coef[t];
    if (c == 0.0) continue;
    const double A = tok.advantage[t];
    const double x = static_cast<double>(logp_sg[t]) - tok.logp_gen[t];  // log(pi_theta / pi_gen)
    const double rho_sg = std::exp(x);
    const double lp = logp[t];
    WeightFate fate = WeightFate::kKept;
    const double w = correct ? mismatch_weight(mc, log_ratio[t], &fate) : 1.0;
    truncated += fate == WeightFate::kTruncated;
    masked += fate == WeightFate::kMasked;
    double l = 0.0, dl = 0.0;  // per-token loss and its derivative w.r.t. logp
    switch (cfg.kind) {
      case LossKind::kCispo: {
        double v = std::min(rho_sg, cfg.cispo_eps_max);
        if (rho_sg > cfg.cispo_eps_max) ++high;
        if (cfg.cispo_eps_low_is && rho_sg < 1.0 - *cfg.cispo_eps_low_is) {
          v = 1.0 - *cfg.cispo_eps_low_is;
          ++low;
        }
        v *= A * (w > 0.0 ? 1.0 : 0.0);
        l = -v * lp;
        dl = -v;
        break;
      }
      case LossKind::kPpoClip:
      case LossKind::kGspo: {
        const bool gspo = cfg.kind == LossKind::kGspo;
        const double el = gspo ? cfg.gspo_eps_low : cfg.clip_eps_low;
        const double eh = gspo ? cfg.gspo_eps_high : cfg.clip_eps_high;
        // Decoupled (correction on): r = pi / sg(pi). Else PPO differentiates rho itself, and GSPO-token
        // s_{i,t} = s_i * exp(logp - sg(logp)).
        const double ratio = correct ? std::exp(lp - logp_sg[t])
                             : gspo  ? seq_ratio[t] * std::exp(lp - logp_sg[t])
                                     : std::exp(lp - tok.logp_gen[t]);
        clipped_term(ratio, A, el, eh, &l, &dl, &low, &high);
        l *= w;
        dl *= w;
        break;
      }
    }
    if (kl_loss) {
      const double ref = (*logp_ref)[t];
      l += cfg.kl.beta * kl_value(cfg.kl.estimator, lp, ref);
      dl += cfg.kl.beta * kl_grad(cfg.kl.estimator, lp, ref);
      const double k = kl_value(cfg.kl.estimator, logp_sg[t], ref);
      kl_ref_sum += k;
      r.stats.kl_ref_max = std::max(r.stats.kl_ref_max, k);
    }
    r.loss += c * l;
    r.dlogp[t] = static_cast<float>(c * dl);
    const double shown = cfg.kind == LossKind::kGspo && !correct ? seq_ratio[t] : rho_sg;
    rho_sum += shown;
    r.stats.rho_max = std::max(r.stats.rho_max, shown);
    kl_sum += rho_sg - 1.0 - x;
    ++r.stats.loss_tokens;
  }
  if (r.stats.loss_tokens > 0) {
    const double m = static_cast<double>(r.stats.loss_tokens);
    r.stats.clip_frac_low = low / m;
    r.stats.clip_frac_high = high / m;
    r.stats.rho_mean = rho_sum / m;
    r.stats.kl_gen_train = kl_sum / m;
    r.stats.kl_ref_mean = kl_ref_sum / m;
    r.stats.mismatch_truncated_frac = truncated / m;
    r.stats.mismatch_masked_frac = masked / m;
  }
  return r;
}

}  // namespace ascent
