// The learner's edge check of the actors' groups (learner/rollout_proto.h: rollout_group_validate) and the
// conversions of groups and the ranks' TrainBatch. Each corruption an actor (or the network) could produce is
// refused with a message naming the lease, the completion and the field.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "learner/rollout_proto.h"

namespace ascent {
namespace {

namespace rv1 = rollout::v1;

constexpr int64_t kVocab = 50;

rv1::Group good_group() {
  rv1::Group g;
  g.set_lease(7);
  g.set_step(2);
  g.set_prompt_id("p7");
  for (int t : {1, 2, 3}) g.add_prompt(t);
  for (int i = 0; i < 2; ++i) {
    rv1::Completion* c = g.add_completions();
    for (int t : {4, 5}) c->add_tokens(t + i);
    c->add_logprobs(-0.5f), c->add_logprobs(-1.25f);
    c->add_versions(1), c->add_versions(2);
    c->add_forced(0), c->add_forced(0);
    c->set_reward(i);
    c->set_reward_ok(true);
    c->set_finish_reason(i == 0 ? "stop" : "length");
  }
  return g;
}

std::string error_of(const rv1::Group& g) {
  absl::Status st = rollout_group_validate(g, kVocab);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  return std::string(st.message());
}

// Tool-use counts: within the recipe's max_turns, calls no more than tokens, failed calls no more than calls,
// short kind names; and they reach the learner's Rollout.
TEST(RolloutGroupValidate, ToolCountsInRangeAndCarried) {
  GroupLimits lim;
  lim.vocab_size = kVocab, lim.max_turns = 3;
  rv1::Group g = good_group();
  rv1::Completion* c = g.mutable_completions(0);
  c->set_turns(2), c->set_tool_calls(2);
  (*c->mutable_tool_errors())["timeout"] = 1;
  ASSERT_TRUE(rollout_group_validate(g, lim).ok()) << rollout_group_validate(g, lim);
  const PromptGroup pg = prompt_group_from_proto(g, nullptr);
  EXPECT_EQ(pg.completions[0].turns, 2);
  EXPECT_EQ(pg.completions[0].tool_calls, 2);
  EXPECT_EQ(pg.completions[0].tool_errors.at("timeout"), 1);
  const auto refused = [&](void (*corrupt)(rv1::Completion*), const char* says) {
    rv1::Group bad = g;
    corrupt(bad.mutable_completions(0));
    const absl::Status st = rollout_group_validate(bad, lim);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << says;
    EXPECT_NE(st.message().find(says), std::string::npos) << st;
  };
  refused([](rv1::Completion* x) { x->set_turns(4); }, "lease 7 completion 0: 4 turns (at most 3)");
  refused([](rv1::Completion* x) { x->set_turns(-1); }, "-1 turns");
  refused([](rv1::Completion* x) { x->set_tool_calls(3); }, "3 tool calls in 2 tokens");
  refused([](rv1::Completion* x) { (*x->mutable_tool_errors())["failed"] = 2; }, "3 failed tool calls of 2");
  refused([](rv1::Completion* x) { (*x->mutable_tool_errors())["timeout"] = -1; }, "count -1");
  refused([](rv1::Completion* x) { (*x->mutable_tool_errors())["new_metric"] = 0; },
          "tool error kind \"new_metric\"");
  // Without tools (the default limits) a completion is one turn.
  const absl::Status st = rollout_group_validate(g, kVocab);
  EXPECT_NE(st.message().find("2 turns (at most 1)"), std::string::npos) << st;
}

TEST(RolloutGroupValidate, AWellFormedGroupPasses) {
  EXPECT_TRUE(rollout_group_validate(good_group(), kVocab).ok());
  rv1::Group no_forced = good_group();
  no_forced.mutable_completions(0)->clear_forced();  // absent flags: every token sampled
  EXPECT_TRUE(rollout_group_validate(no_forced, kVocab).ok());
}

// The recipe's and the learner's bounds: a group larger than the group size, a completion longer than the
// model's context, a token from a version the learner has not published, a megabyte prompt id.
TEST(RolloutGroupValidate, SizesVersionsAndIdsBeyondTheLimitsAreRefused) {
  GroupLimits lim;
  lim.vocab_size = kVocab, lim.max_completions = 2, lim.max_sequence_tokens = 6, lim.max_version = 2;
  EXPECT_TRUE(rollout_group_validate(good_group(), lim).ok()) << "3 + 2 tokens, versions 1 and 2";
  const auto refused = [&](const rv1::Group& g) {
    absl::Status st = rollout_group_validate(g, lim);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
    return std::string(st.message());
  };
  rv1::Group g = good_group();
  *g.add_completions() = g.completions(0);
  EXPECT_EQ(refused(g), "lease 7: 3 completions (the group size is 2)");
  g = good_group();
  for (int i = 0; i < 2; ++i) {
    g.mutable_completions(1)->add_tokens(1), g.mutable_completions(1)->add_logprobs(-1.0f);
    g.mutable_completions(1)->add_versions(1), g.mutable_completions(1)->add_forced(0);
  }
  EXPECT_EQ(refused(g), "lease 7 completion 1: 4 tokens after a prompt of 3, longer than the model's 6");
  g = good_group();
  for (int t = 0; t < 3; ++t) g.add_prompt(1);
  EXPECT_EQ(refused(g), "lease 7: a prompt of 6 tokens leaves no room in the model's 6");
  g = good_group();
  g.mutable_completions(0)->set_versions(1, 1'000'000'000'000'000);
  EXPECT_EQ(refused(g),
            "lease 7 completion 0 token 1: weights version 1000000000000000 (the learner has "
            "published 2)");
  g = good_group();
  g.set_prompt_id(std::string(1025, 'x'));
  EXPECT_EQ(refused(g), "lease 7: a prompt id of 1025 bytes (at most 1024)");
}

TEST(RolloutGroupValidate, EachCorruptionIsRefusedAndNamed) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  rv1::Group g = good_group();
  g.set_prompt(1, kVocab);
  EXPECT_EQ(error_of(g), "lease 7 prompt token 1: id 50 outside the vocabulary [0, 50)");
  g = good_group();
  g.clear_prompt();
  EXPECT_EQ(error_of(g), "lease 7: empty prompt");
  g = good_group();
  g.mutable_completions(1)->set_tokens(0, -3);
  EXPECT_EQ(error_of(g), "lease 7 completion 1 token 0: id -3 outside the vocabulary [0, 50)");
  g = good_group();
  g.mutable_completions(0)->add_logprobs(-1.0f);
  EXPECT_EQ(error_of(g), "lease 7 completion 0: 2 tokens but 3 log-probs and 2 versions");
  g = good_group();
  g.mutable_completions(0)->add_forced(1);
  EXPECT_EQ(error_of(g), "lease 7 completion 0: 2 tokens but 3 forced flags");
  g = good_group();
  g.mutable_completions(1)->set_logprobs(1, nan);
  EXPECT_EQ(error_of(g), "lease 7 completion 1 token 1: log-prob nan");
  g = good_group();
  g.mutable_completions(1)->set_logprobs(0, 0.5f);  // a probability above 1
  EXPECT_EQ(error_of(g), "lease 7 completion 1 token 0: log-prob 0.5");
  g = good_group();
  g.mutable_completions(0)->set_versions(1, -1);
  EXPECT_EQ(error_of(g), "lease 7 completion 0 token 1: weights version -1");
  g = good_group();
  g.mutable_completions(0)->set_reward(std::numeric_limits<double>::infinity());
  EXPECT_EQ(error_of(g), "lease 7 completion 0: reward inf");
  g = good_group();
  g.mutable_completions(0)->clear_tokens();
  g.mutable_completions(0)->clear_logprobs();
  g.mutable_completions(0)->clear_versions();
  g.mutable_completions(0)->clear_forced();
  EXPECT_EQ(error_of(g), "lease 7 completion 0: no tokens");
  g = good_group();
  g.set_has_hero_sigma(true);
  g.set_hero_sigma(-0.1);
  EXPECT_EQ(error_of(g), "lease 7: HERO sigma -0.1");
}

TEST(RolloutGroupValidate, AFailedRewardNeedsNoFiniteValue) {
  rv1::Group g = good_group();
  g.mutable_completions(1)->set_reward_ok(false);
  g.mutable_completions(1)->set_reward(std::nan(""));  // left out by prompt_group_from_proto, never read
  EXPECT_TRUE(rollout_group_validate(g, kVocab).ok());
  int64_t dropped = 0;
  const PromptGroup pg = prompt_group_from_proto(g, &dropped);
  EXPECT_EQ(dropped, 1);
  ASSERT_EQ(pg.completions.size(), 1u);
}

TEST(TrainBatchProto, RoundTripsGroupsAndWeightsAndRefusesAMismatch) {
  RolloutBatch rb;
  rb.groups.push_back(prompt_group_from_proto(good_group(), nullptr));
  rb.groups.back().weight = 2.5;
  rb.groups.push_back(prompt_group_from_proto(good_group(), nullptr));
  rv1::TrainBatch tb = train_batch_to_proto(4, rb);
  EXPECT_EQ(tb.step(), 4);
  auto back = train_batch_from_proto(tb);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->groups.size(), 2u);
  EXPECT_EQ(back->groups[0].weight, 2.5);
  const Rollout& c = back->groups[0].completions[1];
  EXPECT_EQ(c.tokens, (std::vector<int32_t>{5, 6}));
  EXPECT_EQ(c.logp_gen, (std::vector<float>{-0.5f, -1.25f}));
  EXPECT_EQ(c.version, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(c.loss_mask, (std::vector<uint8_t>{1, 1}));
  EXPECT_TRUE(c.truncated);
  EXPECT_EQ(c.reward, 1.0);
  tb.mutable_weights()->RemoveLast();
  EXPECT_EQ(train_batch_from_proto(tb).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace ascent
