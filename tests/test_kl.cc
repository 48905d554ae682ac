// KL to a frozen reference policy (learner/kl.h, learner/reference_policy.h):
//  - each estimator's value and gradient against the hand formulas and central finite differences;
//  - what each estimates, by Monte Carlo under sampling from pi: k1 and k3 average to KL(pi || pi_ref)
//    computed exactly over a categorical distribution, k2 does not (the direction of the KL is checked);
//  - the loss form through loss_compute (value, gradient, finite differences) and the reward form's penalty
//    (hand sums of known log-ratio offsets, masked tokens skipped, ranks' shares adding up);
//  - a small run on the engine: the loss-form KL pulls a policy that rewards pushed away back towards the
//    reference (the log-prob distance measured on the trained and on held-out sequences).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "learner/advantages.h"
#include "learner/kl.h"
#include "learner/losses.h"
#include "learner/reference_policy.h"
#include "learner/train_step.h"
#include "tests/learner_fixtures.h"
#include "tests/model_fixtures.h"

namespace ascent {
namespace {

constexpr KlEstimator kAll[] = {KlEstimator::kK1, KlEstimator::kK2, KlEstimator::kK3};

// Hand values at logp = -1.2, logp_ref = -0.7 (d = log pi_ref - log pi = 0.5):
//   k1 = -0.5, k2 = 0.125, k3 = e^0.5 - 1.5 = 0.1487212707; gradients 1, -0.5, 1 - e^0.5 = -0.6487212707.
TEST(KlEstimators, ValuesAndGradientsByHand) {
  EXPECT_DOUBLE_EQ(kl_value(KlEstimator::kK1, -1.2, -0.7), -0.5);
  EXPECT_NEAR(kl_value(KlEstimator::kK2, -1.2, -0.7), 0.125, 1e-15);
  EXPECT_NEAR(kl_value(KlEstimator::kK3, -1.2, -0.7), 0.1487212707001282, 1e-15);
  EXPECT_DOUBLE_EQ(kl_grad(KlEstimator::kK1, -1.2, -0.7), 1.0);
  EXPECT_NEAR(kl_grad(KlEstimator::kK2, -1.2, -0.7), -0.5, 1e-15);
  EXPECT_NEAR(kl_grad(KlEstimator::kK3, -1.2, -0.7), -0.6487212707001282, 1e-15);
  // All three vanish where the policies agree; k2 and k3 are >= 0 everywhere.
  for (KlEstimator e : kAll) EXPECT_EQ(kl_value(e, -2.0, -2.0), 0.0);
  for (double d : {-3.0, -0.1, 0.2, 4.0}) {
    EXPECT_GE(kl_value(KlEstimator::kK2, 0.0, d), 0.0);
    EXPECT_GE(kl_value(KlEstimator::kK3, 0.0, d), 0.0);
  }
}

// Beyond |d| = 20 the log-ratio is clamped: finite values, zero gradient (a token whose reference log-prob is
// 100 nats above the policy's would otherwise give k3 = e^100 and an infinite float gradient).
TEST(KlEstimators, ClampedBeyondTwentyNats) {
  for (KlEstimator e : kAll) {
    EXPECT_EQ(kl_value(e, -110.0, -10.0), kl_value(e, -30.0, -10.0)) << kl_estimator_name(e);
    EXPECT_EQ(kl_grad(e, -110.0, -10.0), 0.0);
    EXPECT_EQ(kl_grad(e, -10.0, -110.0), 0.0);
    EXPECT_TRUE(std::isfinite(kl_value(e, -110.0, -10.0)));
  }
  EXPECT_NEAR(kl_value(KlEstimator::kK3, -110.0, -10.0), std::exp(20.0) - 21.0, 1e-3);
  EXPECT_EQ(kl_value(KlEstimator::kK1, -10.0, -110.0), 20.0);
}

TEST(KlEstimators, GradientsMatchFiniteDifferences) {
  for (KlEstimator e : kAll) {
    for (double lp : {-3.0, -1.0, -0.2}) {
      for (double ref : {-4.0, -1.0, -0.05}) {
        const double h = 1e-6;
        const double fd = (kl_value(e, lp + h, ref) - kl_value(e, lp - h, ref)) / (2 * h);
        EXPECT_NEAR(kl_grad(e, lp, ref), fd, 1e-6) << kl_estimator_name(e) << " " << lp << " " << ref;
      }
    }
  }
}

// Sampling y ~ pi over 5 outcomes: mean k1 and mean k3 converge to KL(pi || pi_ref) = sum pi log(pi/pi_ref);
// k2 to something else (here larger by far more than the Monte Carlo error); the reverse KL(pi_ref || pi)
// is far from both (so a swapped argument order would fail).
TEST(KlEstimators, K1AndK3AreUnbiasedForKlOfPolicyToReference) {
  const std::vector<double> pi = {0.5, 0.2, 0.15, 0.1, 0.05}, ref = {0.1, 0.3, 0.2, 0.2, 0.2};
  double kl = 0, reverse = 0;
  for (size_t i = 0; i < pi.size(); ++i) {
    kl += pi[i] * std::log(pi[i] / ref[i]);
    reverse += ref[i] * std::log(ref[i] / pi[i]);
  }
  std::mt19937_64 gen(7);
  std::discrete_distribution<int> draw(pi.begin(), pi.end());
  const int n = 400000;
  double sum[3] = {}, sq[3] = {};
  for (int s = 0; s < n; ++s) {
    const int y = draw(gen);
    for (int e = 0; e < 3; ++e) {
      const double k = kl_value(kAll[e], std::log(pi[y]), std::log(ref[y]));
      sum[e] += k, sq[e] += k * k;
    }
  }
  for (int e = 0; e < 3; ++e) {
    const double mean = sum[e] / n, se = std::sqrt((sq[e] / n - mean * mean) / n);
    if (e == 1) {
      EXPECT_GT(std::fabs(mean - kl), 20 * se) << "k2 is biased";
    } else {
      EXPECT_NEAR(mean, kl, 4 * se) << kl_estimator_name(kAll[e]);
    }
    EXPECT_GT(std::fabs(mean - reverse), 20 * se);
  }
}

FlatTokens three_tokens() {
  FlatTokens tok;
  tok.logp_gen = {-1.0f, -2.0f, -0.5f};
  tok.advantage = {0.5f, -1.0f, 0.0f};
  tok.coef = {0.25f, 0.5f, 0.25f};
  tok.version = {0, 0, 0};
  tok.seq_offsets = {0, 2, 3};
  return tok;
}

// Loss form through loss_compute: the KL term adds c * beta * k(logp, logp_ref) and its gradient to the
// policy loss (computed with beta = 0), and finite differences in logp agree.
TEST(KlLoss, AddsTheEstimatorToTheLossWithItsGradient) {
  const FlatTokens tok = three_tokens();
  const std::vector<float> logp = {-0.9f, -2.3f, -0.4f}, ref = {-1.4f, -1.1f, -0.4f};
  for (LossKind kind : {LossKind::kCispo, LossKind::kPpoClip, LossKind::kGspo}) {
    for (KlEstimator e : kAll) {
      LossConfig base;
      base.kind = kind;
      LossConfig cfg = base;
      cfg.kl.beta = 0.3;
      cfg.kl.estimator = e;
      const LossResult r0 = loss_compute(base, tok, logp, logp);
      const LossResult r = loss_compute(cfg, tok, logp, logp, &ref);
      double want = r0.loss, max_k = -1e300, sum_k = 0;
      for (size_t t = 0; t < logp.size(); ++t) {
        const double k = kl_value(e, logp[t], ref[t]);
        want += tok.coef[t] * 0.3 * k;
        sum_k += k, max_k = std::max(max_k, k);
        EXPECT_NEAR(r.dlogp[t], r0.dlogp[t] + tok.coef[t] * 0.3 * kl_grad(e, logp[t], ref[t]), 1e-6);
        const double h = 1e-3;
        std::vector<float> up = logp, dn = logp;
        up[t] += static_cast<float>(h), dn[t] -= static_cast<float>(h);
        const double fd =
            (loss_compute(cfg, tok, up, logp, &ref).loss - loss_compute(cfg, tok, dn, logp, &ref).loss) /
            (static_cast<double>(up[t]) - dn[t]);
        EXPECT_NEAR(fd, r.dlogp[t], 2e-5) << kl_estimator_name(e) << " token " << t;
      }
      EXPECT_NEAR(r.loss, want, 1e-9);
      EXPECT_NEAR(r.stats.kl_ref_mean, sum_k / 3, 1e-9);
      EXPECT_NEAR(r.stats.kl_ref_max, max_k, 1e-9);
    }
  }
}

// The reward form changes no loss term; its penalty is subtracted from the rewards in train_step.
TEST(KlLoss, RewardFormLeavesTheLossAlone) {
  const FlatTokens tok = three_tokens();
  const std::vector<float> logp = {-0.9f, -2.3f, -0.4f};
  LossConfig base, cfg;
  cfg.kl.beta = 0.3;
  cfg.kl.form = KlForm::kReward;
  const LossResult r0 = loss_compute(base, tok, logp, logp), r = loss_compute(cfg, tok, logp, logp);
  EXPECT_EQ(r.loss, r0.loss);
  EXPECT_EQ(r.dlogp, r0.dlogp);
}

// A batch on the tiny model whose logp_gen is the reference's own log-prob (each completion scored alone,
// unpacked) plus a known offset delta_t, so that log pi_ref - logp_gen = -delta_t: the penalty of completion i
// is beta * sum over its unmasked tokens of k(delta_t), by hand.
struct OffsetBatch {
  RolloutBatch rb;
  std::vector<std::vector<double>> delta;
};

OffsetBatch offset_batch(Model& ref) {
  OffsetBatch o;
  Rng rng(11);
  for (int g = 0; g < 5; ++g) {
    PromptGroup pg;
    pg.prompt_id = absl::StrCat("p", g);
    for (int i = 0; i < 2 + g; ++i) pg.prompt_tokens.push_back(static_cast<int32_t>(rng.next_u64() % 40));
    for (int i = 0; i < 3; ++i) {
      Rollout c;
      const int len = 1 + static_cast<int>(rng.next_u64() % 5);
      for (int t = 0; t < len; ++t) {
        c.tokens.push_back(static_cast<int32_t>(rng.next_u64() % 40));
        c.loss_mask.push_back(t == 1 ? 0 : 1);  // the second token of each completion carries no loss
        c.version.push_back(0);
      }
      RolloutBatch one;
      one.groups.push_back(pg);
      one.groups[0].completions = {c};
      const std::vector<float> lp = completion_logprobs(ref, one);
      std::vector<double> d;
      for (int t = 0; t < len; ++t) {
        d.push_back(0.1 * (t + 1) * (i % 2 ? -1 : 1) + 0.05 * g);
        c.logp_gen.push_back(static_cast<float>(lp[t] + d.back()));
      }
      o.delta.push_back(d);
      pg.completions.push_back(c);
    }
    o.rb.groups.push_back(pg);
  }
  return o;
}

TEST(KlReward, PenaltyIsBetaTimesTheSumOfTheEstimatorOverLossTokens) {
  Model ref = test_model(ModelArch::kLlama, false, 31);
  const OffsetBatch o = offset_batch(ref);
  for (KlEstimator e : kAll) {
    KlConfig kl;
    kl.beta = 0.2;
    kl.estimator = e;
    kl.form = KlForm::kReward;
    std::vector<double> want;
    double sum = 0, tokens = 0;
    size_t k = 0;
    for (const PromptGroup& g : o.rb.groups) {
      for (const Rollout& c : g.completions) {
        double s = 0;
        for (size_t t = 0; t < c.tokens.size(); ++t) {
          if (!c.loss_mask[t]) continue;
          // logp_gen = lp_ref + delta, so k(logp_gen, lp_ref) = k at d = -delta.
          s += kl_value(e, o.delta[k][t], 0.0);
          tokens += 1;
        }
        sum += s;
        want.push_back(0.2 * s);
        ++k;
      }
    }
    auto local = collective_local();
    // 20 tokens a micro-batch: several micro-batches, and a group larger than that alone in one.
    absl::StatusOr<KlPenalty> p = kl_reward_penalty(ref, o.rb, kl, LmHeadOptions{}, 20, *local);
    ASSERT_TRUE(p.ok()) << p.status();
    ASSERT_EQ(p->per_completion.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_NEAR(p->per_completion[i], want[i], 2e-5) << kl_estimator_name(e) << " completion " << i;
    EXPECT_NEAR(p->kl_sum, sum, 1e-4);
    EXPECT_EQ(p->tokens, tokens);
    // Two ranks: each fills its own groups' entries; the all-reduce's sum is the whole vector.
    UnsummedRank r0(0, 2), r1(1, 2);
    auto p0 = kl_reward_penalty(ref, o.rb, kl, LmHeadOptions{}, 20, r0);
    auto p1 = kl_reward_penalty(ref, o.rb, kl, LmHeadOptions{}, 20, r1);
    ASSERT_TRUE(p0.ok() && p1.ok());
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_NEAR(p0->per_completion[i] + p1->per_completion[i], want[i], 2e-5);
  }
}

// In train_step, the reward form lowers the advantage of the completion that strays furthest from the
// reference: a group whose rewards are all equal gets advantages -beta * (penalty - mean penalty).
TEST(KlReward, PenaltyEntersTheAdvantages) {
  Model m = test_model(ModelArch::kLlama, false, 31), ref = test_model(ModelArch::kLlama, false, 31);
  model_grads_enable(m);
  OffsetBatch o = offset_batch(ref);
  for (auto& g : o.rb.groups)
    for (auto& c : g.completions) c.reward = 1.0;
  AlgoConfig cfg;
  cfg.advantage.mode = AdvantageMode::kGroupCentered;
  cfg.loss.kl.beta = 0.2;
  cfg.loss.kl.form = KlForm::kReward;
  cfg.loss.kl.estimator = KlEstimator::kK1;
  auto local = collective_local();
  absl::StatusOr<StepGradient> with =
      train_step_gradients(m, o.rb, cfg, LmHeadOptions{}, 1 << 20, *local, &ref);
  ASSERT_TRUE(with.ok()) << with.status();
  EXPECT_GT(with->stats.kl_ref_max, -1e299);
  std::vector<float> g_kl = m.grads;
  // The same gradient from the batch with the penalties subtracted by hand and no KL.
  RolloutBatch manual = o.rb;
  size_t k = 0;
  for (auto& g : manual.groups) {
    for (auto& c : g.completions) {
      double s = 0;
      for (size_t t = 0; t < c.tokens.size(); ++t)
        if (c.loss_mask[t]) s += o.delta[k][t];  // k1 at d = -delta is delta
      c.reward -= 0.2 * s;
      ++k;
    }
  }
  AlgoConfig plain = cfg;
  plain.loss.kl.beta = 0;
  ASSERT_TRUE(train_step_gradients(m, manual, plain, LmHeadOptions{}, 1 << 20, *local).ok());
  double norm = 0;
  for (size_t i = 0; i < g_kl.size(); ++i) {
    EXPECT_NEAR(g_kl[i], m.grads[i], 1e-5 + 1e-3 * std::fabs(m.grads[i]));
    norm += std::fabs(m.grads[i]);
  }
  EXPECT_GT(norm, 1e-3);  // equal rewards alone would give no gradient at all
  // Without the reference model a KL run is refused.
  EXPECT_EQ(train_step_gradients(m, o.rb, cfg, LmHeadOptions{}, 1 << 20, *local).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// ---- a small run: the loss-form KL pulls the policy back ----

// Mean over the completion tokens of (log pi - log pi_ref)^2.
double distance(Model& m, Model& ref, const RolloutBatch& rb) {
  const std::vector<float> a = completion_logprobs(m, rb), b = completion_logprobs(ref, rb);
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (static_cast<double>(a[i]) - b[i]) * (a[i] - b[i]);
  return s / static_cast<double>(a.size());
}

void sgd_steps(Model& m, Model& ref, const RolloutBatch& rb, const AlgoConfig& cfg, int steps, float lr) {
  auto local = collective_local();
  for (int s = 0; s < steps; ++s) {
    ASSERT_TRUE(train_step_gradients(m, rb, cfg, LmHeadOptions{}, 1 << 20, *local, &ref).ok());
    for (size_t i = 0; i < m.params.size(); ++i) m.params[i] -= lr * m.grads[i];
  }
}

// Rewards first push the policy away from the reference (phase A); then 20 more steps on the same rewards,
// with and without the k3 loss-form KL (beta = 4). Without it the policy keeps moving away; with it, it moves
// back on the trained sequences, and drifts less on held-out ones. (Held-out sequences still drift: the
// penalty acts on the tokens it is given, here fixed sequences rather than fresh samples of the policy.)
// Seen: after A 1.77 (held-out 0.30); 20 more steps without KL 5.08 (0.98), with KL 0.065 (0.52).
TEST(KlLoss, PullsATrainedPolicyBackTowardsTheReference) {
  Model ref = test_model(ModelArch::kQwen3, false, 22), m = test_model(ModelArch::kQwen3, false, 22);
  model_grads_enable(m);
  const RolloutBatch rb = random_rollout_batch(ref, 3, 6, 3), held = random_rollout_batch(ref, 4, 6, 3);
  AlgoConfig cfg;
  cfg.advantage.mode = AdvantageMode::kGroupCentered;
  sgd_steps(m, ref, rb, cfg, 20, 0.1f);
  const double d_a = distance(m, ref, rb), d_a_held = distance(m, ref, held);
  ASSERT_GT(d_a, 0.05);
  const std::vector<float> after_a = m.params;
  sgd_steps(m, ref, rb, cfg, 20, 0.1f);
  const double d_free = distance(m, ref, rb), d_free_held = distance(m, ref, held);
  std::copy(after_a.begin(), after_a.end(), m.params.begin());
  cfg.loss.kl.beta = 4.0;
  sgd_steps(m, ref, rb, cfg, 20, 0.1f);
  const double d_kl = distance(m, ref, rb), d_kl_held = distance(m, ref, held);
  std::printf(
      "distance to the reference: after A %.4f (held-out %.4f); +20 steps without KL %.4f (%.4f), "
      "with KL %.4f (%.4f)\n",
      d_a, d_a_held, d_free, d_free_held, d_kl, d_kl_held);
  EXPECT_GT(d_free, d_a);
  EXPECT_LT(d_kl, 0.5 * d_a);
  EXPECT_LT(d_kl_held, d_free_held);
}

}  // namespace
}  // namespace ascent
