// learner/background_validation.h: a validation beside training validates the weights it was handed (a
// bit-exact copy), not the ones the learner has moved on to; one at a time; cancellable; lowest priority.
#include "learner/background_validation.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "generation/generation_config.h"
#include "model_fixtures.h"
#include "prompt_text_fixtures.h"

namespace ascent {
namespace {

struct Fixture {
  std::vector<PromptRecord> prompts;
  DecodeSettings cfg;
  PromptText text = digit_prompt_text(40);
  // A sample passes when its first digit is below 5: about half, and a function of the sampled tokens.
  SampleJudge judge = [](const std::vector<RewardInput>& s) {
    std::vector<ComponentResult> out;
    for (const RewardInput& x : s)
      out.push_back({true, !x.completion.empty() && x.completion[0] < '5' ? 1.0 : 0.0, ""});
    return out;
  };
  Fixture() {
    // (absl::StrCat: "v" + std::to_string(i) trips GCC 12's -Wrestrict, PR 105329)
    for (int i = 0; i < 12; ++i)
      prompts.push_back({absl::StrCat("v", i), absl::StrCat("q", i), "", "{}", ""});
    cfg.slots = 8, cfg.max_len = 32, cfg.max_tokens = 6;
    cfg.sampler.temperature = 1.0f;
  }
  BackgroundValidation::Job job() const {
    return [this](Model& m, const std::atomic<bool>& cancel) {
      return validation_run(m, prompts, cfg, text, 4, 17, judge, &cancel);
    };
  }
  absl::StatusOr<ValidationResult> now(Model& m) const {
    return validation_run(m, prompts, cfg, text, 4, 17, judge);
  }
};

TEST(BackgroundValidation, ValidatesTheWeightsItWasHandedWhileThePolicyMovesOn) {
  Fixture f;
  // Large initial weights: peaked next-token distributions, so that other weights sample other tokens (near-
  // uniform ones would sample the same tokens from the same random streams, and a missed copy go unseen).
  Model policy = test_model(ModelArch::kQwen3, false, 5, 1.5f);
  auto before = f.now(policy);
  ASSERT_TRUE(before.ok()) << before.status();
  auto bg = BackgroundValidation::make(policy);
  ASSERT_TRUE(bg.ok()) << bg.status();
  ASSERT_TRUE((*bg)->start(7, policy, f.job()).ok());
  // The learner's next steps: the policy changes at once, while the validation runs.
  Model next = test_model(ModelArch::kQwen3, false, 6, 1.5f);
  policy.params = next.params;
  std::optional<BackgroundValidation::Done> done = (*bg)->wait();
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->step, 7);
  ASSERT_TRUE(done->result.ok()) << done->result.status();
  EXPECT_EQ(done->result->pass_rate, before->pass_rate);
  EXPECT_EQ(done->result->tokens, before->tokens);
  EXPECT_EQ(done->result->samples, 48);
  // The check can fail: the moved-on weights validate differently (else the copy would go unnoticed).
  auto after = f.now(policy);
  ASSERT_TRUE(after.ok());
  EXPECT_NE(after->pass_rate, before->pass_rate);
  EXPECT_FALSE((*bg)->busy());
  EXPECT_FALSE((*bg)->wait().has_value());
}

TEST(BackgroundValidation, OneAtATimePollDoesNotBlockAndTheThreadRunsAtNice19) {
  Fixture f;
  Model policy = test_model(ModelArch::kLlama, true, 8);
  auto bg = BackgroundValidation::make(policy);
  ASSERT_TRUE(bg.ok());
  std::atomic<bool> release{false};
  std::atomic<int> nice{-100};
  ASSERT_TRUE((*bg)
                  ->start(3, policy,
                          [&](Model&, const std::atomic<bool>&) -> absl::StatusOr<ValidationResult> {
                            nice = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
                            while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
                            ValidationResult r;
                            r.pass_rate = 0.25;
                            return r;
                          })
                  .ok());
  EXPECT_TRUE((*bg)->busy());
  EXPECT_FALSE((*bg)->poll().has_value());  // still running: nothing, at once
  absl::Status second = (*bg)->start(4, policy, f.job());
  EXPECT_EQ(second.code(), absl::StatusCode::kFailedPrecondition) << second;
  EXPECT_NE(second.message().find("step 3 is in flight"), std::string::npos) << second;
  release = true;
  std::optional<BackgroundValidation::Done> done;
  for (int i = 0; i < 5000 && !done; ++i) {
    done = (*bg)->poll();
    if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->step, 3);
  EXPECT_EQ(done->result->pass_rate, 0.25);
  EXPECT_EQ(nice.load(), 19);
  EXPECT_TRUE((*bg)->start(4, policy, f.job()).ok());  // the next one may start now
  EXPECT_EQ((*bg)->step_in_flight(), 4);
  std::optional<BackgroundValidation::Done> next = (*bg)->wait();
  ASSERT_TRUE(next.has_value());
  EXPECT_TRUE(next->result.ok()) << next->result.status();
  EXPECT_EQ((*bg)->step_in_flight(), -1);
}

TEST(BackgroundValidation, DestroyingItCancelsTheValidationInFlight) {
  Model policy = test_model(ModelArch::kQwen2, false, 9);
  auto bg = BackgroundValidation::make(policy);
  ASSERT_TRUE(bg.ok());
  std::atomic<bool> saw_cancel{false};
  ASSERT_TRUE((*bg)
                  ->start(1, policy,
                          [&](Model&, const std::atomic<bool>& cancel) -> absl::StatusOr<ValidationResult> {
                            while (!cancel) std::this_thread::sleep_for(std::chrono::milliseconds(1));
                            saw_cancel = true;
                            return absl::CancelledError("validation cancelled");
                          })
                  .ok());
  bg->reset();  // would hang here if the destructor did not cancel
  EXPECT_TRUE(saw_cancel);
}

TEST(BackgroundValidation, AbandonCancelsAndDropsTheResult) {
  Fixture f;
  Model policy = test_model(ModelArch::kQwen2, false, 9);
  auto bg = BackgroundValidation::make(policy);
  ASSERT_TRUE(bg.ok());
  ASSERT_TRUE((*bg)
                  ->start(2, policy,
                          [&](Model&, const std::atomic<bool>& cancel) -> absl::StatusOr<ValidationResult> {
                            while (!cancel) std::this_thread::sleep_for(std::chrono::milliseconds(1));
                            return absl::CancelledError("validation cancelled");
                          })
                  .ok());
  (*bg)->abandon();
  EXPECT_FALSE((*bg)->busy());
  EXPECT_FALSE((*bg)->poll().has_value());
  EXPECT_TRUE((*bg)->start(3, policy, f.job()).ok());
  std::optional<BackgroundValidation::Done> done = (*bg)->wait();
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->step, 3);
}

TEST(BackgroundValidation, ValidationRunStopsWhenCancelled) {
  Fixture f;
  Model policy = test_model(ModelArch::kQwen3, true, 10);
  const std::atomic<bool> cancel{true};
  auto r = validation_run(policy, f.prompts, f.cfg, f.text, 4, 17, f.judge, &cancel);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled) << r.status();
}

TEST(BackgroundValidation, APolicyOfAnotherShapeIsRefused) {
  Fixture f;
  Model policy = test_model(ModelArch::kQwen3, false, 5);
  Model other = test_model(ModelArch::kQwen3, true, 5);  // tied: no separate LM head, fewer parameters
  auto bg = BackgroundValidation::make(policy);
  ASSERT_TRUE(bg.ok());
  absl::Status st = (*bg)->start(1, other, f.job());
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_FALSE((*bg)->busy());
}

}  // namespace
}  // namespace ascent
