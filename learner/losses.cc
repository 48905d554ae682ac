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

LossResult loss_compute(const LossConfig& cfg, const FlatTokens& tok, const std::vector<float>& logp,
                        const std::vector<float>& logp_sg, const std::vector<float>* logp_ref) {
  const size_t n = tok.logp_gen.size();
  ASCENT_CHECK(logp.size() == n && logp_sg.size() == n, "one log-prob per token");
  ASCENT_CHECK(cfg.kl_beta == 0.0 || (logp_ref && logp_ref->size() == n), "kl_beta > 0 needs logp_ref");
  LossResult r;
  r.dlogp.assign(n, 0.0f);
  // GSPO's sg'd sequence ratio per token: s_i = exp(mean over the completion's loss tokens of logp -
  // logp_gen).
  std::vector<double> seq_ratio;
  if (cfg.kind == LossKind::kGspo) {
    seq_ratio.assign(n, 1.0);
    for (size_t s = 0; s + 1 < tok.seq_offsets.size(); ++s) {
      double sum = 0.0;
      int64_t cnt = 0;
      for (int64_t t = tok.seq_offsets[s]; t < tok.seq_offsets[s + 1]; ++t) {
        if (tok.coef[t] == 0.0f) continue;
        sum += static_cast<double>(logp_sg[t]) - tok.logp_gen[t];
        ++cnt;
      }
      const double si = cnt ? std::exp(sum / static_cast<double>(cnt)) : 1.0;
      for (int64_t t = tok.seq_offsets[s]; t < tok.seq_offsets[s + 1]; ++t) seq_ratio[t] = si;
    }
  }
  int64_t low = 0, high = 0;
  double rho_sum = 0.0, kl_sum = 0.0;
  for (size_t t = 0; t < n; ++t) {
    const double c = tok.coef[t];
    if (c == 0.0) continue;
    const double A = tok.advantage[t];
    const double rho_sg = std::exp(static_cast<double>(logp_sg[t]) - tok.logp_gen[t]);
    const double lp = logp[t];
    double l = 0.0, dl = 0.0;  // per-token loss and its derivative w.r.t. logp
    switch (cfg.kind) {
      case LossKind::kCispo: {
        double w = std::min(rho_sg, cfg.cispo_eps_max);
        if (rho_sg > cfg.cispo_eps_max) ++high;
        if (cfg.cispo_eps_low_is && rho_sg < 1.0 - *cfg.cispo_eps_low_is) {
          w = 1.0 - *cfg.cispo_eps_low_is;
          ++low;
        }
        w *= A;
        l = -w * lp;
        dl = -w;
        break;
      }
      case LossKind::kPpoClip:
      case LossKind::kGspo: {
        const bool gspo = cfg.kind == LossKind::kGspo;
        const double el = gspo ? cfg.gspo_eps_low : cfg.clip_eps_low;
        const double eh = gspo ? cfg.gspo_eps_high : cfg.clip_eps_high;
        // PPO: rho itself is differentiated. GSPO-token: s_{i,t} = s_i * exp(logp - sg(logp)).
        const double ratio = gspo ? seq_ratio[t] * std::exp(lp - logp_sg[t]) : std::exp(lp - tok.logp_gen[t]);
        const double unclipped = ratio * A;
        const double clipped = std::clamp(ratio, 1.0 - el, 1.0 + eh) * A;
        if (clipped < unclipped) {  // the clipped term is the min: constant in logp, zero gradient
          l = -clipped;
          dl = 0.0;
          (ratio > 1.0 ? high : low) += 1;
        } else {
          l = -unclipped;
          dl = -unclipped;  // d(ratio)/dlogp = ratio
        }
        break;
      }
    }
    if (cfg.kl_beta > 0.0) {
      const double d = static_cast<double>((*logp_ref)[t]) - lp;  // log(pi_ref / pi_theta)
      l += cfg.kl_beta * (std::exp(d) - d - 1.0);
      dl += cfg.kl_beta * (1.0 - std::exp(d));
    }
    r.loss += c * l;
    r.dlogp[t] = static_cast<float>(c * dl);
    const double shown = cfg.kind == LossKind::kGspo ? seq_ratio[t] : rho_sg;
    rho_sum += shown;
    r.stats.rho_max = std::max(r.stats.rho_max, shown);
    const double x = static_cast<double>(logp_sg[t]) - tok.logp_gen[t];  // log(pi_theta / pi_gen)
    kl_sum += std::exp(x) - 1.0 - x;
    ++r.stats.loss_tokens;
  }
  if (r.stats.loss_tokens > 0) {
    const double m = static_cast<double>(r.stats.loss_tokens);
    r.stats.clip_frac_low = low / m;
    r.stats.clip_frac_high = high / m;
    r.stats.rho_mean = rho_sum / m;
    r.stats.kl_gen_train = kl_sum / m;
  }
  return r;
}

}  // namespace ascent
