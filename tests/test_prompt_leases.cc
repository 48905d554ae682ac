// Prompt leases (learner/prompt_leases.h): steps ahead of the learner are bounded by max_lag, a lost holder's
// leases are handed out again (same number, step and seed) before fresh ones, a lease returns once, and a
// restored ledger hands out every untrained lease again, then continues the data order.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "learner/prompt_leases.h"

namespace ascent {

namespace {

PromptLeases::NextPrompt counter(int64_t* next, int64_t limit) {
  return [next, limit]() -> absl::StatusOr<PromptRecord> {
    if (*next >= limit) return absl::OutOfRangeError("end");
    const int64_t i = (*next)++;
    return PromptRecord{absl::StrCat("p", i), absl::StrCat("text ", i), "a", "{}", ""};
  };
}

}  // namespace

TEST(PromptLeases, IssuesOnlyUpToMaxLagStepsAhead) {
  int64_t n = 0;
  PromptLeases l(/*per_step=*/3, /*max_lag=*/1, 7, counter(&n, 100));
  // steps_done 0, max_lag 1: steps 0 and 1 only -> 6 leases.
  auto a = l.issue("x", 100, 0);
  ASSERT_EQ(a.size(), 6u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].lease, static_cast<int64_t>(i));
    EXPECT_EQ(a[i].step, static_cast<int64_t>(i) / 3);
  }
  EXPECT_TRUE(l.issue("x", 100, 0).empty());
  EXPECT_FALSE(l.step_closed(0));
  for (int64_t i = 0; i < 3; ++i) EXPECT_EQ(l.complete(i, "x"), LeaseReturn::kFirst);
  EXPECT_EQ(l.complete(1, "x"), LeaseReturn::kDuplicate);
  EXPECT_EQ(l.complete(99, "x"), LeaseReturn::kUnknown);
  EXPECT_TRUE(l.step_closed(0));
  EXPECT_FALSE(l.step_closed(1));
  l.trained(0);
  EXPECT_EQ(l.complete(0, "x"), LeaseReturn::kDuplicate);  // trained and forgotten, still not new
  auto b = l.issue("x", 100, 1);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].step, 2);
  // Seeds differ per lease and do not depend on who holds it.
  EXPECT_NE(a[0].seed, a[1].seed);
}

TEST(PromptLeases, ALostHoldersLeasesAreHandedOutAgainFirst) {
  int64_t n = 0;
  PromptLeases l(4, 0, 7, counter(&n, 100));
  auto a = l.issue("dead", 2, 0);
  auto b = l.issue("alive", 2, 0);
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(l.complete(a[0].lease, "dead"), LeaseReturn::kFirst);
  EXPECT_EQ(l.release("dead"), 1);  // a[1] was open
  auto c = l.issue("new", 5, 0);
  ASSERT_EQ(c.size(), 1u);  // step 0 has 4 leases; only the handed-back one remains for max_lag 0
  EXPECT_EQ(c[0].lease, a[1].lease);
  EXPECT_EQ(c[0].seed, a[1].seed);
  EXPECT_EQ(c[0].prompt.id, a[1].prompt.id);
  // The dead holder's group arrives late after all: the first one counts, the second is a duplicate.
  EXPECT_EQ(l.complete(a[1].lease, "stranger"), LeaseReturn::kNotHolder);
  EXPECT_EQ(l.complete(a[1].lease, "dead"), LeaseReturn::kFirst);
  EXPECT_EQ(l.complete(c[0].lease, "new"), LeaseReturn::kDuplicate);
}

TEST(PromptLeases, ARefusedGroupsLeaseIsHandedOutAgainUpToALimit) {
  int64_t n = 0;
  PromptLeases l(2, 0, 7, counter(&n, 100));
  auto a = l.issue("bad", 2, 0);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(l.complete(a[0].lease, "bad"), LeaseReturn::kFirst);
  EXPECT_EQ(l.complete(a[1].lease, "bad"), LeaseReturn::kFirst);
  EXPECT_TRUE(l.step_closed(0));
  EXPECT_TRUE(l.refuse(a[1].lease)) << "first refusal: handed out again";
  EXPECT_FALSE(l.step_closed(0)) << "the step waits for a group it can train";
  for (int k = 2; k <= PromptLeases::kMaxRefusals; ++k) {
    auto b = l.issue("other", 5, 0);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].lease, a[1].lease);
    EXPECT_EQ(b[0].seed, a[1].seed) << "same prompt, same sampling seed";
    EXPECT_EQ(l.complete(b[0].lease, "other"), LeaseReturn::kFirst);
    EXPECT_EQ(l.refuse(b[0].lease), k < PromptLeases::kMaxRefusals) << "refusal " << k;
  }
  EXPECT_TRUE(l.step_closed(0)) << "given up after kMaxRefusals: the step goes on without it";
  EXPECT_TRUE(l.issue("other", 5, 0).empty());
  EXPECT_FALSE(l.refuse(a[0].lease + 100)) << "an unknown lease";
}

