// Losses and aggregation: value and dL/dlogp for every loss x aggregation mode, against (a) a literal
// transcription of docs/algorithms.md sections 2-3 written here, token by token, and (b) central finite
// differences of the loss value in logp with the stop-gradient inputs held fixed (as autograd differentiates
// it).
#include <gtest/gtest.h>

#include <cmath>

#include "learner/advantages.h"
#include "learner/aggregation.h"
#include "learner/losses.h"

namespace ascent {

namespace {

// Two prompts, G = 2. Each token's ratio rho = pi_theta / pi_gen is chosen to land in a distinct regime:
// below 1 - 0.2, inside the PPO range, above 1 + 0.28, above CISPO's eps_max = 4. Token b2[1] has no loss.
struct Fixture {
  RolloutBatch batch;
  std::vector<float> logp;  // log pi_theta per token, flattened
};

Rollout comp(std::vector<double> rhos, double reward, std::vector<uint8_t> mask = {}) {
  Rollout c;
  for (double r : rhos) {
    c.tokens.push_back(7);
    c.logp_gen.push_back(-1.0f);
    c.version.push_back(3);
    (void)r;
  }
  c.loss_mask = mask.empty() ? std::vector<uint8_t>(rhos.size(), 1) : mask;
  c.reward = reward;
  return c;
}

Fixture make_fixture() {
  Fixture f;
  const std::vector<std::vector<double>> rhos = {{0.7, 1.1, 5.0}, {1.5}, {0.9, 1.35}, {0.6, 2.0}};
  PromptGroup a, b;
  a.prompt_id = "A", b.prompt_id = "B";
  a.completions = {comp(rhos[0], 1.0), comp(rhos[1], 0.0)};
  b.completions = {comp(rhos[2], 0.0), comp(rhos[3], 1.0, {1, 0})};
  f.batch.groups = {a, b};
  for (const auto& r : rhos) {
    for (double x : r) f.logp.push_back(static_cast<float>(-1.0 + std::log(x)));
  }
  return f;
}

// docs/algorithms.md section 2, token by token, in double. Returns the loss value; grad gets dL/dlogp.
double reference_loss(const LossConfig& cfg, const FlatTokens& tok, const std::vector<float>& logp,
                      std::vector<double>* grad) {
  double L = 0;
  grad->assign(logp.size(), 0.0);
  for (size_t s = 0; s + 1 < tok.seq_offsets.size(); ++s) {
    // GSPO: s_i = (pi/pi_gen)^(1/|y_i|) over the loss tokens of completion i.
    double lr = 0;
    int n = 0;
    for (int64_t t = tok.seq_offsets[s]; t < tok.seq_offsets[s + 1]; ++t) {
      if (tok.coef[t] != 0) lr += static_cast<double>(logp[t]) - tok.logp_gen[t], ++n;
    }
    const double si = std::exp(lr / std::max(n, 1));
    for (int64_t t = tok.seq_offsets[s]; t < tok.seq_offsets[s + 1]; ++t) {
      const double c = tok.coef[t], A = tok.advantage[t];
      if (c == 0) continue;
      const double rho = std::exp(static_cast<double>(logp[t]) - tok.logp_gen[t]);
      if (cfg.kind == LossKind::kCispo) {
        double w = std::min(rho, cfg.cispo_eps_max);  // sg(min(rho, eps_max))
        if (cfg.cispo_eps_low_is) w = std::max(w, 1.0 - *cfg.cispo_eps_low_is);
        L += -c * w * A * logp[t];
        (*grad)[t] = -c * w * A;
      } else {
        const double r = cfg.kind == LossKind::kGspo ? si : rho;
        const double el = cfg.kind == LossKind::kGspo ? cfg.gspo_eps_low : cfg.clip_eps_low;
        const double eh = cfg.kind == LossKind::kGspo ? cfg.gspo_eps_high : cfg.clip_eps_high;
        const double clipped = std::min(std::max(r, 1 - el), 1 + eh) * A;
        L += -c * std::min(r * A, clipped);
        // Unclipped term active: d(r A)/dlogp_t = r A (PPO: r = rho; GSPO-token: d s_{i,t}/dlogp_t = s_i).
        (*grad)[t] = r * A <= clipped ? -c * r * A : 0.0;
      }
    }
  }
  return L;
}

// The fixture with group-centred advantages and token aggregation (7 loss tokens: N_agg = 7).
FlatTokens token_aggregated(const Fixture& f) {
  auto adv = advantages_compute(f.batch, {AdvantageMode::kGroupCentered});
  return flat_tokens_build(f.batch, adv, aggregation_coefficients(f.batch, {AggregationMode::kToken}));
}

struct Case {
  LossKind loss;
  AggregationMode agg;
};

class LossTest : public ::testing::TestWithParam<Case> {};

TEST_P(LossTest, ValueAndGradientByHandAndFiniteDifferences) {
  Fixture f = make_fixture();
  LossConfig cfg;
  cfg.kind = GetParam().loss;
  if (cfg.kind == LossKind::kGspo) cfg.gspo_eps_low = 0.1, cfg.gspo_eps_high = 0.15;  // some sequences clip
  AggregationConfig ac;
  ac.mode = GetParam().agg;
  ac.fixed_max_tokens = 4;
  auto adv = advantages_compute(f.batch, {AdvantageMode::kGroupCentered});
  FlatTokens tok = flat_tokens_build(f.batch, adv, aggregation_coefficients(f.batch, ac));
  LossResult r = loss_compute(cfg, tok, f.logp, f.logp);
  std::vector<double> want;
  const double L = reference_loss(cfg, tok, f.logp, &want);
  EXPECT_NEAR(r.loss, L, 1e-12);
  for (size_t t = 0; t < want.size(); ++t) EXPECT_NEAR(r.dlogp[t], want[t], 1e-7) << "token " << t;

  // Finite differences in logp with logp_sg fixed (the sg() inputs are constants for autograd).
  for (size_t t = 0; t < f.logp.size(); ++t) {
    const double h = 1e-3;
    std::vector<float> up = f.logp, dn = f.logp;
    up[t] += static_cast<float>(h);
    dn[t] -= static_cast<float>(h);
    const double fd = (loss_compute(cfg, tok, up, f.logp).loss - loss_compute(cfg, tok, dn, f.logp).loss) /
                      (static_cast<double>(up[t]) - dn[t]);
    EXPECT_NEAR(fd, r.dlogp[t], 1e-5) << "token " << t;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllLossesAllAggregations, LossTest,
    ::testing::Values(
        Case{LossKind::kCispo, AggregationMode::kToken}, Case{LossKind::kCispo, AggregationMode::kPrompt},
        Case{LossKind::kCispo, AggregationMode::kSample}, Case{LossKind::kCispo, AggregationMode::kFixed},
        Case{LossKind::kPpoClip, AggregationMode::kToken}, Case{LossKind::kPpoClip, AggregationMode::kPrompt},
        Case{LossKind::kPpoClip, AggregationMode::kSample}, Case{LossKind::kPpoClip, AggregationMode::kFixed},
        Case{LossKind::kGspo, AggregationMode::kToken}, Case{LossKind::kGspo, AggregationMode::kPrompt},
        Case{LossKind::kGspo, AggregationMode::kSample}, Case{LossKind::kGspo, AggregationMode::kFixed}),
    [](const ::testing::TestParamInfo<Case>& i) {
      const char* loss = i.param.loss == LossKind::kCispo  ? "cispo"
                         : i.param.loss == LossKind::kGspo ? "gspo"
                                                           : "ppo_clip";
      const char* agg = i.param.agg == AggregationMode::kToken    ? "token"
                        : i.param.agg == AggregationMode::kPrompt ? "prompt"
                        : i.param.agg == AggregationMode::kSample ? "sample"
                                                                  : "fixed";
      return std::string(loss) + "_" + agg;
    });

// CISPO: dL/dlogp = -min(rho, eps_max) * A / N_agg exactly, and for rho < eps_max it does not depend on
// eps_max. Token aggregation, 7 loss tokens: N_agg = 7. Hand values: token a1[2] has rho 5 > 4, A = 0.5:
// gradient -4 * 0.5 / 7 = -2/7; token a1[0] has rho 0.7: -0.7 * 0.5 / 7 = -0.05.
TEST(Cispo, GradientIsExactlyTheCappedWeight) {
  Fixture f = make_fixture();
  FlatTokens tok = token_aggregated(f);
  LossConfig cfg;
  cfg.cispo_eps_max = 4.0;
  LossResult r = loss_compute(cfg, tok, f.logp, f.logp);
  for (size_t t = 0; t < f.logp.size(); ++t) {
    if (tok.coef[t] == 0) {
      EXPECT_EQ(r.dlogp[t], 0.0f);
      continue;
    }
    const double rho = std::exp(static_cast<double>(f.logp[t]) - tok.logp_gen[t]);
    const double expect = tok.coef[t] * -(std::min(rho, 4.0) * tok.advantage[t]);
    EXPECT_EQ(r.dlogp[t], static_cast<float>(expect)) << "token " << t;
  }
  EXPECT_NEAR(r.dlogp[2], -2.0 / 7.0, 1e-7);
  EXPECT_NEAR(r.dlogp[0], -0.05, 1e-7);
  cfg.cispo_eps_max = 100.0;  // the clip moves; tokens with rho < 4 keep bit-identical gradients
  LossResult wide = loss_compute(cfg, tok, f.logp, f.logp);
  for (size_t t = 0; t < f.logp.size(); ++t) {
    const double rho = std::exp(static_cast<double>(f.logp[t]) - tok.logp_gen[t]);
    if (rho < 4.0) {
      EXPECT_EQ(wide.dlogp[t], r.dlogp[t]) << "token " << t;
    }
  }
  EXPECT_NE(wide.dlogp[2], r.dlogp[2]);  // rho 5 is capped only by the smaller eps_max
  EXPECT_NEAR(r.stats.clip_frac_high, 1.0 / 7.0, 1e-12);
}

// PPO-clip: the gradient is exactly zero where the clip is active, i.e. where the clipped term is the
// smaller: A > 0 with rho > 1 + eps_high (a1[2], rho 5), or A < 0 with rho < 1 - eps_low. Not clipped: A > 0
// with rho 0.6 < 0.8 (b2[0]: the unclipped term is already the smaller) and A < 0 with rho 1.5 > 1.28
// (a2[0]).
TEST(PpoClip, ZeroGradientExactlyWhereClipped) {
  Fixture f = make_fixture();
  FlatTokens tok = token_aggregated(f);
  LossConfig cfg;
  cfg.kind = LossKind::kPpoClip;
  LossResult r = loss_compute(cfg, tok, f.logp, f.logp);
  // Tokens: a1 [0.7, 1.1, 5.0] A=+.5 | a2 [1.5] A=-.5 | b1 [0.9, 1.35] A=-.5 | b2 [0.6, (masked)] A=+.5
  const std::vector<bool> clipped = {false, false, true, false, false, false, false, false};
  for (size_t t = 0; t < clipped.size(); ++t) {
    if (clipped[t]) {
      EXPECT_EQ(r.dlogp[t], 0.0f) << "token " << t;
    } else if (tok.coef[t] != 0) {
      EXPECT_NE(r.dlogp[t], 0.0f) << "token " << t;
    }
  }
  // An A < 0 token below 1 - eps_low is clipped too: move b1[0] to rho 0.5.
  std::vector<float> lp = f.logp;
  lp[4] = static_cast<float>(-1.0 + std::log(0.5));
  EXPECT_EQ(loss_compute(cfg, tok, lp, lp).dlogp[4], 0.0f);
  EXPECT_NEAR(r.stats.clip_frac_high, 1.0 / 7.0, 1e-12);
}

// Aggregation weighs tokens as docs/algorithms.md section 3 says. Prompt A: completions of 10 and 2 loss
// tokens; prompt B: 4 and 4 (P = 2, 4 completions, 20 loss tokens).
//   token:  every token 1/20
//   prompt: A's tokens 1/(2*12) = 1/24, B's 1/(2*8) = 1/16        (each prompt weighs 1/2 in total)
//   sample: A long 1/(4*10) = 1/40, A short 1/(4*2) = 1/8, B 1/16 (each completion weighs 1/4 in total)
//   fixed (max 16 tokens): 1/(16*4) = 1/64 everywhere
TEST(Aggregation, LongAndShortCompletionsByMode) {
  RolloutBatch b;
  auto mk = [](int n) {
    Rollout c;
    c.tokens.assign(n, 1);
    c.logp_gen.assign(n, 0.0f);
    return c;
  };
  PromptGroup A, B;
  A.completions = {mk(10), mk(2)};
  B.completions = {mk(4), mk(4)};
  b.groups = {A, B};
  auto coef = [&](AggregationMode m) {
    AggregationConfig c;
    c.mode = m;
    c.fixed_max_tokens = 16;
    return aggregation_coefficients(b, c);
  };
  auto tk = coef(AggregationMode::kToken), pr = coef(AggregationMode::kPrompt),
       sa = coef(AggregationMode::kSample), fx = coef(AggregationMode::kFixed);
  ASSERT_EQ(tk.size(), 20u);
  for (int t = 0; t < 20; ++t) {
    const bool a_long = t < 10, a_short = t >= 10 && t < 12;
    EXPECT_FLOAT_EQ(tk[t], 1.0f / 20);
    EXPECT_FLOAT_EQ(pr[t], (a_long || a_short) ? 1.0f / 24 : 1.0f / 16);
    EXPECT_FLOAT_EQ(sa[t], a_long ? 1.0f / 40 : a_short ? 1.0f / 8 : 1.0f / 16);
    EXPECT_FLOAT_EQ(fx[t], 1.0f / 64);
  }
  // Masked tokens and overlong filtering: out of every denominator.
  b.groups[0].completions[0].loss_mask.assign(10, 1);
  b.groups[0].completions[0].loss_mask[0] = 0;
  b.groups[1].completions[1].truncated = true;
  AggregationConfig c;
  c.mode = AggregationMode::kToken;
  c.overlong_filter = true;
  auto m = aggregation_coefficients(b, c);
  EXPECT_EQ(m[0], 0.0f);
  EXPECT_FLOAT_EQ(m[1], 1.0f / 15);  // 20 - 1 masked - 4 truncated
  EXPECT_EQ(m[19], 0.0f);
}

}  // namespace

}  // namespace ascent
