// Shared-prefix packing (model/transformer.h, learner/policy_batch.h): a group's prompt runs through the
// layers once for all its completions. The reference is the whole-sequence layout (each completion after its
// own copy of the prompt), which test_reference checks against PyTorch and test_model_gradcheck against
// finite differences: log-probs, entropies and every parameter's gradient must agree to float rounding.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "learner/policy_batch.h"
#include "tests/model_fixtures.h"

namespace ascent {

namespace {

std::vector<int32_t> random_ids(Rng& rng, int64_t vocab, int64_t n) {
  std::vector<int32_t> ids;
  for (int64_t i = 0; i < n; ++i) ids.push_back(static_cast<int32_t>(rng.next_u64() % vocab));
  return ids;
}

// Four groups: a 9-token prompt with completions of 5, 1, 0 and 12 tokens (shared), a 1-token prompt with
// two completions and a 6-token prompt with one (both laid out whole), and a 4-token prompt with completions
// of 2, 3 and 1 tokens (shared, its prompt not at the batch's first row).
RolloutBatch test_rollouts(int64_t vocab, uint64_t seed) {
  Rng rng(seed);
  RolloutBatch rb;
  const std::pair<int64_t, std::vector<int64_t>> shapes[] = {
      {9, {5, 1, 0, 12}}, {1, {3, 4}}, {6, {7}}, {4, {2, 3, 1}}};
  for (const auto& [prompt, lens] : shapes) {
    PromptGroup g;
    g.prompt_tokens = random_ids(rng, vocab, prompt);
    for (int64_t len : lens) {
      Rollout c;
      c.tokens = random_ids(rng, vocab, len);
      g.completions.push_back(c);
    }
    rb.groups.push_back(g);
  }
  return rb;
}

struct Pass {
  std::vector<float> logp, entropy, grads;
};

// Log-probs and entropies of the completion tokens, and the gradient of sum_t w_t logp_t.
Pass run(Model& m, const PolicyBatch& pb, const std::vector<float>& w, bool recompute) {
  model_grads_zero(m);
  ForwardState st;
  st.recompute = recompute;
  std::vector<float> entropy;
  const LmHeadOptions opt;
  auto lp = model_forward_logprobs(m, pb.batch, &st, opt, &entropy);
  EXPECT_TRUE(lp.ok()) << lp.status();
  if (!lp.ok()) return {};
  model_backward_logprobs(m, pb.batch, st, policy_batch_scatter(pb, w), opt);
  return {policy_batch_gather(pb, *lp), policy_batch_gather(pb, entropy), m.grads};
}

class SharedPrefix : public ::testing::TestWithParam<ModelArch> {};

TEST_P(SharedPrefix, GivesTheLogprobsAndGradientsOfWholeSequences) {
  Model m = test_model(GetParam(), GetParam() != ModelArch::kLlama, 5);
  model_grads_enable(m);
  const RolloutBatch rb = test_rollouts(m.cfg.vocab_size, 17);
  const PolicyBatch shared = policy_batch_build(rb);
  // Groups 1 and 4: P - 1 prompt tokens once + a continuation of (1 + completion) tokens per completion;
  // groups 2 and 3 whole.
  EXPECT_EQ(shared.batch.tokens.size(), (8u + 4 + 18) + (2 + 7) + (6 + 7) + (3 + 3 + 6));
  EXPECT_EQ(shared.batch.segments.size(), (1u + 4) + 2 + 1 + (1 + 3));
  const PolicyBatch whole = policy_batch_build(rb, /*share_prompts=*/false);
  ASSERT_EQ(shared.rows.size(), whole.rows.size());
  Rng rng(3);
  std::vector<float> w;
  for (size_t i = 0; i < shared.rows.size(); ++i) w.push_back(static_cast<float>(rng.next_normal()));
  const Pass ref = run(m, whole, w, false);
  const Pass got = run(m, shared, w, false);
  ASSERT_EQ(got.logp.size(), ref.logp.size());
  for (size_t i = 0; i < ref.logp.size(); ++i) {
    EXPECT_NEAR(got.logp[i], ref.logp[i], 2e-5) << "completion token " << i;
    EXPECT_NEAR(got.entropy[i], ref.entropy[i], 2e-5) << "completion token " << i;
  }
  float scale = 0;
  for (float g : ref.grads) scale = std::max(scale, std::abs(g));
  ASSERT_GT(scale, 0.0f);
  for (const ParamInfo& p : m.layout.params) {
    float err = 0;
    for (int64_t i = p.offset; i < p.offset + p.numel; ++i)
      err = std::max(err, std::abs(got.grads[i] - ref.grads[i]));
    EXPECT_LE(err, 1e-5f * scale) << p.name << " (largest gradient " << scale << ")";
  }
  // Recomputing the layers in the backward gathers the continuations again: the same arithmetic.
  EXPECT_EQ(run(m, shared, w, true).grads, got.grads);
}

INSTANTIATE_TEST_SUITE_P(Families, SharedPrefix,
                         ::testing::Values(ModelArch::kQwen2, ModelArch::kLlama, ModelArch::kQwen3),
                         arch_param_name);

// A micro-batch budget counts the tokens as packed: group 1 takes 30, not 9 x 4 + 18 = 54; group 4 12.
TEST(SharedPrefix, MicroBatchesCountPackedTokens) {
  const RolloutBatch rb = test_rollouts(40, 17);
  EXPECT_EQ(rank_micro_batches(rb, 0, 1, 30 + 9 + 13 + 12), (std::vector<std::vector<size_t>>{{0, 1, 2, 3}}));
  EXPECT_EQ(rank_micro_batches(rb, 0, 1, 30 + 9 + 12), (std::vector<std::vector<size_t>>{{0, 1}, {2, 3}}));
}

TEST(SharedPrefix, MalformedContinuationsAreRefused) {
  Model m = test_model(ModelArch::kQwen2, true, 9);
  auto refused = [&](const PackedBatch& b) {
    auto r = model_forward_logprobs(m, b, nullptr, LmHeadOptions{});
    return !r.ok() && std::string(r.status().message()).find("continuation") != std::string::npos;
  };
  PackedBatch ok;
  const int64_t p = batch_add_sequence(ok, {1, 2, 3}, false);
  batch_add_continuation(ok, p, {4, 5});
  ASSERT_TRUE(model_forward_logprobs(m, ok, nullptr, LmHeadOptions{}).ok());
  PackedBatch bad = ok;
  bad.segments[1].pos0 = 2;  // not where the prefix ends
  EXPECT_TRUE(refused(bad));
  bad = ok;
  bad.segments[0].prefix = 1;  // a prefix that comes later
  bad.segments[0].pos0 = 2;
  EXPECT_TRUE(refused(bad));
  bad = ok;
  batch_add_continuation(bad, 1, {6});  // a continuation of a continuation
  EXPECT_TRUE(refused(bad));
  bad = ok;
  bad.segments[1].prefix = 99;  // no such segment
  EXPECT_TRUE(refused(bad));
  // Continuations are for training and scoring: a batch against a KV cache may not hold one.
  KvCache cache = kv_cache_create(m, 2, 16);
  bad = ok;
  bad.segments[0].slot = 0;
  bad.segments[1].slot = 1;
  std::vector<float> logits(2 * m.cfg.vocab_size);
  const absl::Status st = model_forward_last_logits(m, bad, cache, logits.data());
  EXPECT_NE(std::string(st.message()).find("continuation"), std::string::npos) << st;
}

}  // namespace

}  // namespace ascent
