// HERO (docs/algorithms.md section 6) on hand-computed groups, and the combinators.
#include <gtest/gtest.h>

#include <cmath>

#include "rewards/combine.h"
#include "rewards/hero.h"

namespace ascent {

namespace {

// alpha = beta = 0.1, eps = 1e-6. verifier [1, 1, 0, 0, 1], RM [2, 4, -1, 3, 3].
//  correct stratum {2, 4, 3}: min 2, max 4 -> 0.9 + 0.2 (r - 2) / 2.000001 = 0.9, 1.09999990000005,
//  0.99999995 wrong stratum {-1, 3}: min -1, max 3   -> -0.1 + 0.2 (r + 1) / 4.000001 = -0.1,
//  0.0999999500000125
TEST(Hero, StratifiedNormalisationByHand) {
  const std::vector<double> r = hero_normalise(HeroConfig{}, {1, 1, 0, 0, 1}, {2.0, 4.0, -1.0, 3.0, 3.0});
  EXPECT_NEAR(r[0], 0.9, 1e-15);
  EXPECT_NEAR(r[1], 1.09999990000005, 1e-14);
  EXPECT_NEAR(r[2], -0.1, 1e-15);
  EXPECT_NEAR(r[3], 0.0999999500000125, 1e-14);
  EXPECT_NEAR(r[4], 0.9999999500000251, 1e-14);
  // Every correct answer stays above every wrong one, whatever the RM said (the wrong 3.0 ties a right 3.0).
  EXPECT_GT(*std::min_element(r.begin(), r.begin() + 2), std::max(r[2], r[3]));
}

TEST(Hero, StratumOfOneAndUniformGroupsMapToCentres) {
  HeroConfig cfg;
  cfg.alpha = cfg.beta = 0.05;
  // One correct among wrong ones: the lone correct answer maps to 1 (max = min).
  std::vector<double> r = hero_normalise(cfg, {0, 1, 0}, {5.0, -7.0, 1.0});
  EXPECT_DOUBLE_EQ(r[1], 1.0);
  EXPECT_NEAR(r[0], 0.05 * 4 / (4 + 1e-6) * 2 - 0.05, 1e-15);  // top of the wrong stratum
  EXPECT_DOUBLE_EQ(r[2], -0.05);
  // All correct, RM spread: the whole group lies in [1 - beta, 1 + beta].
  r = hero_normalise(cfg, {1, 1, 1, 1}, {0.0, 1.0, 2.0, 3.0});
  EXPECT_DOUBLE_EQ(r[0], 0.95);
  EXPECT_NEAR(r[3], 0.95 + 0.1 * 3 / (3 + 1e-6), 1e-15);
  // All wrong with equal RM scores: all at 0; all correct with equal scores: all at 1.
  r = hero_normalise(cfg, {0, 0, 0}, {0.3, 0.3, 0.3});
  EXPECT_EQ(r, (std::vector<double>{0, 0, 0}));
  r = hero_normalise(cfg, {1, 1}, {0.3, 0.3});
  EXPECT_EQ(r, (std::vector<double>{1, 1}));
}

// sigma_u of [2, 4, -1, 3, 3]: mean 2.2, squared deviations sum 14.8, / (5 - 1) = 3.7, sqrt
// = 1.92353840616713. w with sigma_bar 1, k 6, w in [0.4, 3.0]: 0.4 + 2.6 / (1 + exp(-6 * 0.92353840616713))
// = 2.98984341505329.
TEST(Hero, VarianceAwareWeightByHand) {
  EXPECT_NEAR(hero_sigma({2.0, 4.0, -1.0, 3.0, 3.0}), 1.9235384061671346, 1e-14);
  EXPECT_EQ(hero_sigma({7.0}), 0.0);
  EXPECT_NEAR(hero_weight(HeroConfig{}, 1.9235384061671346, 1.0), 2.989843415053288, 1e-13);
  // At sigma_bar the weight is the midpoint (w_min + w_max) / 2; it is monotone in sigma_u.
  EXPECT_DOUBLE_EQ(hero_weight(HeroConfig{}, 0.5, 0.5), 1.7);
  EXPECT_LT(hero_weight(HeroConfig{}, 0.1, 0.5), hero_weight(HeroConfig{}, 0.2, 0.5));
  HeroConfig off;
  off.weighting = false;
  EXPECT_EQ(hero_weight(off, 5, 0), 1.0);
}

// Step with groups of RM std 1, 2, 3 (values m - s, m, m + s have Bessel std s): sigma_bar becomes 2 before
// weighting, so the first group's weight is 0.4 + 2.6 / (1 + exp(6)) = 0.40642882020725.
TEST(Hero, StepUpdatesTheRunningMeanThenWeights) {
  HeroState st;
  const std::vector<std::vector<int>> v = {{1, 0, 1}, {0, 0, 1}, {1, 1, 0}};
  const std::vector<std::vector<double>> rm = {{-1, 0, 1}, {3, 5, 7}, {-3, 0, 3}};
  std::vector<HeroGroup> g = hero_step(HeroConfig{}, &st, v, rm);
  EXPECT_DOUBLE_EQ(st.sigma_bar, 2.0);
  EXPECT_EQ(st.groups, 3);
  EXPECT_NEAR(g[0].weight, 0.40642882020725046, 1e-14);
  EXPECT_DOUBLE_EQ(g[1].weight, 1.7);
  EXPECT_NEAR(g[2].weight, 3.4 - 0.40642882020725046, 1e-14);  // symmetric about the midpoint
  // A second step with one group of std 5: sigma_bar = (1 + 2 + 3 + 5) / 4.
  g = hero_step(HeroConfig{}, &st, {{1, 0}}, {{0.0, 5 * std::sqrt(2.0)}});
  EXPECT_NEAR(st.sigma_bar, 11.0 / 4, 1e-14);
}

TEST(Hero, StateSurvivesSaveAndRestore) {
  HeroState st;
  hero_step(HeroConfig{}, &st, {{1, 0, 1}}, {{0.1, 0.5, 0.2}});
  hero_step(HeroConfig{}, &st, {{1, 0}}, {{0.4, 0.9}});
  const std::string saved = hero_state_to_json(st).dump();
  absl::StatusOr<HeroState> back = hero_state_from_json(nlohmann::json::parse(saved), "ckpt/hero.json");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->sigma_bar, st.sigma_bar);  // JSON doubles round-trip exactly
  EXPECT_EQ(back->groups, 2);
  // A restored run continues exactly as the uninterrupted one would.
  HeroState a = st, b = *back;
  std::vector<HeroGroup> ga = hero_step(HeroConfig{}, &a, {{0, 1, 1}}, {{1.0, 2.0, 4.0}});
  std::vector<HeroGroup> gb = hero_step(HeroConfig{}, &b, {{0, 1, 1}}, {{1.0, 2.0, 4.0}});
  EXPECT_EQ(ga[0].weight, gb[0].weight);
  absl::StatusOr<HeroState> bad =
      hero_state_from_json(nlohmann::json::parse(R"({"sigma_bar": -1, "groups": 2})"), "ckpt/hero.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("ckpt/hero.json"), std::string::npos);
  bad = hero_state_from_json(nlohmann::json::parse(R"({"sigma": 1})"), "ckpt/hero.json");
  EXPECT_FALSE(bad.ok());
}

TEST(Combine, WeightedSumAndMappings) {
  EXPECT_EQ(reward_map_verdict(1, VerdictMapping::kPlusMinusOne), 1);
  EXPECT_EQ(reward_map_verdict(0, VerdictMapping::kPlusMinusOne), -1);
  EXPECT_EQ(reward_map_verdict(0, VerdictMapping::kZeroOne), 0);
  absl::StatusOr<double> s =
      reward_weighted_sum({{"verifier", 1.0}, {"format", 0.25}}, {{"verifier", 1}, {"format", -2}});
  ASSERT_TRUE(s.ok());
  EXPECT_DOUBLE_EQ(*s, 0.5);
  s = reward_weighted_sum({{"verifier", 1.0}, {"style", 1.0}}, {{"verifier", 1}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("'style' has no value"), std::string::npos);
  s = reward_weighted_sum({{"rm", 1.0}}, {{"rm", NAN}});
  EXPECT_FALSE(s.ok());
}

}  // namespace

}  // namespace ascent
