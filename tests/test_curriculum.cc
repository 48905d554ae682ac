// No-Positive-Resampling with zero-variance filtering over several epochs of six scripted prompts, a
// save/restore of the sampler and pass-rate history in the middle (learner/curriculum.h).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>

#include "learner/curriculum.h"
#include "learner/filters.h"
#include "tests/learner_fixtures.h"

namespace ascent {
namespace {

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
      batch.groups.push_back(scored_group(*id, correct_of(*id, epoch)));
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

}  // namespace
}  // namespace ascent
