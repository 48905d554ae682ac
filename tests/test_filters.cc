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
}

}  // namespace
}  // namespace ascent
