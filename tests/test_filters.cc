// Zero-variance filtering and overlong shaping (learner/filters.h), by hand. DAPO's dynamic sampling (lease
// refills) runs in the learner: tests/train_e2e_test.py, run E.
#include <gtest/gtest.h>

#include "learner/filters.h"
#include "tests/learner_fixtures.h"

namespace ascent {
namespace {

TEST(Filters, ZeroVarianceDropsWithoutRefill) {
  RolloutBatch b;
  b.groups = {scored_group("a", 10), scored_group("b", 3), scored_group("c", 0), scored_group("d", 7)};
  EXPECT_EQ(filter_zero_variance(&b), 2);
  ASSERT_EQ(b.groups.size(), 2u);
  EXPECT_EQ(b.groups[0].prompt_id, "b");
  EXPECT_EQ(b.groups[1].prompt_id, "d");
}

// DAPO soft overlong punishment with L_max = 20, L_cache = 4 (soft limit 16), by hand:
// 16 -> 0; 18 -> (16 - 18) / 4 = -0.5; 20 -> -1; 21 -> -1.
TEST(Filters, OverlongShapingByHand) {
  EXPECT_EQ(overlong_shaping_reward(10, 20, 4), 0.0);
  EXPECT_EQ(overlong_shaping_reward(16, 20, 4), 0.0);
  EXPECT_EQ(overlong_shaping_reward(18, 20, 4), -0.5);
  EXPECT_EQ(overlong_shaping_reward(20, 20, 4), -1.0);
  EXPECT_EQ(overlong_shaping_reward(21, 20, 4), -1.0);
  RolloutBatch b;
  b.groups = {scored_group("a", 10)};
  b.groups[0].completions[0].tokens.assign(17, 1);
  apply_overlong_shaping(&b, 20, 4);
  EXPECT_EQ(b.groups[0].completions[0].reward, 1.0 - 0.25);
  EXPECT_EQ(b.groups[0].completions[1].reward, 1.0);
  // Masked tokens (a tool's output) are not the policy's length: 19 tokens of which 4 masked are 15 <= 16.
  RolloutBatch t;
  t.groups = {scored_group("b", 10)};
  Rollout& c = t.groups[0].completions[0];
  c.tokens.assign(19, 1);
  c.loss_mask.assign(19, 1);
  for (int i = 5; i < 9; ++i) c.loss_mask[static_cast<size_t>(i)] = 0;
  apply_overlong_shaping(&t, 20, 4);
  EXPECT_EQ(c.reward, 1.0);
  c.loss_mask[5] = 1;  // two of them sampled after all: 17 > 16, (16 - 17) / 4 = -0.25
  c.loss_mask[6] = 1;
  apply_overlong_shaping(&t, 20, 4);
  EXPECT_EQ(c.reward, 1.0 - 0.25);
}

}  // namespace
}  // namespace ascent
