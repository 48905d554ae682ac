// Reward-model scoring against transformers' *ForSequenceClassification
// (tests/reference/make_rm_reference.py): four sequences packed in one batch, one ending in pad tokens
// (pooled at its last non-pad token), for a Qwen2 and a Llama reward model.
#include <gtest/gtest.h>

#include <filesystem>

#include "model/model.h"
#include "rewards/reward_model.h"
#include "tests/reference_dump.h"

namespace ascent {

namespace {

class RewardModelReference : public ::testing::TestWithParam<const char*> {};

TEST_P(RewardModelReference, ScoresMatchTransformers) {
  const std::string dir = std::string(ASCENT_SOURCE_DIR "/tests/fixtures/ref_rm_") + GetParam();
  absl::StatusOr<std::map<std::string, RefTensor>> ref = reference_dump_read(dir + "/reference.bin");
  ASSERT_TRUE(ref.ok()) << ref.status();
  absl::StatusOr<std::unique_ptr<RewardModel>> rm = RewardModel::load(dir, /*batch_tokens=*/64);
  ASSERT_TRUE(rm.ok()) << rm.status();
  std::vector<std::vector<int32_t>> seqs;
  for (int i = 0; i < 4; ++i) {
    std::vector<int32_t> ids;
    for (float x : ref->at("seq" + std::to_string(i) + ".ids").data) ids.push_back(static_cast<int32_t>(x));
    seqs.push_back(ids);
  }
  const std::vector<ComponentResult> got = (*rm)->score_ids(seqs);
  for (int i = 0; i < 4; ++i) {
    const float want = ref->at("seq" + std::to_string(i) + ".score").data[0];
    ASSERT_TRUE(got[i].ok) << got[i].reason;
    EXPECT_NEAR(got[i].value, want, 2e-5 * std::max(1.0f, std::fabs(want))) << "sequence " << i;
  }
  // A batch limit that forces one sequence per batch gives the same scores.
  absl::StatusOr<std::unique_ptr<RewardModel>> small = RewardModel::load(dir, 8);
  ASSERT_TRUE(small.ok());
  const std::vector<ComponentResult> one = (*small)->score_ids(seqs);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(one[i].value, got[i].value, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Families, RewardModelReference, ::testing::Values("qwen2", "llama"));

TEST(RewardModel, BadInputFailsOnlyItsItemAndBadCheckpointsAreRefused) {
  const std::string dir = ASCENT_SOURCE_DIR "/tests/fixtures/ref_rm_qwen2";
  absl::StatusOr<std::unique_ptr<RewardModel>> rm = RewardModel::load(dir, 64);
  ASSERT_TRUE(rm.ok());
  const std::vector<ComponentResult> r =
      (*rm)->score_ids({{1, 2, 3}, std::vector<int32_t>(300, 5), {}, {7, 8}});
  EXPECT_TRUE(r[0].ok);
  EXPECT_FALSE(r[1].ok);
  EXPECT_NE(r[1].reason.find("300 tokens"), std::string::npos) << r[1].reason;
  EXPECT_FALSE(r[2].ok);
  EXPECT_TRUE(r[3].ok);
  // A causal LM is not a reward model.
  absl::StatusOr<std::unique_ptr<RewardModel>> lm =
      RewardModel::load(ASCENT_SOURCE_DIR "/tests/fixtures/ref_qwen2", 64);
  ASSERT_FALSE(lm.ok());
  EXPECT_NE(lm.status().message().find("not a *ForSequenceClassification"), std::string::npos) << lm.status();
  // Text goes through the byte tokenizer: prompt + completion.
  const std::vector<ComponentResult> t = (*rm)->score({{"abc", "de", ""}});
  const std::vector<ComponentResult> ids = (*rm)->score_ids({{97, 98, 99, 100, 101}});
  EXPECT_EQ(t[0].value, ids[0].value);
}

}  // namespace

}  // namespace ascent