TEST(PromptLeases, ALeaseHeldPastItsDeadlineIsHandedOutAgainAndItsHolderMayStillReturnIt) {
  int64_t n = 0;
  PromptLeases l(2, 0, 7, counter(&n, 100));
  auto a = l.issue("slow", 2, 0);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(l.expire(3600), 0) << "not yet";
  EXPECT_EQ(l.complete(a[0].lease, "slow"), LeaseReturn::kFirst);
  EXPECT_EQ(l.expire(0), 1) << "the open one only";
  EXPECT_EQ(l.expired(), 1);
  auto b = l.issue("fast", 5, 0);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].lease, a[1].lease);
  EXPECT_EQ(l.complete(a[1].lease, "slow"), LeaseReturn::kFirst) << "the first holder returns it late";
  EXPECT_EQ(l.complete(b[0].lease, "fast"), LeaseReturn::kDuplicate);
  EXPECT_TRUE(l.step_closed(0));
}

TEST(PromptLeases, RefillAddsALeaseToTheStep) {
  int64_t n = 0;
  PromptLeases l(2, 0, 7, counter(&n, 100));
  auto a = l.issue("x", 5, 0);
  ASSERT_EQ(a.size(), 2u);
  for (auto& x : a) l.complete(x.lease, "x");
  EXPECT_TRUE(l.step_closed(0));
  l.refill(0);
  EXPECT_FALSE(l.step_closed(0));
  auto b = l.issue("x", 5, 0);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].step, 0);
  l.complete(b[0].lease, "x");
  EXPECT_TRUE(l.step_closed(0));
}

TEST(PromptLeases, DataEndClosesTheLastShortStep) {
  int64_t n = 0;
  PromptLeases l(4, 2, 7, counter(&n, 6));
  auto a = l.issue("x", 100, 0);
  ASSERT_EQ(a.size(), 6u);
  EXPECT_TRUE(l.data_exhausted());
  for (auto& x : a) l.complete(x.lease, "x");
  EXPECT_TRUE(l.step_closed(0));
  EXPECT_TRUE(l.step_closed(1));  // 2 of 4: the data ended
}

TEST(PromptLeases, RestoreHandsOutUntrainedLeasesAgainThenContinues) {
  int64_t n = 0;
  PromptLeases l(2, 1, 7, counter(&n, 100));
  auto a = l.issue("x", 100, 0);  // leases 0-3 (steps 0, 1)
  ASSERT_EQ(a.size(), 4u);
  for (auto& x : a) l.complete(x.lease, "x");
  l.trained(0);
  const nlohmann::json saved = l.to_json();

  int64_t n2 = 4;  // the data order's cursor, restored with the checkpoint
  PromptLeases r(2, 1, 7, counter(&n2, 100));
  ASSERT_TRUE(r.restore(nlohmann::json::parse(saved.dump()), "ckpt").ok());
  auto b = r.issue("y", 100, 1);
  ASSERT_EQ(b.size(), 4u);  // leases 2, 3 again (step 1), then 4, 5 (step 2)
  EXPECT_EQ(b[0].lease, 2);
  EXPECT_EQ(b[0].seed, a[2].seed);
  EXPECT_EQ(b[0].prompt.text, a[2].prompt.text);
  EXPECT_EQ(b[1].lease, 3);
  EXPECT_EQ(b[2].lease, 4);
  EXPECT_EQ(b[2].step, 2);
  EXPECT_EQ(b[2].prompt.id, "p4");
  EXPECT_FALSE(r.restore(nlohmann::json{{"format", "other"}}, "ckpt").ok());
}

}  // namespace ascent
