// Sampler-mismatch correction (learner/mismatch.h, learner/losses.h):
//  - truncation and masking counted by hand on five tokens, at token and sequence level, for each correction
//    and loss, with the decoupled gradient -c * w * A checked token by token and by finite differences;
//  - the ratio's quantiles from the histogram;
//  - Monte Carlo: tokens drawn from a sampler whose logits are perturbed by a known amount; the gradient
//    (w.r.t. the trainer's logits) of the corrected loss equals the exact policy gradient under the trainer's
//    policy within Monte Carlo error, while the uncorrected one does not; with a cap that binds, TIS equals
//    its own (biased) expectation computed exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "learner/losses.h"
#include "learner/mismatch.h"

namespace ascent {
namespace {

// Five loss tokens in two completions with ratios rho = pi/pi_gen of 0.3, 0.9, 1.5 | 2.5, 10, and a sixth
// token without loss (coef 0, rho 100) that nothing may count. Advantages +1 then -1; coefficients 0.2.
struct Five {
  FlatTokens tok;
  std::vector<float> logp;
};

Five five() {
  Five f;
  const double rho[] = {0.3, 0.9, 1.5, 2.5, 10.0, 100.0};
  for (int t = 0; t < 6; ++t) {
    f.tok.logp_gen.push_back(-2.0f);
    f.logp.push_back(static_cast<float>(-2.0 + std::log(rho[t])));
    f.tok.advantage.push_back(t < 3 ? 1.0f : -1.0f);
    f.tok.coef.push_back(t < 5 ? 0.2f : 0.0f);
    f.tok.version.push_back(0);
  }
  f.tok.seq_offsets = {0, 3, 6};
  return f;
}

struct Expect {
  MismatchCorrection corr;
  MismatchLevel level;
  double cap;
  std::vector<double> w;  // the weight per loss token
  double truncated, masked;
};

TEST(Mismatch, WeightsTruncationAndMaskingByHand) {
  const Five f = five();
  const double seq1 = 0.3 * 0.9 * 1.5;  // 0.405; the second completion's product is 25 (token 6 has no loss)
  const double geo1 = std::cbrt(seq1);
  const std::vector<Expect> cases = {
      {MismatchCorrection::kTis, MismatchLevel::kToken, 2.0, {0.3, 0.9, 1.5, 2.0, 2.0}, 0.4, 0.0},
      {MismatchCorrection::kMis, MismatchLevel::kToken, 2.0, {0.0, 0.9, 1.5, 0.0, 0.0}, 0.0, 0.6},
      {MismatchCorrection::kIcepop, MismatchLevel::kToken, 0.0, {0.0, 0.9, 1.5, 2.5, 0.0}, 0.0, 0.4},
      {MismatchCorrection::kTis, MismatchLevel::kSequence, 2.0, {seq1, seq1, seq1, 2.0, 2.0}, 0.4, 0.0},
      {MismatchCorrection::kMis, MismatchLevel::kSequence, 4.0, {seq1, seq1, seq1, 0.0, 0.0}, 0.0, 0.4},
      {MismatchCorrection::kMis, MismatchLevel::kSequence, 2.0, {0.0, 0.0, 0.0, 0.0, 0.0}, 0.0, 1.0},
      // Geometric: 0.405^(1/3) = 0.74 and 25^(1/2) = 5.
      {MismatchCorrection::kTis, MismatchLevel::kGeometric, 2.0, {geo1, geo1, geo1, 2.0, 2.0}, 0.4, 0.0},
      {MismatchCorrection::kMis, MismatchLevel::kGeometric, 2.0, {geo1, geo1, geo1, 0.0, 0.0}, 0.0, 0.4},
  };
  for (LossKind kind : {LossKind::kPpoClip, LossKind::kGspo}) {
    for (const Expect& e : cases) {
      LossConfig cfg;
      cfg.kind = kind;
      cfg.mismatch.correction = e.corr;
      cfg.mismatch.level = e.level;
      cfg.mismatch.cap = e.cap;
      const LossResult r = loss_compute(cfg, f.tok, f.logp, f.logp);
      const std::string what = std::string(kind == LossKind::kGspo ? "gspo " : "ppo_clip ") +
                               mismatch_correction_name(e.corr) + " " + mismatch_level_name(e.level) +
                               " cap " + std::to_string(e.cap);
      double loss = 0;
      for (int t = 0; t < 5; ++t) {
        const double want = -0.2 * e.w[t] * f.tok.advantage[t];  // decoupled: r = 1, clip inactive
        EXPECT_NEAR(r.dlogp[t], want, 1e-6) << what << " token " << t;
        loss += want;
        // Finite differences in logp with logp_sg held.
        const double h = kind == LossKind::kGspo ? 1e-4 : 1e-3;  // inside GSPO's clip range of 3e-4 / 4e-4
        std::vector<float> up = f.logp, dn = f.logp;
        up[t] += static_cast<float>(h), dn[t] -= static_cast<float>(h);
        const double fd =
            (loss_compute(cfg, f.tok, up, f.logp).loss - loss_compute(cfg, f.tok, dn, f.logp).loss) /
            (static_cast<double>(up[t]) - dn[t]);
        EXPECT_NEAR(fd, r.dlogp[t], 1e-4) << what << " token " << t;
      }
      EXPECT_EQ(r.dlogp[5], 0.0f);
      EXPECT_NEAR(r.loss, loss, 1e-6) << what;
      EXPECT_DOUBLE_EQ(r.stats.mismatch_truncated_frac, e.truncated) << what;
      EXPECT_DOUBLE_EQ(r.stats.mismatch_masked_frac, e.masked) << what;
      EXPECT_EQ(r.stats.clip_frac_low + r.stats.clip_frac_high, 0.0) << what;
    }
  }
}

// CISPO: mis / icepop masks multiply its own capped weight sg(min(rho, eps_max)) (eps_max = 4 caps token 5).
TEST(Mismatch, MasksMultiplyCisposWeight) {
  const Five f = five();
  LossConfig cfg;
  cfg.mismatch.correction = MismatchCorrection::kIcepop;
  const LossResult r = loss_compute(cfg, f.tok, f.logp, f.logp);
  const double w[] = {0.0, 0.9, 1.5, 2.5, 0.0};
  for (int t = 0; t < 5; ++t) EXPECT_NEAR(r.dlogp[t], -0.2 * w[t] * f.tok.advantage[t], 1e-6) << t;
  cfg.mismatch.correction = MismatchCorrection::kMis;
  cfg.mismatch.level = MismatchLevel::kSequence;
  cfg.mismatch.cap = 4.0;
  const LossResult s = loss_compute(cfg, f.tok, f.logp, f.logp);
  const double w2[] = {0.3, 0.9, 1.5, 0.0, 0.0};  // sequence 1 kept with CISPO's token weights
  for (int t = 0; t < 5; ++t) EXPECT_NEAR(s.dlogp[t], -0.2 * w2[t] * f.tok.advantage[t], 1e-6) << t;
  EXPECT_DOUBLE_EQ(s.stats.mismatch_masked_frac, 0.4);
}

// The ratio's distribution over the five loss tokens: the median is the 3rd value (1.5), p99 the 5th (10),
// the max exactly 10; at sequence level one entry per completion (0.405 and 25).
TEST(Mismatch, RatioQuantiles) {
  const Five f = five();
  LossConfig cfg;
  LossResult r = loss_compute(cfg, f.tok, f.logp, f.logp);
  EXPECT_EQ(r.stats.ratio_hist.total(), 5.0);
  EXPECT_NEAR(r.stats.ratio_hist.quantile(0.5), 1.5, 1.5 * 0.0026);
  EXPECT_NEAR(r.stats.ratio_hist.quantile(0.99), 10.0, 10.0 * 0.0026);
  EXPECT_NEAR(r.stats.ratio_hist.quantile(0.0), 0.3, 0.3 * 0.0026);
  EXPECT_NEAR(std::exp(r.stats.ratio_log_max), 10.0, 1e-5);
  cfg.mismatch.correction = MismatchCorrection::kMis;
  cfg.mismatch.level = MismatchLevel::kSequence;
  r = loss_compute(cfg, f.tok, f.logp, f.logp);
  EXPECT_EQ(r.stats.ratio_hist.total(), 2.0);
  EXPECT_NEAR(r.stats.ratio_hist.quantile(0.5), 0.405, 0.405 * 0.0026);
  EXPECT_NEAR(r.stats.ratio_hist.quantile(1.0), 25.0, 25.0 * 0.0026);
  // Outside [e^-8, e^8] the outer bins; an empty histogram reads 0; merging adds counts.
  RatioHistogram z;  // on-policy tokens read exactly 1
  for (int i = 0; i < 10; ++i) z.add(0.0);
  EXPECT_EQ(z.quantile(0.5), 1.0);
  EXPECT_EQ(z.quantile(0.99), 1.0);
  RatioHistogram h;
  EXPECT_EQ(h.quantile(0.5), 0.0);
  h.add(-50), h.add(0.0), h.add(50);
  EXPECT_NEAR(h.quantile(0.0), std::exp(-8.0), 1e-12);
  EXPECT_NEAR(h.quantile(1.0), std::exp(8.0), 1e-6);
  RatioHistogram g;
  g.add(0.0);
  g.merge(h);
  EXPECT_EQ(g.total(), 4.0);
  EXPECT_EQ(g.quantile(0.5), 1.0);
}

// ---- Monte Carlo: the corrected gradient is the trainer's policy gradient ----

// A one-step policy over K = 6 tokens with logits z (trainer pi = softmax(z)), a sampler whose logits are
// z + delta (mu = softmax(z + delta)), and advantages R(y). The gradient of a loss over N sampled tokens with
// respect to z is sum_t dL/dlogp_t * (e_{y_t} - pi); the true policy gradient of -E_pi[R] is
// -sum_y pi(y) R(y) (e_y - pi).
struct Bandit {
  std::vector<double> z = {0.2, -0.4, 1.0, 0.0, -1.0, 0.5};
  std::vector<double> delta = {0.3, -0.3, 0.2, -0.25, 0.3, -0.1};
  std::vector<double> R = {1.0, 0.0, 0.5, -1.0, 2.0, 0.3};
  std::vector<double> pi, mu;
  Bandit() {
    pi = softmax(z);
    std::vector<double> zd = z;
    for (size_t k = 0; k < z.size(); ++k) zd[k] += delta[k];
    mu = softmax(zd);
  }
  static std::vector<double> softmax(const std::vector<double>& x) {
    double s = 0;
    std::vector<double> p(x.size());
    for (size_t k = 0; k < x.size(); ++k) s += p[k] = std::exp(x[k]);
    for (double& v : p) v /= s;
    return p;
  }
  // sum_y q(y) f(y) R(y) (e_y - pi), negated: the expected gradient of an estimator weighting by f under q.
  std::vector<double> expected(const std::vector<double>& q, const std::vector<double>& f) const {
    std::vector<double> g(pi.size(), 0.0);
    for (size_t y = 0; y < pi.size(); ++y)
      for (size_t k = 0; k < pi.size(); ++k) g[k] -= q[y] * f[y] * R[y] * ((k == y) - pi[k]);
    return g;
  }
};

struct Estimate {
  std::vector<double> mean, se;
};

// Draws n completions of `len` tokens from mu; each completion's advantage is the sum of its tokens' R.
Estimate mc_gradient(const Bandit& b, const LossConfig& cfg, int n, int len, uint64_t seed,
                     LossStats* stats = nullptr) {
  std::mt19937_64 gen(seed);
  std::discrete_distribution<int> draw(b.mu.begin(), b.mu.end());
  FlatTokens tok;
  std::vector<float> logp;
  std::vector<int> ys;
  tok.seq_offsets.push_back(0);
  for (int s = 0; s < n; ++s) {
    double A = 0;
    const size_t first = ys.size();
    for (int t = 0; t < len; ++t) ys.push_back(draw(gen)), A += b.R[ys.back()];
    for (size_t t = first; t < ys.size(); ++t) {
      tok.logp_gen.push_back(static_cast<float>(std::log(b.mu[ys[t]])));
      logp.push_back(static_cast<float>(std::log(b.pi[ys[t]])));
      tok.advantage.push_back(static_cast<float>(A));
      tok.coef.push_back(1.0f / static_cast<float>(n));
      tok.version.push_back(0);
    }
    tok.seq_offsets.push_back(static_cast<int64_t>(ys.size()));
  }
  const LossResult r = loss_compute(cfg, tok, logp, logp);
  if (stats) *stats = r.stats;
  const size_t K = b.pi.size();
  std::vector<double> sum(K, 0.0), sq(K, 0.0);
  for (int s = 0; s < n; ++s) {  // per completion: n * its gradient contribution
    std::vector<double> v(K, 0.0);
    for (int64_t t = tok.seq_offsets[s]; t < tok.seq_offsets[s + 1]; ++t)
      for (size_t k = 0; k < K; ++k)
        v[k] += n * static_cast<double>(r.dlogp[t]) * ((k == size_t(ys[t])) - b.pi[k]);
    for (size_t k = 0; k < K; ++k) sum[k] += v[k], sq[k] += v[k] * v[k];
  }
  Estimate e;
  for (size_t k = 0; k < K; ++k) {
    const double m = sum[k] / n;
    e.mean.push_back(m);
    e.se.push_back(std::sqrt(std::max(0.0, sq[k] / n - m * m) / n));
  }
  return e;
}

double max_z(const Estimate& e, const std::vector<double>& want) {
  double z = 0;
  for (size_t k = 0; k < want.size(); ++k) z = std::max(z, std::fabs(e.mean[k] - want[k]) / e.se[k]);
  return z;
}

struct McCase {
  LossKind kind;
  MismatchCorrection corr;
  MismatchLevel level;
  double cap;
};

TEST(MismatchMonteCarlo, CorrectedGradientIsTheTrainersPolicyGradient) {
  const Bandit b;
  const std::vector<double> ones(6, 1.0);
  const std::vector<double> truth = b.expected(b.pi, ones);
  // Weight 1 on the sampler's tokens (no correction at all) is biased by the perturbation.
  std::vector<double> naive = b.expected(b.mu, ones);
  double gap = 0;
  for (size_t k = 0; k < 6; ++k) gap = std::max(gap, std::fabs(naive[k] - truth[k]));
  const std::vector<McCase> cases = {
      {LossKind::kPpoClip, MismatchCorrection::kTis, MismatchLevel::kToken, 2.0},
      {LossKind::kPpoClip, MismatchCorrection::kMis, MismatchLevel::kToken, 2.0},
      {LossKind::kPpoClip, MismatchCorrection::kIcepop, MismatchLevel::kToken, 0.0},
      // One-token completions: the geometric ratio is the token's, the exact IS weight.
      {LossKind::kGspo, MismatchCorrection::kTis, MismatchLevel::kGeometric, 2.0},
      {LossKind::kCispo, MismatchCorrection::kMis, MismatchLevel::kToken, 2.0},
      {LossKind::kCispo, MismatchCorrection::kOff, MismatchLevel::kToken, 0.0},
  };
  uint64_t seed = 1;
  for (const McCase& c : cases) {
    LossConfig cfg;
    cfg.kind = c.kind;
    cfg.mismatch.correction = c.corr;
    cfg.mismatch.level = c.level;
    if (c.cap > 0) cfg.mismatch.cap = c.cap;
    LossStats st;
    const Estimate e = mc_gradient(b, cfg, 200000, 1, seed++, &st);
    EXPECT_EQ(st.mismatch_truncated_frac + st.mismatch_masked_frac, 0.0) << "no weight may bind here";
    EXPECT_LT(max_z(e, truth), 4.5) << static_cast<int>(c.kind) << " " << mismatch_correction_name(c.corr);
    double se = 0;
    for (double s : e.se) se = std::max(se, s);
    EXPECT_GT(gap, 10 * se) << "the test could not tell a biased estimator from the truth";
  }
  // Sequences of 4 tokens with the sequence-level product weight (at most e^(4 * 0.6) < 12 here).
  LossConfig seq;
  seq.kind = LossKind::kPpoClip;
  seq.mismatch.correction = MismatchCorrection::kMis;
  seq.mismatch.level = MismatchLevel::kSequence;
  seq.mismatch.cap = 20.0;
  const Estimate e = mc_gradient(b, seq, 200000, 4, 99);
  std::vector<double> truth4 = truth;
  for (double& v : truth4) v *= 4;  // the other tokens' R average out against E_pi[grad log pi] = 0
  EXPECT_LT(max_z(e, truth4), 4.5);
}

// A cap that binds: TIS at C = 1.05 truncates part of the tokens; its gradient is then the exact expectation
// E_mu[min(rho, C) R (e_y - pi)] (computed over the 6 outcomes), which is not the policy gradient.
TEST(MismatchMonteCarlo, BindingTruncationIsItsOwnExpectation) {
  const Bandit b;
  LossConfig cfg;
  cfg.kind = LossKind::kPpoClip;
  cfg.mismatch.correction = MismatchCorrection::kTis;
  cfg.mismatch.cap = 1.05;
  std::vector<double> w(6), ones(6, 1.0);
  double truncated = 0;
  for (size_t y = 0; y < 6; ++y) {
    const double rho = b.pi[y] / b.mu[y];
    w[y] = std::min(rho, 1.05);
    if (rho > 1.05) truncated += b.mu[y];
  }
  ASSERT_GT(truncated, 0.1);
  LossStats st;
  const Estimate e = mc_gradient(b, cfg, 200000, 1, 5, &st);
  EXPECT_LT(max_z(e, b.expected(b.mu, w)), 4.5);
  EXPECT_GT(max_z(e, b.expected(b.pi, ones)), 6.0);
  EXPECT_NEAR(st.mismatch_truncated_frac, truncated, 0.005);  // binomial sd ~ 0.001
}

}  // namespace
}  // namespace ascent
