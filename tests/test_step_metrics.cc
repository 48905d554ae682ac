// The per-step metrics (learner/step_metrics.h; names in docs/metrics.md), by hand.
#include <gtest/gtest.h>

#include "learner/step_metrics.h"

namespace ascent {
namespace {

// Metrics by hand: one group kept of 4 offered (filtered 0.75); 2 completions, one truncated; token versions
// 7, 8, 10 against learner version 10: lags 3, 2, 0 -> min 0, mean 5/3, max 3.
TEST(StepMetrics, NamesAndValuesByHand) {
  RolloutBatch b;
  PromptGroup g;
  Rollout c1, c2;
  c1.version = {7, 8};
  c1.reward = 1.0;
  c2.version = {10};
  c2.truncated = true;
  g.completions = {c1, c2};
  b.groups = {g};
  LossResult lr;
  lr.loss = 0.25;
  lr.stats.clip_frac_high = 0.5;
  lr.stats.kl_gen_train = 0.01;
  std::vector<float> ent = {1.0f, 2.0f, 3.0f};
  StepMetricsInput in;
  in.loss = &lr;
  in.batch = &b;
  in.groups_before_filter = 4;
  in.learner_version = 10;
  in.entropy = &ent;
  auto m = step_metrics_compute(in);
  EXPECT_EQ(m.at("batch/filtered_prompt_frac"), 0.75);
  EXPECT_EQ(m.at("batch/truncated_frac"), 0.5);
  EXPECT_EQ(m.at("lag/min"), 0.0);
  EXPECT_NEAR(m.at("lag/mean"), 5.0 / 3.0, 1e-12);
  EXPECT_EQ(m.at("lag/max"), 3.0);
  EXPECT_EQ(m.at("loss/clip_frac_high"), 0.5);
  EXPECT_EQ(m.at("loss/kl_gen_train"), 0.01);
  EXPECT_EQ(m.at("policy/entropy"), 2.0);
  EXPECT_EQ(m.at("batch/reward_mean"), 0.5);
  EXPECT_EQ(m.count("turns/mean"), 0u) << "no tool metrics without tools";
}

// Tool use by hand: 3 completions of 3, 1 and 2 turns with 2, 0 and 2 calls, of which 1 malformed and
// 1 timeout; 4 + 0 + 3 masked tokens: turns 2, calls 4/3, success 2/4, masked 7/3.
TEST(StepMetrics, ToolUseByHand) {
  RolloutBatch b;
  PromptGroup g;
  Rollout a, c, d;
  a.turns = 3, a.tool_calls = 2, a.tool_errors = {{"malformed", 1}};
  a.loss_mask = {1, 0, 0, 0, 0, 1};
  c.turns = 1;
  c.loss_mask = {1, 1};
  d.turns = 2, d.tool_calls = 2, d.tool_errors = {{"timeout", 1}};
  d.loss_mask = {1, 0, 0, 0, 1};
  g.completions = {a, c, d};
  b.groups = {g};
  StepMetricsInput in;
  in.batch = &b;
  auto m = step_metrics_compute(in);
  EXPECT_EQ(m.at("turns/mean"), 2.0);
  EXPECT_NEAR(m.at("tools/calls_per_completion"), 4.0 / 3.0, 1e-12);
  EXPECT_EQ(m.at("tools/success_rate"), 0.5);
  EXPECT_EQ(m.at("tools/errors/malformed"), 1.0);
  EXPECT_EQ(m.at("tools/errors/timeout"), 1.0);
  EXPECT_NEAR(m.at("tokens/masked"), 7.0 / 3.0, 1e-12);
}

}  // namespace
}  // namespace ascent
