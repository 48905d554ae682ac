// AdamW, gradient clipping, learning-rate schedules, loss helpers and the sampler, against hand derivations.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "generation/sampler.h"
#include "model/adamw.h"
#include "model/loss.h"

namespace ascent {

namespace {

// Two AdamW steps on one scalar, derived by hand (torch.optim.AdamW semantics):
// p0 = 1, lr = 0.1, wd = 0.1, beta1 = 0.9, beta2 = 0.999, eps = 1e-8.
// Step 1, g = 0.5: p <- p * (1 - lr*wd) = 0.99; m = 0.05; v = 0.00025; m_hat = 0.05/0.1 = 0.5;
//   v_hat = 0.00025/0.001 = 0.25; p = 0.99 - 0.1 * 0.5 / (0.5 + 1e-8) = 0.89 (+2e-9).
// Step 2, g = -0.25: p <- 0.89 * 0.99 = 0.8811; m = 0.045 - 0.025 = 0.02; v = 0.00024975 + 0.0000625 =
//   0.00031225; m_hat = 0.02 / 0.19 = 0.1052632; v_hat = 0.00031225 / 0.001999 = 0.1562031, sqrt 0.3952254;
//   p = 0.8811 - 0.1 * 0.1052632 / 0.3952254 = 0.8811 - 0.0266337 = 0.8544663.
TEST(AdamW, TwoStepsByHand) {
  AdamWConfig c;
  c.beta1 = 0.9, c.beta2 = 0.999, c.eps = 1e-8, c.weight_decay = 0.1;
  AdamWState s;
  adamw_init(s, 1);
  float p = 1.0f, g = 0.5f;
  adamw_step(s, c, 0.1, &p, &g, 1);
  EXPECT_NEAR(p, 0.89, 1e-6);
  g = -0.25f;
  adamw_step(s, c, 0.1, &p, &g, 1);
  EXPECT_NEAR(p, 0.8544663, 1e-6);
}

// eps = 1e-15 (ScaleRL) must not produce NaN or Inf, including for a zero gradient (0 / 1e-15 = 0).
TEST(AdamW, TinyEpsIsStable) {
  AdamWConfig c;
  c.eps = 1e-15, c.weight_decay = 0.0;
  AdamWState s;
  adamw_init(s, 3);
  std::vector<float> p = {1.0f, 2.0f, 3.0f}, g = {0.0f, 1e-30f, -4.0f};
  for (int i = 0; i < 5; ++i) adamw_step(s, c, 1e-3, p.data(), g.data(), 3);
  for (float x : p) EXPECT_TRUE(std::isfinite(x));
  EXPECT_EQ(p[0], 1.0f);                 // zero gradient, no decay: unchanged
  EXPECT_NEAR(p[2], 3.0f + 5e-3, 1e-6);  // constant gradient: each step moves lr * sign(-g)
}

TEST(GradClip, GlobalNormByHand) {
  std::vector<float> g = {3.0f, 4.0f};  // norm 5
  EXPECT_NEAR(grad_clip_global_norm(g.data(), 2, 1.0), 5.0, 1e-12);
  const double coef = 1.0 / (5.0 + 1e-6);  // torch: max_norm / (norm + 1e-6)
  EXPECT_NEAR(g[0], 3.0 * coef, 1e-7);
  EXPECT_NEAR(g[1], 4.0 * coef, 1e-7);
  std::vector<float> small = {0.3f, 0.4f};  // norm 0.5 < 1: untouched
  grad_clip_global_norm(small.data(), 2, 1.0);
  EXPECT_EQ(small[0], 0.3f);
}

TEST(LrSchedule, WarmupConstantCosine) {
  LrSchedule s;
  s.lr = 1.0, s.warmup_steps = 10;
  EXPECT_DOUBLE_EQ(lr_schedule_at(s, 1), 0.1);
  EXPECT_DOUBLE_EQ(lr_schedule_at(s, 5), 0.5);
  EXPECT_DOUBLE_EQ(lr_schedule_at(s, 10), 1.0);
  EXPECT_DOUBLE_EQ(lr_schedule_at(s, 1000), 1.0);
  s.kind = "cosine", s.total_steps = 110, s.min_lr = 0.1;
  EXPECT_DOUBLE_EQ(lr_schedule_at(s, 10), 1.0);
  EXPECT_NEAR(lr_schedule_at(s, 60), 0.1 + 0.5 * 0.9, 1e-12);  // half way: cos(pi/2) = 0
  EXPECT_NEAR(lr_schedule_at(s, 110), 0.1, 1e-12);
  EXPECT_NEAR(lr_schedule_at(s, 500), 0.1, 1e-12);
}

TEST(Loss, SftMeanOverMaskedTokens) {
  std::vector<float> lp = {-1.0f, -2.0f, -4.0f}, mask = {1.0f, 0.0f, 1.0f}, d;
  EXPECT_DOUBLE_EQ(loss_sft(lp, mask, &d), 2.5);  // -(-1 - 4) / 2
  EXPECT_EQ(d, (std::vector<float>{-0.5f, 0.0f, -0.5f}));
}

TEST(Loss, WeightedLogprob) {
  std::vector<float> lp = {-1.0f, -2.0f}, w = {0.5f, -1.0f}, d;
  EXPECT_DOUBLE_EQ(loss_weighted_logprob(lp, w, &d), -(0.5 * -1.0 + -1.0 * -2.0));
  EXPECT_EQ(d, (std::vector<float>{-0.5f, 1.0f}));
}

// With top-k 2 over logits [2, 1, 0, -1] at temperature 1 the distribution is renormalised over the two
// largest: p = e^2 / (e^2 + e) = 0.7310586 and 0.2689414; the recorded log-prob is log of that, and the
// empirical frequencies over 20,000 draws agree within 4 standard errors.
TEST(Sampler, TopKRenormalisedLogprobAndFrequencies) {
  const float logits[4] = {2.0f, 1.0f, 0.0f, -1.0f};
  SamplerConfig c;
  c.top_k = 2;
  Rng rng(3);
  std::map<int32_t, int> count;
  for (int i = 0; i < 20000; ++i) {
    Sample s = sampler_sample(logits, 4, c, rng);
    ++count[s.token];
    const double p = s.token == 0 ? 0.7310586 : 0.2689414;
    ASSERT_LE(s.token, 1);
    EXPECT_NEAR(s.logprob, std::log(p), 1e-6);
  }
  const double se = std::sqrt(0.7310586 * 0.2689414 / 20000);
  EXPECT_NEAR(count[0] / 20000.0, 0.7310586, 4 * se);
}

// top-p 0.7 over p = softmax([2, 1, 0, -1]) = [0.6439, 0.2369, 0.0871, 0.0321]: the smallest prefix reaching
// 0.7 is the first two tokens, renormalised to 0.7310586 / 0.2689414 as above.
TEST(Sampler, TopP) {
  const float logits[4] = {2.0f, 1.0f, 0.0f, -1.0f};
  SamplerConfig c;
  c.top_p = 0.7f;
  Rng rng(4);
  for (int i = 0; i < 2000; ++i) {
    Sample s = sampler_sample(logits, 4, c, rng);
    ASSERT_LE(s.token, 1);
    EXPECT_NEAR(s.logprob, std::log(s.token == 0 ? 0.7310586 : 0.2689414), 1e-6);
  }
}

TEST(Sampler, PlainTemperatureLogprob) {
  const float logits[3] = {0.0f, 1.0f, 2.0f};
  SamplerConfig c;
  c.temperature = 2.0f;  // z = [0, 0.5, 1]; log-softmax by hand: lse = log(1 + 1.6487213 + 2.7182818) =
                         // log(5.3670031) = 1.6802697
  Rng rng(5);
  for (int i = 0; i < 100; ++i) {
    Sample s = sampler_sample(logits, 3, c, rng);
    EXPECT_NEAR(s.logprob, 0.5 * s.token - 1.6802697, 1e-6);
  }
}

}  // namespace

}  // namespace ascent
