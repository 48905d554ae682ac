// Zero-variance filtering, DAPO dynamic sampling, overlong shaping, No-Positive-Resampling over several
// epochs with a save/restore of its state in the middle, and the per-step metrics.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "learner/curriculum.h"
#include "learner/filters.h"
#include "learner/step_metrics.h"

namespace ascent {

namespace {

// A group whose G = 10 completions have `correct` right answers; reward = 1 for a right answer.
PromptGroup scored(const std::string& id, int correct) {
  PromptGroup g;
  g.prompt_id = id;
  for (int i = 0; i < 10; ++i) {
    Rollout c;
    c.correct = i < correct;
    c.reward = c.correct ? 1.0 : 0.0;
    g.completions.push_back(c);
  }
  return g;
}

// The scripted "model": how many of 10 completions each prompt gets right, per epoch.
//   p_easy: 10/10 from the start     -> zero variance (filtered) and retired (pass rate 1 >= 0.9) in epoch 0
//   p_hard: 0/10 always              -> filtered every epoch, never retired
//   p_mid:  5/10 always              -> kept every epoch
//   p_edge: 9/10 in epoch 1          -> kept that epoch (not zero-variance) and retired: 0.9 >= 0.9
//   p_near: 8/10 always              -> kept, never retired
//   p_late: 5/10, then 10/10 in epoch 2 -> retired after epoch 2
int correct_of(const std::string& id, int64_t epoch) {
  if (id == "p_easy") return 10;
  if (id == "p_hard") return 0;
  if (id == "p_mid") return 5;
  if (id == "p_edge") return epoch == 1 ? 9 : 5;
  if (id == "p_near") return 8;
  return epoch >= 2 ? 10 : 5;  // p_late
}

struct RunLog {
  std::vector<std::set<std::string>> sampled, trained;  // per epoch
};

// Runs `epochs` epochs over the 6 prompts, 2 prompts per step (a step may straddle two epochs: each prompt is
// scored and logged under the epoch in which it was drawn). Saves and restores state at `restore_at_step`.
RunLog run(int epochs, int restore_at_step, std::string* history_json = nullptr) {
  const std::vector<std::string> ids = {"p_easy", "p_hard", "p_mid", "p_edge", "p_near", "p_late"};
  auto history = std::make_unique<PassRateHistory>(0.9);
  auto sampler = std::make_unique<PromptSampler>(ids, 42, history.get());
  RunLog log;
  for (int64_t step = 0;; ++step) {
    if (step ==
        restore_at_step) {  // simulate a checkpoint + restart: rebuild both from their serialised state
      const std::string h = history->serialize(), s = sampler->serialize();
      history = std::make_unique<PassRateHistory>(*PassRateHistory::parse(h, "history.json"));
      sampler = std::make_unique<PromptSampler>(ids, 42, history.get());
      EXPECT_TRUE(sampler->restore(s, "sampler.json").ok());
      EXPECT_EQ(history->serialize(), h);  // bit-exact round trip
    }
    RolloutBatch batch;
    std::vector<int64_t>
        drawn_in;  // per group: the epoch it was drawn in (a prompt may appear twice in a step)
    bool done = false;
    for (int k = 0; k < 2 && !done; ++k) {
      auto id = sampler->next();
      if (!id.ok()) return log;
      const int64_t epoch = sampler->epoch();
      if (epoch >= epochs) {
        done = true;
        break;
      }
      if (static_cast<int64_t>(log.sampled.size()) <= epoch)
        log.sampled.resize(epoch + 1), log.trained.resize(epoch + 1);
      log.sampled[epoch].insert(*id);
      drawn_in.push_back(epoch);
      batch.groups.push_back(scored(*id, correct_of(*id, epoch)));
    }
    for (const auto& g : batch.groups) history->record(g.prompt_id, group_pass_rate(g), step);
    const RolloutBatch before = batch;
    filter_zero_variance(&batch);
    size_t kept = 0;  // the filter keeps order: walk the survivors alongside the original groups
    for (size_t j = 0; j < before.groups.size(); ++j) {
      if (kept < batch.groups.size() && !group_is_zero_variance(before.groups[j])) {
        EXPECT_EQ(batch.groups[kept].prompt_id, before.groups[j].prompt_id);
        log.trained[drawn_in[j]].insert(batch.groups[kept++].prompt_id);
      }
    }
    EXPECT_EQ(kept, batch.groups.size());
    if (done) {
      if (history_json) *history_json = history->serialize();
      return log;
    }
  }
}

TEST(Curriculum, ZeroVarianceAndNoPositiveResamplingOverEpochs) {
  RunLog log = run(4, -1);
  ASSERT_EQ(log.sampled.size(), 4u);
  using S = std::set<std::string>;
  EXPECT_EQ(log.sampled[0], (S{"p_easy", "p_hard", "p_mid", "p_edge", "p_near", "p_late"}));
  EXPECT_EQ(log.trained[0], (S{"p_mid", "p_edge", "p_near", "p_late"}));  // easy and hard: zero variance
  EXPECT_EQ(log.sampled[1], (S{"p_hard", "p_mid", "p_edge", "p_near", "p_late"}));  // easy retired
  EXPECT_EQ(log.trained[1], (S{"p_mid", "p_edge", "p_near", "p_late"}));            // edge kept at 9/10
  EXPECT_EQ(log.sampled[2], (S{"p_hard", "p_mid", "p_near", "p_late"}));            // edge retired at 0.9
  EXPECT_EQ(log.trained[2], (S{"p_mid", "p_near"}));            // late is all-correct now: filtered
  EXPECT_EQ(log.sampled[3], (S{"p_hard", "p_mid", "p_near"}));  // late retired
}

// A run restored from its serialised state in the middle continues exactly as one never interrupted.
TEST(Curriculum, SaveRestoreIsExact) {
  std::string straight, resumed;
  RunLog a = run(4, -1, &straight);
  for (int at : {1, 4, 7}) {
    RunLog b = run(4, at, &resumed);
    EXPECT_EQ(a.sampled, b.sampled) << "restored at step " << at;
    EXPECT_EQ(a.trained, b.trained) << "restored at step " << at;
    EXPECT_EQ(straight, resumed) << "restored at step " << at;
  }
  // Doubles survive bit for bit, including ones without a short decimal form.
  PassRateHistory h(0.9);
  h.record("x", 1.0 / 3.0, 5);
  h.record("x", 0.1 + 0.2, 6);
  auto back = PassRateHistory::parse(h.serialize(), "h.json");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->history("x")[0].second, 1.0 / 3.0);
  EXPECT_EQ(back->history("x")[1].second, 0.1 + 0.2);
  EXPECT_FALSE(PassRateHistory::parse("{\"format\": \"other\"}", "bad.json").ok());
}

TEST(Curriculum, EveryPromptRetiredIsAnError) {
  PassRateHistory h(0.9);
  h.record("a", 1.0, 0);
  PromptSampler s({"a"}, 1, &h);
  EXPECT_EQ(s.next().status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(Filters, ZeroVarianceDropsWithoutRefill) {
  RolloutBatch b;
  b.groups = {scored("a", 10), scored("b", 3), scored("c", 0), scored("d", 7)};
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
    buf.offer(scored(absl::StrCat("g", offered++), c));
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
  b.groups = {scored("a", 10)};
  b.groups[0].completions[0].tokens.assign(17, 1);
  apply_overlong_shaping(&b, 20, 4);
  EXPECT_EQ(b.groups[0].completions[0].reward, 1.0 - 0.25);
  EXPECT_EQ(b.groups[0].completions[1].reward, 1.0);
}

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
}

}  // namespace

}  // namespace ascent
