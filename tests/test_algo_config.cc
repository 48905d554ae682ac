// The recipe's algorithm section: defaults, a full section, and errors naming file, line and key.
#include <gtest/gtest.h>

#include "core/yaml_reader.h"
#include "learner/algo_config.h"

namespace ascent {

namespace {

absl::StatusOr<AlgoConfig> parse(const std::string& text) {
  YAML::Node root;
  absl::Status st = yaml_load_string(text, "recipe.yaml", &root);
  if (!st.ok()) return st;
  return algo_config_parse(root["algorithm"], "recipe.yaml");
}

std::string error_of(const std::string& text) {
  auto c = parse(text);
  EXPECT_FALSE(c.ok()) << text;
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(AlgoConfig, DefaultsAreScaleRl) {
  auto c = parse("model: x\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->loss.kind, LossKind::kCispo);
  EXPECT_EQ(c->loss.cispo_eps_max, 4.0);
  EXPECT_FALSE(c->loss.cispo_eps_low_is.has_value());
  EXPECT_EQ(c->advantage.mode, AdvantageMode::kBatchStd);
  EXPECT_EQ(c->aggregation.mode, AggregationMode::kPrompt);
  EXPECT_EQ(c->group_size, 16);
  EXPECT_EQ(c->prompts_per_step, 48);
  EXPECT_EQ(c->zero_variance, ZeroVarianceMode::kFilter);
  EXPECT_TRUE(c->no_positive_resampling);
  EXPECT_EQ(c->npr_threshold, 0.9);
  EXPECT_EQ(c->max_lag, 8);
  EXPECT_EQ(c->loss.kl.beta, 0.0);
  EXPECT_EQ(c->loss.kl.estimator, KlEstimator::kK3);
  EXPECT_EQ(c->loss.kl.form, KlForm::kLoss);
  EXPECT_EQ(c->loss.kl.reference, "");
  EXPECT_EQ(c->loss.mismatch.correction, MismatchCorrection::kOff);
  EXPECT_EQ(c->loss.mismatch.level, MismatchLevel::kToken);
  EXPECT_EQ(c->loss.mismatch.cap, 2.0);
  EXPECT_EQ(c->loss.mismatch.icepop_low, 0.5);
  EXPECT_EQ(c->loss.mismatch.icepop_high, 5.0);
}

TEST(AlgoConfig, KlAndMismatchSections) {
  auto c = parse(R"(algorithm:
  loss: ppo_clip
  kl: {beta: 0.05, estimator: k2, form: reward, reference: ../ref}
  mismatch: {correction: mis, level: sequence, cap: 3}
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->loss.kl.beta, 0.05);
  EXPECT_EQ(c->loss.kl.estimator, KlEstimator::kK2);
  EXPECT_EQ(c->loss.kl.form, KlForm::kReward);
  EXPECT_EQ(c->loss.kl.reference, "../ref");
  EXPECT_EQ(c->loss.mismatch.correction, MismatchCorrection::kMis);
  EXPECT_EQ(c->loss.mismatch.level, MismatchLevel::kSequence);
  EXPECT_EQ(c->loss.mismatch.cap, 3.0);
  auto i = parse("algorithm:\n  mismatch: {correction: icepop, icepop_low: 0.2, icepop_high: 3}\n");
  ASSERT_TRUE(i.ok()) << i.status();
  EXPECT_EQ(i->loss.mismatch.icepop_low, 0.2);
  EXPECT_EQ(i->loss.mismatch.icepop_high, 3.0);
  // kl_beta, the older name of kl.beta, still reads (recipes written before the kl section).
  auto old = parse("algorithm:\n  kl_beta: 0.0\n");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->loss.kl.beta, 0.0);
  old = parse("algorithm:\n  kl_beta: 0.01\n");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->loss.kl.beta, 0.01);
}

TEST(AlgoConfig, GrpoTcrSection) {
  auto c = parse(R"(algorithm:
  loss: ppo_clip
  clip: {eps_low: 0.2, eps_high: 0.28}
  advantage: grpo
  aggregation: token
  group_size: 16
  zero_variance: resample
  overlong_shaping: {enabled: true, max_tokens: 20480, cache_tokens: 4096}
  no_positive_resampling: {enabled: false}
  cispo: {eps_low_is: null}
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->loss.kind, LossKind::kPpoClip);
  EXPECT_EQ(c->loss.clip_eps_high, 0.28);
  EXPECT_EQ(c->aggregation.mode, AggregationMode::kToken);
  EXPECT_EQ(c->zero_variance, ZeroVarianceMode::kResample);
  EXPECT_TRUE(c->overlong_shaping);
  EXPECT_EQ(c->overlong_max_tokens, 20480);
  EXPECT_FALSE(c->no_positive_resampling);
}

TEST(AlgoConfig, UnknownKeyNamesLineAndKey) {
  EXPECT_EQ(error_of("algorithm:\n  loss: cispo\n  cispo:\n    eps_maxx: 4\n"),
            "recipe.yaml:4: algorithm.cispo.eps_maxx: unknown key");
  EXPECT_EQ(error_of("algorithm:\n  grup_size: 8\n"), "recipe.yaml:2: algorithm.grup_size: unknown key");
}

TEST(AlgoConfig, WrongTypeNamesLineAndKey) {
  EXPECT_EQ(error_of("algorithm:\n  cispo:\n    eps_max: four\n"),
            "recipe.yaml:3: algorithm.cispo.eps_max: expected a number, got 'four'");
  EXPECT_EQ(error_of("algorithm:\n  group_size: 8.5\n"),
            "recipe.yaml:2: algorithm.group_size: expected an integer, got '8.5'");
  EXPECT_EQ(error_of("algorithm:\n  overlong_filter: maybe\n"),
            "recipe.yaml:2: algorithm.overlong_filter: expected true or false, got 'maybe'");
  EXPECT_EQ(error_of("algorithm:\n  loss: cispoo\n"),
            "recipe.yaml:2: algorithm.loss: 'cispoo' is not one of: cispo, ppo_clip, gspo");
}

TEST(AlgoConfig, OutOfRangeNamesLineAndKey) {
  EXPECT_EQ(error_of("algorithm:\n  cispo:\n    eps_max: 0\n"),
            "recipe.yaml:3: algorithm.cispo.eps_max: must be > 0, got 0");
  EXPECT_EQ(error_of("algorithm:\n  group_size: 1\n"),
            "recipe.yaml:2: algorithm.group_size: must be >= 2, got 1");
  EXPECT_EQ(error_of("algorithm:\n  clip:\n    eps_low: 1.5\n"),
            "recipe.yaml:3: algorithm.clip.eps_low: must be <= 1, got 1.5");
  EXPECT_EQ(error_of("algorithm:\n  overlong_shaping:\n    max_tokens: 100\n    cache_tokens: 200\n"),
            "recipe.yaml:4: algorithm.overlong_shaping.cache_tokens: must be < max_tokens");
  EXPECT_EQ(error_of("algorithm:\n  no_positive_resampling: {threshold: 0}\n"),
            "recipe.yaml:2: algorithm.no_positive_resampling.threshold: must be > 0, got 0");
  EXPECT_EQ(error_of("algorithm:\n  kl: {beta: -1}\n"),
            "recipe.yaml:2: algorithm.kl.beta: must be >= 0, got -1");
  EXPECT_EQ(error_of("algorithm:\n  kl:\n    estimator: k4\n"),
            "recipe.yaml:3: algorithm.kl.estimator: 'k4' is not one of: k1, k2, k3");
  EXPECT_EQ(
      error_of("algorithm:\n  mismatch:\n    correction: tis\n"),
      "recipe.yaml:3: algorithm.mismatch.correction: tis with loss: cispo: CISPO's weight already is a "
      "truncated importance weight; set algorithm.cispo.eps_max to the cap instead (mis and icepop combine "
      "with cispo)");
  EXPECT_EQ(error_of("algorithm:\n  mismatch:\n    correction: icepop\n    level: sequence\n"),
            "recipe.yaml:4: algorithm.mismatch.level: icepop masks tokens: use token");
  EXPECT_EQ(error_of("algorithm:\n  loss: gspo\n  mismatch: {correction: mis}\n"),
            "recipe.yaml:3: algorithm.mismatch.level: gspo weights whole completions: use geometric (its own "
            "ratio's form) or sequence");
  EXPECT_EQ(error_of("algorithm:\n  kl_beta: 0.1\n  kl: {beta: 0.2}\n"),
            "recipe.yaml:2: algorithm.kl_beta: the older name of algorithm.kl.beta: give one of them");
  EXPECT_EQ(error_of("algorithm:\n  mismatch:\n    cap: 1\n"),
            "recipe.yaml:3: algorithm.mismatch.cap: must be > 1, got 1");
  EXPECT_EQ(error_of("algorithm:\n  mismatch:\n    icepop_low: 1.5\n"),
            "recipe.yaml:3: algorithm.mismatch.icepop_low: must be <= 1, got 1.5");
}

TEST(AlgoConfig, SyntaxErrorNamesLine) {
  std::string e = error_of("algorithm:\n  loss: [cispo\n");
  EXPECT_NE(e.find("recipe.yaml:"), std::string::npos) << e;
  EXPECT_NE(e.find("YAML syntax error"), std::string::npos) << e;
  EXPECT_EQ(error_of("algorithm: 5\n"), "recipe.yaml:1: algorithm: expected a map of keys");
}

}  // namespace

}  // namespace ascent
