// Zero-variance filtering, DAPO dynamic sampling and overlong shaping (learner/filters.h), by hand.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
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

TEST(Filters, DapoDynamicSamplingFillsWithInformativeGroups) {
  DynamicSamplingBuffer buf(3);
  const std::vector<int> stream = {10, 4, 0, 0, 6, 10, 1, 5};  // correct answers per offered group
  int offered = 0;
  for (int c : stream) {
    if (buf.full()) break;
    buf.offer(scored_group(absl::StrCat("g", offered++), c));
  }
  EXPECT_TRUE(buf.full());
  EXPECT_EQ(offered, 7);  // 4, 6 and 1 were kept; 10, 0, 0, 10 dropped on the way
  EXPECT_EQ(buf.dropped(), 4);
  RolloutBatch b = buf.take();
  ASSERT_EQ(b.groups.size(), 3u);
  EXPECT_EQ(b.groups[2].prompt_id, "g6");
  EXPECT_FALSE(buf.full());
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
