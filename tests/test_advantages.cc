// Advantages (docs/algorithms.md section 1) against numbers computed by hand.
#include <gtest/gtest.h>

#include "learner/advantages.h"

namespace ascent {

namespace {

RolloutBatch groups(std::vector<std::vector<double>> rewards, std::vector<double> weights = {}) {
  RolloutBatch b;
  for (size_t g = 0; g < rewards.size(); ++g) {
    PromptGroup pg;
    for (double r : rewards[g]) {
      Rollout c;
      c.reward = r;
      pg.completions.push_back(c);
    }
    if (!weights.empty()) pg.weight = weights[g];
    b.groups.push_back(pg);
  }
  return b;
}

// Two groups of different spread: [1,0,0,0] (mean .25) and [1,1,0,0] (mean .5).
// Centred: [.75,-.25,-.25,-.25] and [.5,.5,-.5,-.5]; over the batch their mean is 0 and their sum of squares
// .5625 + 3 * .0625 + 4 * .25 = 1.75, so the Bessel-corrected std is sqrt(1.75 / 7) = 0.5:
// ScaleRL batch-level advantages are centred / 0.5 = [1.5,-.5,-.5,-.5] and [1,1,-1,-1].
// Per-group (GRPO) std instead: group 1 sqrt(.75/3) = .5, group 2 sqrt(1/3) = .5773503:
// [1.5,-.5,-.5,-.5] (up to the 1e-6) and [.8660254, .8660254, -.8660254, -.8660254].
TEST(Advantages, BatchLevelNormalisationByHand) {
  RolloutBatch b = groups({{1, 0, 0, 0}, {1, 1, 0, 0}});
  auto a = advantages_compute(b, {AdvantageMode::kBatchStd});
  const std::vector<std::vector<double>> want = {{1.5, -.5, -.5, -.5}, {1, 1, -1, -1}};
  for (int g = 0; g < 2; ++g)
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(a[g][i], want[g][i], 1e-12) << g << "," << i;
  auto grpo = advantages_compute(b, {AdvantageMode::kGrpo});
  EXPECT_NEAR(grpo[0][0], .75 / (.5 + 1e-6), 1e-12);
  EXPECT_NEAR(grpo[1][0], .5 / (0.5773502691896258 + 1e-6), 1e-12);
  EXPECT_NEAR(grpo[1][0], 0.8660239, 1e-6);
}

TEST(Advantages, CentredDrGrpoAndLeaveOneOutByHand) {
  RolloutBatch b = groups({{1, 0, 0}});
  auto c = advantages_compute(b, {AdvantageMode::kGroupCentered});
  auto d = advantages_compute(b, {AdvantageMode::kDrGrpo});
  auto l = advantages_compute(b, {AdvantageMode::kLeaveOneOut});
  // mean 1/3: centred [2/3, -1/3, -1/3]; leave-one-out: 1 - 0 = 1, 0 - (1+0)/2 = -1/2.
  EXPECT_NEAR(c[0][0], 2.0 / 3, 1e-12);
  EXPECT_NEAR(c[0][1], -1.0 / 3, 1e-12);
  EXPECT_EQ(c, d);
  EXPECT_NEAR(l[0][0], 1.0, 1e-12);
  EXPECT_NEAR(l[0][1], -0.5, 1e-12);
}

// A prompt weight multiplies the NORMALISED advantage, so even per-group std normalisation keeps it
// (docs/algorithms.md sections 1 and 6): weights 2 and 0.5 on the groups above.
TEST(Advantages, PromptWeightSurvivesNormalisation) {
  RolloutBatch b = groups({{1, 0, 0, 0}, {1, 1, 0, 0}}, {2.0, 0.5});
  auto grpo = advantages_compute(b, {AdvantageMode::kGrpo});
  EXPECT_NEAR(grpo[0][0], 2.0 * .75 / (.5 + 1e-6), 1e-12);
  EXPECT_NEAR(grpo[1][0], 0.5 * .5 / (0.5773502691896258 + 1e-6), 1e-12);
  auto bs = advantages_compute(b, {AdvantageMode::kBatchStd});  // the std is of the UNweighted centred values
  EXPECT_NEAR(bs[0][0], 3.0, 1e-12);
  EXPECT_NEAR(bs[1][3], -0.5, 1e-12);
}

TEST(Advantages, AllEqualRewardsGiveZero) {
  auto a = advantages_compute(groups({{1, 1}, {0, 0}}), {AdvantageMode::kBatchStd});
  for (auto& g : a)
    for (double v : g) EXPECT_EQ(v, 0.0);
}

}  // namespace

}  // namespace ascent
