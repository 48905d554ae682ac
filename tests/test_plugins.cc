// Reward plugins out of process (rewards/plugin_host.h): a plugin that segfaults, hangs, leaks, returns NaN
// or has the wrong ABI version costs only the affected rewards, each with its reason, within its deadline,
// while the other items of the batch are scored.
#include <gtest/gtest.h>

#include <chrono>

#include "core/sanitizers.h"
#include "rewards/plugin_host.h"

namespace ascent {

namespace {

std::vector<RewardInput> batch(const std::vector<std::string>& completions) {
  std::vector<RewardInput> v;
  for (const std::string& c : completions) v.push_back({"prompt", c, "42"});
  return v;
}

PluginOptions misbehaving(double timeout_s = 1.0, int retries = 1) {
  PluginOptions o;
  o.path = MISBEHAVING_PLUGIN;
  o.item_timeout_s = timeout_s;
  o.retries = retries;
  return o;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST(Plugins, ExamplePluginScoresInItsWorker) {
  PluginOptions o;
  o.path = FORMAT_PLUGIN;
  o.config_json = R"({"marker": "\\boxed{", "reward": 1.0, "penalty": -0.5})";
  PluginReward p(o);
  const std::vector<ComponentResult> r = p.score(batch({"so \\boxed{42}", "it is 42"}));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].ok) << r[0].reason;
  EXPECT_EQ(r[0].value, 1.0);
  EXPECT_EQ(r[1].value, -0.5);
  EXPECT_EQ(r[1].reason, "no \\boxed{");
  EXPECT_EQ(p.name(), "format_reward");
  // The worker stays up across batches.
  EXPECT_TRUE(p.score(batch({"\\boxed{1}"}))[0].ok);
  EXPECT_EQ(p.stats().restarts, 1);
}

TEST(Plugins, CrashHangNanAndFailCostOnlyTheirItems) {
  PluginReward p(misbehaving(/*timeout_s=*/1.0, /*retries=*/1));
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<ComponentResult> r =
      p.score(batch({"fine", "CRASH here", "ok too", "HANG", "NAN", "FAIL", "last"}));
  const double took = seconds_since(t0);
  ASSERT_EQ(r.size(), 7u);
  for (int k : {0, 2, 6}) {
    EXPECT_TRUE(r[k].ok) << k << ": " << r[k].reason;
  }
  EXPECT_EQ(r[0].value, 4);
  EXPECT_EQ(r[6].value, 4);
  EXPECT_FALSE(r[1].ok);
  EXPECT_NE(r[1].reason.find("worker crashed: signal 11"), std::string::npos) << r[1].reason;
  EXPECT_NE(r[1].reason.find("(2 tries)"), std::string::npos) << r[1].reason;  // retried once
  EXPECT_FALSE(r[3].ok);
  EXPECT_NE(r[3].reason.find("timed out after 1 s"), std::string::npos) << r[3].reason;
  EXPECT_FALSE(r[4].ok);
  EXPECT_EQ(r[4].reason, "plugin returned NaN");
  EXPECT_FALSE(r[5].ok);
  EXPECT_EQ(r[5].reason, "no answer to judge");
  // The hang costs (retries + 1) timeouts, the rest is fast. Expected about 2 s (two 1 s timeouts); the bound
  // leaves room for a loaded CI machine while a plugin that was not isolated would never return.
  EXPECT_LT(took, 8.0);
  EXPECT_EQ(p.stats().timeouts, 1);
  EXPECT_EQ(p.stats().crashes, 1);
  EXPECT_EQ(p.stats().errors, 4);
}

TEST(Plugins, LeakIsStoppedByTheMemoryLimit) {
#ifdef ASCENT_SANITIZED
  GTEST_SKIP() << "sanitizers reserve terabytes of address space: no RLIMIT_AS can hold them";
#endif
  PluginOptions o = misbehaving(5.0, 0);
  o.memory_mb = 256;
  PluginReward p(o);
  const std::vector<ComponentResult> r = p.score(batch({"LEAK", "after"}));
  EXPECT_FALSE(r[0].ok);
  EXPECT_NE(r[0].reason.find("worker crashed"), std::string::npos) << r[0].reason;
  EXPECT_TRUE(r[1].ok) << r[1].reason;
}

TEST(Plugins, WrongAbiVersionFailsEveryItemAtOnceWithTheVersions) {
  PluginOptions o = misbehaving();
  o.path = WRONG_ABI_PLUGIN;
  PluginReward p(o);
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<ComponentResult> r = p.score(batch({"a", "b", "c"}));
  EXPECT_LT(seconds_since(t0), 3.0);  // at once: no retries, no per-item timeouts
  for (const ComponentResult& c : r) {
    EXPECT_FALSE(c.ok);
    EXPECT_NE(c.reason.find("plugin ABI version 999, this ascent speaks 1"), std::string::npos) << c.reason;
  }
}

TEST(Plugins, MissingPluginOrWorkerIsAnErrorNotACrash) {
  PluginOptions o = misbehaving();
  o.path = "/nonexistent/libnothing.so";
  PluginReward p(o);
  std::vector<ComponentResult> r = p.score(batch({"a"}));
  EXPECT_FALSE(r[0].ok);
  EXPECT_NE(r[0].reason.find("cannot load plugin"), std::string::npos) << r[0].reason;
  o = misbehaving();
  o.worker_path = "/nonexistent/ascent-reward-worker";
  PluginReward q(o);
  r = q.score(batch({"a"}));
  EXPECT_FALSE(r[0].ok);
  EXPECT_NE(r[0].reason.find("cannot start the reward worker"), std::string::npos) << r[0].reason;
}

}  // namespace

}  // namespace ascent
