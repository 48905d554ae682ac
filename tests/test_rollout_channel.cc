// Scored groups from an actor to the learner over real gRPC on loopback (transport/rollout_server.h,
// rollout_client.h): 1,000 groups through a stream the server drops every 97 groups (before acking them) and
// a learner queue of 8 that is drained slowly: every group arrives exactly once, in order; resent groups are
// recognised as duplicates; a restarted actor (new incarnation) starts its own sequence.
#include <gtest/gtest.h>

#include <thread>

#include "test_credentials.h"
#include "transport/rollout_client.h"
#include "transport/rollout_server.h"

namespace ascent {

namespace {

ascent::rollout::v1::Group group(int64_t prompt_id) {
  ascent::rollout::v1::Group g;
  g.set_lease(prompt_id);
  g.add_prompt(1), g.add_prompt(2);
  auto* c = g.add_completions();
  c->add_tokens(static_cast<int32_t>(prompt_id % 1000));
  c->add_logprobs(-0.5f);
  c->add_versions(prompt_id / 10);
  c->set_reward(1.0);
  c->set_reward_ok(true);
  return g;
}

TEST(RolloutChannel, ThousandGroupsNoLossNoDuplicateThroughBrokenStreams) {
  GroupInbox inbox(/*capacity=*/8);
  TestAuth auth;
  RolloutServer server(&inbox, nullptr, "127.0.0.1:0", auth.security(), /*break_every=*/97);
  ASSERT_GT(server.port(), 0);
  const std::string address = "127.0.0.1:" + std::to_string(server.port());
  std::vector<int64_t> seen;
  std::thread learner([&] {
    ascent::rollout::v1::Group g;
    while (seen.size() < 1010) {
      if (!inbox.take(&g, 10000)) break;
      seen.push_back(g.incarnation() == "actor-a" ? g.lease() : 100000 + g.lease());
      if (seen.size() % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a slow learner
    }
  });
  {
    RolloutSender sender(address, test_credentials("a"), "actor-a", /*window=*/16);
    ASSERT_TRUE(LearnerClient(address, test_credentials("a")).register_actor("a", "actor-a", 5).ok());
    for (int64_t i = 0; i < 1000; ++i) ASSERT_TRUE(sender.send(group(i)).ok()) << i;
    absl::Status st = sender.flush(30);
    ASSERT_TRUE(st.ok()) << st;
    EXPECT_GE(sender.reconnects(), 10);  // 1,000 / 97 drops
  }
  {
    RolloutSender restarted(address, test_credentials("a"), "actor-a-2",
                            4);  // a new incarnation of the actor
    for (int64_t i = 0; i < 10; ++i) ASSERT_TRUE(restarted.send(group(i)).ok());
    ASSERT_TRUE(restarted.flush(30).ok());
  }
  learner.join();
  ASSERT_EQ(seen.size(), 1010u);
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(seen[i], i) << "lost, duplicated or reordered at " << i;
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(seen[1000 + i], 100000 + i);
  EXPECT_GT(inbox.duplicates(), 0);  // resent groups were recognised, not delivered twice
  EXPECT_EQ(inbox.delivered("actor-a"), 999);
}

TEST(RolloutChannel, InboxRefusesGapsAndIgnoresDuplicates) {
  GroupInbox inbox(4);
  ascent::rollout::v1::Group g = group(0);
  g.set_incarnation("x");
  g.set_seq(0);
  ASSERT_TRUE(inbox.offer(g).ok());
  ASSERT_TRUE(inbox.offer(g).ok());  // duplicate
  EXPECT_EQ(inbox.duplicates(), 1);
  g.set_seq(2);
  absl::Status gap = inbox.offer(g);
  ASSERT_TRUE(absl::IsFailedPrecondition(gap)) << gap;
  EXPECT_NE(gap.message().find("resend from 1"), std::string::npos) << gap;
  ascent::rollout::v1::Group out;
  ASSERT_TRUE(inbox.take(&out, 100));
  EXPECT_FALSE(inbox.take(&out, 10));
}

}  // namespace

}  // namespace ascent
